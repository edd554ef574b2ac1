//! The parts of xtask that tests share with the commands: running tools with the project's
//! folders on PATH (`run`), and what `cargo xtask dev` starts (`dev_plan`), so the browser
//! test of the dev journey starts exactly the same processes.

pub mod dev_plan;
pub mod run;
