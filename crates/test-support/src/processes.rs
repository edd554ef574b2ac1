//! Processes that tests start are stopped when the test ends, passed or failed: a child
//! process is killed and reaped on drop, and every desktop under a test's desktops root
//! is stopped on drop, so no test leaves an Xvnc behind.

use std::path::Path;
use std::process::Child;

/// A child process killed (SIGKILL) and reaped when dropped.
pub struct ChildGuard(pub Child);

impl ChildGuard {
    /// kill -9 now, and wait for it.
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Starts a server binary (local-studio) and reads the address it announces on its first
/// line of standard output ("… listening on http://ADDR"). Killed when the guard drops.
pub fn spawn_server(command: &mut std::process::Command) -> (ChildGuard, std::net::SocketAddr) {
    use std::io::BufRead;
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the server starts");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let guard = ChildGuard(child);
    let addr = line
        .trim()
        .rsplit("http://")
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("no address announced: {line:?}"));
    (guard, addr)
}

/// Starts a server binary that announces "… listening on http://ADDR" on standard error
/// (portal-proxy), among its log lines; the rest of its standard error is read and dropped,
/// so the server never blocks on a full pipe. Killed when the guard drops.
pub fn spawn_server_from_stderr(
    command: &mut std::process::Command,
) -> (ChildGuard, std::net::SocketAddr) {
    use std::io::BufRead;
    let mut child = command
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the server starts");
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let guard = ChildGuard(child);
    let addr = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|line| {
            line.rsplit_once("listening on http://")?
                .1
                .trim()
                .parse()
                .ok()
        })
        .expect("the server announces its address");
    std::thread::spawn(move || lines.for_each(drop));
    (guard, addr)
}

/// A short temporary root for desktops (the VNC socket path must fit in 107 bytes); every
/// desktop under it is stopped, and the root removed, on drop.
pub struct DesktopRoot {
    pub dir: tempfile::TempDir,
}

impl DesktopRoot {
    /// `None`, with the reason printed, when the desktop programs are missing and this is
    /// not root; as root (CI, after `cargo xtask setup`) they are required.
    pub fn new() -> Option<DesktopRoot> {
        if let Err(missing) = local_desktop::Desktops::check_installed() {
            assert!(
                !is_root(),
                "running as root, so the desktop tests must run: {missing}"
            );
            eprintln!("skipped: {missing}");
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("ls")
            .tempdir_in("/tmp")
            .expect("a temporary desktops root");
        Some(DesktopRoot { dir })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Sessions with a desktop record under this root.
    pub fn sessions(&self) -> Vec<String> {
        std::fs::read_dir(self.path().join("run"))
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok()?.file_name().into_string().ok())
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}

impl Drop for DesktopRoot {
    fn drop(&mut self) {
        let config = local_desktop::DesktopsConfig::new(self.path());
        let Ok(desktops) = local_desktop::Desktops::new(config) else {
            return;
        };
        for session in self.sessions() {
            if let Err(error) = desktops.stop(&session) {
                eprintln!("cleanup of desktop {session}: {error}");
            }
        }
    }
}
