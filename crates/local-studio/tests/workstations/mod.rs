//! Shared by the real-workstation tests: a studio whose launch profile runs real desktops
//! on this host, a signed client for it, and a noVNC-like client that opens a stream's
//! WebSocket and reads which desktop answers.
#![allow(dead_code)] // each test file uses a different part

use futures_util::{SinkExt, StreamExt};
use local_studio::{Config, DesktopSettings};
use serde_json::{json, Value};
use std::time::Duration;
use test_support::{Client, DesktopRoot, Studio};
use tokio_tungstenite::tungstenite::Message;

pub const SESSIONS: &str = "/2020-08-01/studios/desk-studio/streaming-sessions";
pub const BACKUPS: &str = "/2020-08-01/studios/desk-studio/streaming-session-backups";

pub const STUDIO_TOML: &str = r#"
[[studios]]
studio_id = "desk-studio"
users = ["alice", "bob"]

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
sessionBackup = { mode = "AUTOMATIC", maxBackupsToRetain = 2 }

# A studio's own application that this host lacks.
[[studios.launch_profiles]]
launchProfileId = "lp-missing-app"
name = "Compositing"
driver = "local-desktop"
start_command = ["/opt/missing/dcc-app", "--fullscreen"]
[studios.launch_profiles.streamConfiguration]
clipboardMode = "ENABLED"
ec2InstanceTypes = ["g4dn.xlarge"]
streamingImageIds = ["img-desktop"]
"#;

/// A studio that maps its artists to OS users: alice's desktops run as `nobody`, bob's as
/// `daemon` (users every Debian and Ubuntu base system has); carol has none, so her
/// desktops are refused. Needs a root server.
pub const OS_USERS_TOML: &str = r#"
[[studios]]
studio_id = "desk-studio"
users = ["alice", "bob", "carol"]

[studios.os_users]
alice = "nobody"
bob = "daemon"

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
sessionBackup = { mode = "AUTOMATIC", maxBackupsToRetain = 2 }
"#;

/// The studio file and the desktops root of one test; both removed (desktops stopped)
/// when dropped.
pub struct Host {
    pub root: DesktopRoot,
    pub files: tempfile::TempDir,
}

impl Host {
    pub fn new() -> Option<Host> {
        Host::with_studio(STUDIO_TOML)
    }

    /// A host whose studio file is `toml`.
    pub fn with_studio(toml: &str) -> Option<Host> {
        let root = DesktopRoot::new()?;
        let files = tempfile::tempdir().unwrap();
        std::fs::write(files.path().join("studio.toml"), toml).unwrap();
        Some(Host { root, files })
    }

    pub fn config(&self, max_desktops: usize) -> Config {
        Config {
            studio_config: Some(self.files.path().join("studio.toml")),
            transition: Duration::ZERO,
            drift_interval: Duration::from_millis(200),
            desktops: Some(DesktopSettings {
                root: self.root.path().to_owned(),
                max_desktops,
                width: 800,
                height: 600,
                start_command: None,
                url_base: None,
                viewer_dir: self.files.path().to_owned(),
                // Studios here map no OS users (tests/isolation.rs does), and CI runs as root.
                allow_root: true,
            }),
            ..Config::default()
        }
    }

    pub fn home(&self, session: &str) -> std::path::PathBuf {
        self.root.path().join("homes").join(session)
    }

    /// The pid of the session's Xvnc, from the desktop's own record.
    pub fn xvnc_pid(&self, session: &str) -> Option<i32> {
        self.record(session)?["xvnc"]["pid"]
            .as_i64()
            .map(|p| p as i32)
    }

    /// The desktop's own record (`ROOT/run/SESSION/desktop.json`), while it runs.
    pub fn record(&self, session: &str) -> Option<Value> {
        let path = self
            .root
            .path()
            .join("run")
            .join(session)
            .join("desktop.json");
        serde_json::from_slice(&std::fs::read(path).ok()?).ok()
    }

