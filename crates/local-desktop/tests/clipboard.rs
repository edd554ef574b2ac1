//! The clipboard between a desktop and its viewers, seen as a VNC client sees it on the
//! desktop's socket. It crosses both ways; with `Limits::no_clipboard` (a profile's
//! `clipboardMode = "DISABLED"`) nothing crosses either way, whatever the viewer sends, and
//! TigerVNC's `vncconfig` run inside the desktop cannot switch it back on. The desktop's
//! side is read and written with `xclip` (`cargo xtask setup` installs it).

mod common;

use common::desktops;
use local_desktop::{Desktop, Desktops, Limits};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A VNC client past the handshake (RFB 3.8, no security, shared), which asks for no
/// screen updates: whatever the server sends unasked is a clipboard, a bell or a colour map.
struct Viewer(UnixStream);

impl Viewer {
    fn open(desktops: &Desktops, session: &str) -> Viewer {
        let mut stream = desktops.connect(session).expect("connect to the desktop");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut version = [0u8; 12];
        stream.read_exact(&mut version).unwrap();
        stream.write_all(b"RFB 003.008\n").unwrap();
        let types = read_bytes(&mut stream, 1)[0] as usize;
        assert!(read_bytes(&mut stream, types).contains(&1), "security None");
        stream.write_all(&[1]).unwrap();
        assert_eq!(read_bytes(&mut stream, 4), [0, 0, 0, 0], "security result");
        stream.write_all(&[1]).unwrap(); // ClientInit: shared
        let init = read_bytes(&mut stream, 24);
        let name_length = u32::from_be_bytes(init[20..24].try_into().unwrap()) as usize;
        read_bytes(&mut stream, name_length);
        Viewer(stream)
    }

    /// ClientCutText: what a viewer's paste sends.
    fn paste(&mut self, text: &str) {
        let mut message = vec![6, 0, 0, 0];
        message.extend_from_slice(&(text.len() as u32).to_be_bytes());
        message.extend_from_slice(text.as_bytes());
        self.0.write_all(&message).unwrap();
    }

    /// The text of the next ServerCutText within `limit`, or `None`.
    fn copied(&mut self, limit: Duration) -> Option<String> {
        self.0.set_read_timeout(Some(limit)).unwrap();
        let mut kind = [0u8; 1];
        match self.0.read_exact(&mut kind) {
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return None
            }
            other => other.expect("read from the desktop"),
        }
        assert_eq!(kind[0], 3, "only a ServerCutText comes unasked");
        let head = read_bytes(&mut self.0, 7);
        let length = u32::from_be_bytes(head[3..7].try_into().unwrap()) as usize;
        Some(String::from_utf8_lossy(&read_bytes(&mut self.0, length)).into_owned())
    }
}

fn read_bytes(stream: &mut UnixStream, n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    stream
        .read_exact(&mut bytes)
        .expect("read from the desktop");
    bytes
}

/// A program on the desktop's display.
fn on_desktop(desktop: &Desktop, program: &str) -> Command {
    let mut command = Command::new(program);
    command
        .env("DISPLAY", format!(":{}", desktop.display))
        .env("XAUTHORITY", &desktop.xauthority);
    command
}

/// Copies `text` inside the desktop (xclip stays to serve it, until the desktop ends).
fn copy_in_desktop(desktop: &Desktop, text: &str) {
    let mut xclip = on_desktop(desktop, "xclip")
        .args(["-selection", "clipboard", "-i"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run xclip: `cargo xtask setup` installs it");
    xclip
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    // xclip forks to serve the selection; the parent's exit means it is owned.
    xclip.wait().unwrap();
}

/// The desktop's clipboard as its programs read it ("" when empty).
fn desktop_clipboard(desktop: &Desktop) -> String {
    let out = on_desktop(desktop, "xclip")
        .args(["-selection", "clipboard", "-o"])
        .stderr(Stdio::null())
        .output()
        .expect("run xclip");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Whether the desktop's clipboard reads `text` within `limit`.
fn desktop_reads(desktop: &Desktop, text: &str, limit: Duration) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if desktop_clipboard(desktop) == text {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

fn launch(desktops: &Desktops, session: &str, no_clipboard: bool) -> Desktop {
    let limits = Limits {
        no_clipboard,
        ..Limits::default()
    };
    let command = desktops.config().start_command.clone();
    desktops
        .launch_limited(session, &command, None, &limits)
        .expect("launch")
}

#[test]
fn the_clipboard_crosses_both_ways() {
    let Some(desktops) = desktops(|_| {}) else {
        return;
    };
    let desktop = launch(&desktops, "ss-clip-on", false);
    let mut viewer = Viewer::open(&desktops, "ss-clip-on");

    viewer.paste("pasted from the browser");
    assert!(
        desktop_reads(&desktop, "pasted from the browser", Duration::from_secs(5)),
        "the desktop's clipboard: {:?}",
        desktop_clipboard(&desktop)
    );

    copy_in_desktop(&desktop, "copied on the desktop");
    assert_eq!(
        viewer.copied(Duration::from_secs(5)).as_deref(),
        Some("copied on the desktop")
    );
}

#[test]
fn a_disabled_clipboard_crosses_neither_way_even_after_vncconfig_inside() {
    let Some(desktops) = desktops(|_| {}) else {
        return;
    };
    let desktop = launch(&desktops, "ss-clip-off", true);
    // What an artist with a terminal in the desktop would try first. TigerVNC refuses it:
    // only the desktop's name may be changed from inside.
    let tried = on_desktop(&desktop, "vncconfig")
        .args(["-set", "AcceptCutText=1", "-set", "SendCutText=1"])
        .output()
        .expect("run vncconfig (tigervnc-tools)");
    println!(
        "vncconfig: {} {}",
        tried.status,
        String::from_utf8_lossy(&tried.stderr)
    );
    let mut viewer = Viewer::open(&desktops, "ss-clip-off");

    viewer.paste("pasted from the browser");
    assert!(
        !desktop_reads(&desktop, "pasted from the browser", Duration::from_secs(2)),
        "a paste reached a desktop whose clipboard is disabled"
    );

    copy_in_desktop(&desktop, "copied on the desktop");
    assert_eq!(desktop_clipboard(&desktop), "copied on the desktop");
    assert_eq!(
        viewer.copied(Duration::from_secs(2)),
        None,
        "the desktop's clipboard reached a viewer"
    );
}
