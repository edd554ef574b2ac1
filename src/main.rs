//! The portal's entry point, built for the browser by Trunk.

fn main() {
    studio_portal::mount();
}