    /// Every live process of the session's desktop (all carry its mark, the artist's
    /// programs included), with the uid each runs as.
    pub fn processes(&self, session: &str) -> Vec<(u32, u32)> {
        let run = self.root.path().join("run").join(session);
        let marker = format!("LOCAL_DESKTOP={}", run.display());
        std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| {
                std::fs::read(format!("/proc/{pid}/environ"))
                    .is_ok_and(|env| env.split(|b| *b == 0).any(|var| var == marker.as_bytes()))
            })
            .filter_map(|pid| {
                let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
                let zombie = status
                    .lines()
                    .any(|l| l.starts_with("State:") && l.contains('Z'));
                let uid = status
                    .lines()
                    .find(|l| l.starts_with("Uid:"))?
                    .split_whitespace()
                    .nth(1)?
                    .parse()
                    .ok()?;
                (!zombie).then_some((pid, uid))
            })
            .collect()
    }
}

/// Polls the session until `state`, for up to 30 s; its last document.
pub async fn wait_for(client: &Client, id: &str, state: &str) -> Value {
    client.wait_for_state(SESSIONS, id, state).await
}

pub async fn create(studio: &Studio, owner: &str) -> String {
    let body = json!({"launchProfileId": "lp-desktop", "ownedBy": owner});
    studio.create_in(SESSIONS, body).await
}

/// A READY workstation each for alice and bob: their ids.
pub async fn alice_and_bob_ready(studio: &Studio) -> (String, String) {
    let alice = create(studio, "alice").await;
    let bob = create(studio, "bob").await;
    wait_for(studio, &alice, "READY").await;
    wait_for(studio, &bob, "READY").await;
    (alice, bob)
}

pub async fn act(studio: &Studio, id: &str, action: &str, body: Value) -> Value {
    studio.act(SESSIONS, id, action, body).await
}

/// A new stream's token and the WebSocket URL its viewer would open (naming the session,
/// as the viewer does).
pub async fn stream(studio: &Studio, id: &str, seconds: u32) -> (String, String) {
    let (url, token) = studio.new_stream(SESSIONS, id, seconds).await;
    let ws = viewer_ws_url(studio, id, &url);
    assert!(
        url.starts_with(&format!("http://{}/desktop/?authToken=", studio.addr)),
        "{url}"
    );
    (token, ws)
}

/// The WebSocket URL a viewer opens for `session` with the token of stream URL `url`.
pub fn viewer_ws_url(studio: &Studio, session: &str, url: &str) -> String {
    let token = url
        .split("authToken=")
        .nth(1)
        .expect("a token in the stream's URL");
    let token = token.split('&').next().unwrap();
    format!(
        "ws://{}/desktop/ws?authToken={token}&sessionId={session}",
        studio.addr
    )
}

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Whether the server ends connection `ws` within `within`.
pub async fn ends_within(ws: &mut Ws, within: Duration) -> bool {
    let ended = async { while let Some(Ok(_)) = ws.next().await {} };
    tokio::time::timeout(within, ended).await.is_ok()
}

/// Reads binary frames until `received` holds at least `n` bytes.
async fn read_at_least(ws: &mut Ws, received: &mut Vec<u8>, n: usize) {
    while received.len() < n {
        match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
            Ok(Some(Ok(Message::Binary(bytes)))) => received.extend_from_slice(&bytes),
            Ok(Some(Ok(_))) => {}
            other => panic!("the desktop stopped answering: {other:?}"),
        }
    }
}

async fn send(ws: &mut Ws, bytes: &[u8]) {
    ws.send(Message::Binary(bytes.to_vec().into()))
        .await
        .unwrap();
}

/// A viewer's connection after the RFB handshake: its WebSocket, what it received, and
/// the reconnect grant the server sent first.
pub struct Viewer {
    pub ws: Ws,
    received: Vec<u8>,
    pub grant: String,
}

impl Viewer {
    /// The desktop's name, which is its session id.
    pub fn desktop_name(&self) -> String {
        let len = u32::from_be_bytes(self.received[38..42].try_into().unwrap()) as usize;
        String::from_utf8_lossy(&self.received[42..42 + len]).into_owned()
    }

