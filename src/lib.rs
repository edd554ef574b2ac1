//! studio-portal: the Leptos front end.
