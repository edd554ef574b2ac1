//! The artist's files: a home survives stop and launch, a backup brings a deleted home back,
//! a home is never replaced under a running desktop, and ids that could escape the root are
//! refused before anything is touched.

mod common;

use common::desktops;
use local_desktop::DesktopError;

#[test]
fn a_file_in_home_survives_stop_and_launch() {
    let Some(desktops) = desktops(|_| {}) else {
        return;
    };
    let desktop = desktops.launch("ss-home").expect("launch");
    std::fs::write(desktop.home.join("shot.nk"), "comp").unwrap();
    desktops.stop("ss-home").unwrap();
    let again = desktops.launch("ss-home").expect("launch again");
    assert_eq!(
        std::fs::read_to_string(again.home.join("shot.nk")).unwrap(),
        "comp"
    );
}

#[test]
fn backup_delete_and_restore_bring_the_home_back() {
    let Some(desktops) = desktops(|_| {}) else {
        return;
    };
    let desktop = desktops.launch("ss-bk").expect("launch");
    std::fs::create_dir(desktop.home.join("scenes")).unwrap();
    std::fs::write(desktop.home.join("scenes/a.ma"), "v1").unwrap();
    desktops
        .backup_home("ss-bk", "bk-1")
        .expect("backup while running");
    std::fs::write(desktop.home.join("scenes/a.ma"), "v2").unwrap();
    assert_eq!(
        std::fs::read_to_string(desktops.dir.path().join("backups/bk-1/scenes/a.ma")).unwrap(),
        "v1"
    );

    let refused = desktops.restore_home("ss-bk", "bk-1");
    assert!(
        matches!(refused, Err(DesktopError::Running(_))),
        "{refused:?}"
    );
    assert!(matches!(
        desktops.delete_home("ss-bk"),
        Err(DesktopError::Running(_))
    ));

    desktops.stop("ss-bk").unwrap();
    desktops.delete_home("ss-bk").expect("delete home");
    assert!(!desktop.home.exists());
    desktops.restore_home("ss-bk", "bk-1").expect("restore");
    assert_eq!(
        std::fs::read_to_string(desktop.home.join("scenes/a.ma")).unwrap(),
        "v1"
    );

    desktops.delete_backup("bk-1").unwrap();
    desktops
        .delete_backup("bk-1")
        .expect("deleting twice is fine");
    let missing = desktops.restore_home("ss-bk", "bk-1");
    assert!(
        matches!(missing, Err(DesktopError::BackupNotFound(_))),
        "{missing:?}"
    );
    assert_eq!(
        std::fs::read_to_string(desktop.home.join("scenes/a.ma")).unwrap(),
        "v1"
    );
}

#[test]
fn ids_that_could_leave_the_root_are_refused() {
    let Some(desktops) = desktops(|_| {}) else {
        return;
    };
    let invalid = |r: Result<(), DesktopError>| matches!(r, Err(DesktopError::InvalidId { .. }));
    for bad in ["..", "../x", "a/b", ".hidden", "", "a b", &"x".repeat(65)] {
        assert!(invalid(desktops.launch(bad).map(drop)), "launch {bad:?}");
        assert!(invalid(desktops.stop(bad)), "stop {bad:?}");
        assert!(invalid(desktops.delete_home(bad)), "delete_home {bad:?}");
        assert!(
            invalid(desktops.backup_home("ss-ok", bad)),
            "backup_home to {bad:?}"
        );
        assert!(
            invalid(desktops.restore_home(bad, "bk")),
            "restore_home {bad:?}"
        );
        assert!(
            invalid(desktops.delete_backup(bad)),
            "delete_backup {bad:?}"
        );
        assert!(desktops.find(bad).is_none());
    }
    let homes = std::fs::read_dir(desktops.dir.path().join("homes"))
        .unwrap()
        .count();
    assert_eq!(homes, 0, "nothing was created");
}