    /// Asks for a screen update, as an open viewer does all the time (no input).
    pub async fn ask_for_update(&mut self) {
        send(&mut self.ws, &[3, 1, 0, 0, 0, 0, 0, 100, 0, 100]).await;
    }

    /// Whether the desktop still answers this viewer: an update it asks for arrives.
    pub async fn still_shown(&mut self) -> bool {
        self.ask_for_update().await;
        let answer = tokio::time::timeout(Duration::from_secs(5), self.ws.next()).await;
        matches!(answer, Ok(Some(Ok(Message::Binary(_)))))
    }

    /// Presses and releases a key (an 'a'), as an artist typing.
    pub async fn press_key(&mut self) {
        for down in [1, 0] {
            send(&mut self.ws, &[4, down, 0, 0, 0, 0, 0, 0x61]).await;
        }
    }
}

/// Opens `ws_url` as noVNC does and completes the RFB handshake (no security, shared).
/// `Err(status)` when the upgrade is refused.
pub async fn open_viewer(ws_url: &str) -> Result<Viewer, u16> {
    let ws = match tokio_tungstenite::connect_async(ws_url).await {
        Ok((ws, _)) => ws,
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            return Err(response.status().as_u16())
        }
        Err(other) => panic!("websocket: {other}"),
    };
    handshake(ws).await
}

/// Opens `ws_url` as a viewer that asks for the desktop alone (ClientInit's shared flag 0),
/// which would disconnect every other viewer if the server let it.
pub async fn open_viewer_alone(ws_url: &str) -> Viewer {
    let (ws, _) = tokio_tungstenite::connect_async(ws_url).await.unwrap();
    handshake_asking(ws, 0).await.unwrap()
}

/// Reconnects to `session`'s desktop with `grant` in the first frame, as the viewer does
/// after a drop. `Err(code)`: the close code of a refusal.
pub async fn resume_viewer(studio: &Studio, session: &str, grant: &str) -> Result<Viewer, u16> {
    let url = format!(
        "ws://{}/desktop/ws?sessionId={session}&resume=1",
        studio.addr
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    ws.send(Message::Text(grant.into())).await.unwrap();
    handshake(ws).await
}

/// The grant frame, then the RFB handshake; `Err(code)` if the server closes instead.
async fn handshake(ws: Ws) -> Result<Viewer, u16> {
    handshake_asking(ws, 1).await
}

/// [`handshake`], with `shared` as ClientInit's flag.
async fn handshake_asking(mut ws: Ws, shared: u8) -> Result<Viewer, u16> {
    let grant = match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
        Ok(Some(Ok(Message::Text(grant)))) => grant.to_string(),
        Ok(Some(Ok(Message::Close(Some(frame))))) => return Err(frame.code.into()),
        other => panic!("no grant frame: {other:?}"),
    };
    let mut received = Vec::new();
    read_at_least(&mut ws, &mut received, 12).await;
    assert_eq!(&received[..12], b"RFB 003.008\n");
    send(&mut ws, b"RFB 003.008\n").await;
    // Security types: a count, then the types; 1 is None.
    read_at_least(&mut ws, &mut received, 14).await;
    assert_eq!(received[13], 1, "security type None");
    send(&mut ws, &[1]).await;
    // SecurityResult: 0 is OK.
    read_at_least(&mut ws, &mut received, 18).await;
    assert_eq!(&received[14..18], &[0, 0, 0, 0]);
    send(&mut ws, &[shared]).await; // ClientInit
                                    // ServerInit: width, height, pixel format (16 bytes), name length, name.
    read_at_least(&mut ws, &mut received, 18 + 24).await;
    let len = u32::from_be_bytes(received[38..42].try_into().unwrap()) as usize;
    read_at_least(&mut ws, &mut received, 42 + len).await;
    Ok(Viewer {
        ws,
        received,
        grant,
    })
}

/// Opens `ws_url` as noVNC does; the desktop's name, which is its session id.
/// `Err(status)` when the upgrade is refused.
pub async fn desktop_name(ws_url: &str) -> Result<String, u16> {
    let mut viewer = open_viewer(ws_url).await?;
    let _ = viewer.ws.close(None).await;
    Ok(viewer.desktop_name())
}
