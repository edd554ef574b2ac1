//! Isolation on a host shared by several artists, tried the way an artist with a terminal on
//! their own desktop would try it. Each artist's desktop runs as their own OS user (made by
//! the test with `useradd`), and the artist's moves are made as that user (`setpriv`), never
//! as root. Needs a root server, as a shared host has; skipped otherwise.

mod workstations;

use serde_json::json;
use std::os::unix::net::UnixListener;
use test_support::{os_user, run_as};
use workstations::{act, create, desktop_name, stream, wait_for, Host, SESSIONS, STUDIO_TOML};

/// alice and bob, each their own OS user; `lp-escape`'s start command detaches processes
/// from the desktop the ways an artist could (`setsid -f`, a double fork, a cleared
/// environment) before opening the terminal.
const SHARED_HOST_TOML: &str = r#"
[[studios]]
studio_id = "desk-studio"
users = ["alice", "bob"]

[studios.os_users]
alice = "sp-iso-alice"
bob = "sp-iso-bob"

[[studios.launch_profiles]]
launchProfileId = "lp-desktop"
name = "Desktop"
driver = "local-desktop"
time_limit_seconds = 30
[studios.launch_profiles.streamConfiguration]
clipboardMode = "ENABLED"
ec2InstanceTypes = ["g4dn.xlarge"]
streamingImageIds = ["img-desktop"]
maxSessionLengthInMinutes = 60
sessionPersistenceMode = "ACTIVATED"
automaticTerminationMode = "DEACTIVATED"

[[studios.launch_profiles]]
launchProfileId = "lp-escape"
name = "Escape"
driver = "local-desktop"
time_limit_seconds = 30
start_command = ["sh", "-c", "setsid -f env -i sleep 7301; (setsid env -i sleep 7302 &) ; exec xterm"]
[studios.launch_profiles.streamConfiguration]
clipboardMode = "ENABLED"
ec2InstanceTypes = ["g4dn.xlarge"]
streamingImageIds = ["img-desktop"]
maxSessionLengthInMinutes = 60
sessionPersistenceMode = "ACTIVATED"
automaticTerminationMode = "DEACTIVATED"
"#;

/// The shared host and its two artists' uids; `None` (skipped) when not root or when the
/// desktop packages are missing.
fn shared_host() -> Option<(Host, u32, u32)> {
    let (alice, _) = os_user("sp-iso-alice")?;
    let (bob, _) = os_user("sp-iso-bob")?;
    Some((Host::with_studio(SHARED_HOST_TOML)?, alice, bob))
}

/// Live (not zombie) processes running as `uid`, with their command lines.
fn processes_of(uid: u32) -> Vec<(u32, String)> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
            let field = |name: &str| {
                status
                    .lines()
                    .find(|l| l.starts_with(name))
                    .map(|l| l[name.len()..].trim().to_owned())
            };
            let runs_as: u32 = field("Uid:")?.split_whitespace().next()?.parse().ok()?;
            let zombie = field("State:")?.starts_with('Z');
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            (runs_as == uid && !zombie).then_some((pid, cmdline))
        })
        .collect()
}

