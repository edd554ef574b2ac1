//! A launch that cannot finish says why, in words an admin can act on, and leaves nothing
//! running behind it: no X server holding a display, no run folder that looks alive.

mod common;

use common::{desktops, processes_of};
use local_desktop::{DesktopError, Desktops};
use std::time::Duration;

#[test]
fn a_missing_start_program_is_named_with_the_fix() {
    let Some(desktops) = desktops(|c| c.start_command = vec!["no-such-modeller".into()]) else {
        return;
    };
    let error = desktops.launch("ss-missing").expect_err("refused");
    assert!(matches!(error, DesktopError::NotInstalled(_)), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("no-such-modeller") && message.contains("cargo xtask setup"),
        "{message}"
    );
    assert!(!desktops.dir.path().join("run/ss-missing").exists());
}

#[test]
fn a_launch_past_its_deadline_is_undone() {
    let Some(desktops) = desktops(|c| c.start_timeout = Duration::from_millis(1)) else {
        return;
    };
    let error = desktops.launch("ss-slow").expect_err("too slow");
    assert!(matches!(error, DesktopError::Timeout { .. }), "{error:?}");
    let run_dir = desktops
        .dir
        .path()
        .canonicalize()
        .unwrap()
        .join("run/ss-slow");
    assert_eq!(
        processes_of(&run_dir),
        Vec::<u32>::new(),
        "the half-started desktop was ended"
    );
    assert!(!run_dir.exists() && desktops.find("ss-slow").is_none());

    let mut config = desktops.config().clone();
    config.start_timeout = Duration::from_secs(20);
    let patient = Desktops::new(config).unwrap();
    patient
        .launch("ss-slow")
        .expect("a normal launch works afterwards");
}
