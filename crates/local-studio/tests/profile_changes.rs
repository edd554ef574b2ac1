//! A launch profile changed while its sessions exist: each session's next start takes the
//! profile's desktop limits as they are then. Limits were copied into a session when it
//! was made, so a profile whose clipboard an administrator had disabled since still
//! started older sessions' desktops with the clipboard on. Real Xvnc processes.

mod workstations;

use local_studio::Storage;
use serde_json::json;
use workstations::*;

/// The command line of `session`'s Xvnc, with spaces between the arguments.
fn xvnc_command_line(host: &Host, session: &str) -> String {
    let pid = host.xvnc_pid(session).expect("the desktop runs");
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
    String::from_utf8_lossy(&raw).replace('\0', " ")
}

#[tokio::test]
async fn a_clipboard_disabled_after_a_session_was_made_is_off_from_its_next_start() {
    let Some(host) = Host::new() else { return };
    let data = tempfile::tempdir().unwrap();
    let config = || local_studio::Config {
        storage: Storage::Dir(data.path().to_owned()),
        ..host.config(4)
    };
    let studio = test_support::start(config()).await;
    let id = create(&studio, "alice").await;
    wait_for(&studio, &id, "READY").await;
    let off = "-AcceptCutText=0";
    assert!(!xvnc_command_line(&host, &id).contains(off), "ENABLED: on");
    act(&studio, &id, "stop", json!({})).await;
    wait_for(&studio, &id, "STOPPED").await;
    studio.server.shutdown().await;

    // The administrator disables the profile's clipboard and restarts local-studio.
    let toml = host.files.path().join("studio.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    let disabled = text.replacen(
        r#"clipboardMode = "ENABLED""#,
        r#"clipboardMode = "DISABLED""#,
        1,
    );
    std::fs::write(&toml, disabled).unwrap();
    let studio = test_support::start(config()).await;
    act(&studio, &id, "start", json!({})).await;
    wait_for(&studio, &id, "READY").await;
    let command_line = xvnc_command_line(&host, &id);
    assert!(command_line.contains(off), "{command_line}");
    studio.server.shutdown().await;
}