/// Waits up to 5 s for `uid` to have no process left (a stop returns when its desktop's
/// processes are gone; this only absorbs the kernel's reaping).
async fn none_left(uid: u32) -> Vec<(u32, String)> {
    for _ in 0..50 {
        if processes_of(uid).is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    processes_of(uid)
}

#[tokio::test]
async fn a_link_at_the_socket_path_reaches_neither_root_nor_another_artist() {
    let Some((host, _, _)) = shared_host() else {
        return;
    };
    let studio = test_support::start(host.config(4)).await;
    let alice = create(&studio, "alice").await;
    let bob = create(&studio, "bob").await;
    wait_for(&studio, &alice, "READY").await;
    wait_for(&studio, &bob, "READY").await;

    // A socket only root may open, as the Docker socket or the system bus are.
    let root_only = tempfile::tempdir().unwrap();
    let root_socket = root_only.path().join("root-only.sock");
    let listener = UnixListener::bind(&root_socket).unwrap();
    listener.set_nonblocking(true).unwrap();
    let bob_socket = host.root.path().join(format!("run/{bob}/x/vnc.sock"));
    let alice_x = host.root.path().join(format!("run/{alice}/x"));

    for target in [&root_socket, &bob_socket] {
        run_as(
            "sp-iso-alice",
            &format!(
                "cd {} && mv vnc.sock vnc.real && ln -s {} vnc.sock",
                alice_x.display(),
                target.display()
            ),
        );
        let (_, ws) = stream(&studio, &alice, 60).await;
        assert_eq!(
            desktop_name(&ws).await,
            Err(503),
            "a link to {} is refused",
            target.display()
        );
        run_as(
            "sp-iso-alice",
            &format!(
                "cd {} && rm vnc.sock && mv vnc.real vnc.sock",
                alice_x.display()
            ),
        );
    }
    assert!(
        listener.accept().is_err(),
        "nothing ever connected to the root-only socket"
    );

    // Refused, logged, and the session left READY: its own desktop opens as before.
    wait_for(&studio, &alice, "READY").await;
    let (_, ws) = stream(&studio, &alice, 60).await;
    assert_eq!(desktop_name(&ws).await, Ok(alice.clone()));
}

#[tokio::test]
async fn processes_an_artist_detaches_end_with_stop_and_with_delete() {
    let Some((host, alice_uid, bob_uid)) = shared_host() else {
        return;
    };
    let studio = test_support::start(host.config(4)).await;
    let escape = |owner: &str| json!({"launchProfileId": "lp-escape", "ownedBy": owner});
    let alice = studio.create_in(SESSIONS, escape("alice")).await;
    let bob = studio.create_in(SESSIONS, escape("bob")).await;
    wait_for(&studio, &alice, "READY").await;
    wait_for(&studio, &bob, "READY").await;
    for uid in [alice_uid, bob_uid] {
        let detached: Vec<_> = processes_of(uid)
            .into_iter()
            .filter(|(_, cmd)| cmd.contains("sleep 730"))
            .collect();
        assert_eq!(
            detached.len(),
            2,
            "both escapes ran for uid {uid}: {detached:?}"
        );
    }

    act(&studio, &alice, "stop", json!({})).await;
    wait_for(&studio, &alice, "STOPPED").await;
    assert_eq!(
        none_left(alice_uid).await,
        vec![],
        "nothing of alice's desktop outlives Stop"
    );

    let reply = studio
        .call("DELETE", &format!("{SESSIONS}/{bob}"), None, None)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.json);
    wait_for(&studio, &bob, "DELETED").await;
    assert_eq!(
        none_left(bob_uid).await,
        vec![],
        "nothing of bob's desktop outlives Delete"
    );
}

#[tokio::test]
async fn an_artist_the_mapping_leaves_out_is_refused_at_create() {
    let Some((host, _, _)) = shared_host() else {
        return;
    };
    let studio = test_support::start(host.config(4)).await;
    let body = json!({"launchProfileId": "lp-desktop", "ownedBy": "carol"});
    let reply = studio.call("POST", SESSIONS, Some(body), None).await;
    // carol is not even a user of this studio: refused for that first.
    assert_eq!(reply.status, 400, "{}", reply.json);

    // A studio whose users include one the mapping leaves out, and no default.
    let toml = SHARED_HOST_TOML.replace(
        r#"users = ["alice", "bob"]"#,
        r#"users = ["alice", "bob", "dave"]"#,
    );
    let host = Host::with_studio(&toml).unwrap();
    let studio = test_support::start(host.config(4)).await;
    refused_at_create(
        &studio,
        &host,
        "dave",
        &["os_users.dave", "default_os_user"],
    )
    .await;
}

#[tokio::test]
async fn without_a_mapping_a_root_server_runs_no_desktop_as_root_unless_told() {
    if os_user("sp-iso-alice").is_none() {
        return; // not root: desktops run as the server's own unprivileged user
    }
    let Some(host) = Host::with_studio(STUDIO_TOML) else {
        return;
    };
    let mut config = host.config(4);
    config.desktops.as_mut().unwrap().allow_root = false;
    let studio = test_support::start(config).await;
    let names = ["--single-user-desktops-as-root", "os_users"];
    refused_at_create(&studio, &host, "alice", &names).await;
}

/// A desktop for `owner` is refused at create with 400, an error that names each of
/// `names` (the keys or flags that would allow it), and nothing started.
async fn refused_at_create(
    studio: &test_support::Studio,
    host: &Host,
    owner: &str,
    names: &[&str],
) {
    let body = json!({"launchProfileId": "lp-desktop", "ownedBy": owner});
    let reply = studio.call("POST", SESSIONS, Some(body), None).await;
    assert_eq!(reply.status, 400, "{}", reply.json);
    let message = reply.json["message"].as_str().unwrap_or_default();
    for name in names {
        assert!(message.contains(name), "the error names {name}: {message}");
    }
    assert_eq!(
        host.root.sessions(),
        Vec::<String>::new(),
        "nothing started"
    );
}
