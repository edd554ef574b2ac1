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

/// A process started in a process group of its own, with everything it starts (Trunk's
/// cargo build, nginx's workers): on drop the whole group gets SIGTERM, then SIGKILL, and
/// the leader is reaped.
pub struct ProcessGroup(Child);

impl ProcessGroup {
    pub fn spawn(command: &mut std::process::Command) -> ProcessGroup {
        use std::os::unix::process::CommandExt;
        let child = command
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
        ProcessGroup(child)
    }

    /// Whether the leader has exited (and how), without waiting.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.0.try_wait().ok().flatten()
    }

    fn signal(&self, signal: &str) {
        // The group's id is the leader's pid (process_group(0)).
        let _ = std::process::Command::new("kill")
            .args([signal, "--", &format!("-{}", self.0.id())])
            .stderr(std::process::Stdio::null())
            .status();
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        self.signal("-TERM");
        for _ in 0..30 {
            if self.exited().is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        self.signal("-KILL");
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Where a server binary announces "… listening on http://ADDR".
pub enum Announces {
    /// local-studio: its first line of standard output.
    Stdout,
    /// portal-proxy: standard error, among its logs (standard output is the audit trail).
    Stderr,
}

/// Starts a server binary (local-studio) and reads the address it announces on standard
/// output. Killed when the guard drops.
pub fn spawn_server(command: &mut std::process::Command) -> (ChildGuard, std::net::SocketAddr) {
    spawn_announcing(command, Announces::Stdout)
}

/// Starts a server binary and reads the address it announces on `on`; what it writes there
/// later is read and dropped, so it never blocks on a full pipe. Killed when the guard drops.
pub fn spawn_announcing(
    command: &mut std::process::Command,
    on: Announces,
) -> (ChildGuard, std::net::SocketAddr) {
    use std::io::BufRead;
    use std::process::Stdio;
    let (stdout, stderr) = match on {
        Announces::Stdout => (Stdio::piped(), Stdio::null()),
        Announces::Stderr => (Stdio::null(), Stdio::piped()),
    };
    let mut child = command
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .expect("the server starts");
    let output: Box<dyn std::io::Read + Send> = match on {
        Announces::Stdout => Box::new(child.stdout.take().unwrap()),
        Announces::Stderr => Box::new(child.stderr.take().unwrap()),
    };
    let guard = ChildGuard(child);
    let mut lines = std::io::BufReader::new(output).lines();
    let mut seen = Vec::new();
    let addr = loop {
        let Some(Ok(line)) = lines.next() else {
            panic!("the server ended without announcing its address: {seen:?}");
        };
        if let Some((_, addr)) = line.trim().rsplit_once("listening on http://") {
            break addr
                .parse()
                .unwrap_or_else(|_| panic!("no address in {line:?}"));
        }
        seen.push(line);
    };
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

/// Whether this process runs as root.
pub fn is_root() -> bool {
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
