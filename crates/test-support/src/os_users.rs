//! OS users for isolation tests: a test that plays an artist with a terminal on their own
//! desktop needs a real second user, made here with `useradd` (CI runs as root). A user is
//! made once per host and kept: later runs find it. Tests that need one are skipped, with
//! the reason printed, when not root.

use std::sync::Mutex;

/// `useradd` locks /etc/passwd; two tests of one binary adding users at once would fail.
static ADDING: Mutex<()> = Mutex::new(());

/// The uid and gid of OS user `name` (a fresh, unprivileged user with no home), created if
/// missing; `None` when this process is not root.
pub fn os_user(name: &str) -> Option<(u32, u32)> {
    let is_root =
        std::fs::metadata("/proc/self").is_ok_and(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0);
    if !is_root {
        eprintln!("skipped: only root can make the test's OS user {name}");
        return None;
    }
    let _adding = ADDING.lock().unwrap_or_else(|e| e.into_inner());
    if lookup(name).is_none() {
        let out = std::process::Command::new("useradd")
            .args([
                "--no-create-home",
                "--shell",
                "/bin/sh",
                "--user-group",
                name,
            ])
            .output()
            .expect("useradd runs");
        assert!(
            out.status.success() || lookup(name).is_some(),
            "useradd {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    lookup(name)
}

fn lookup(name: &str) -> Option<(u32, u32)> {
    let id = |flag: &str| {
        let out = std::process::Command::new("id")
            .args([flag, name])
            .output()
            .ok()?;
        out.status.success().then_some(())?;
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    };
    Some((id("-u")?, id("-g")?))
}

/// Runs `script` with `sh -c` as OS user `name` (its uid, gid and groups, through
/// `setpriv`), as an artist with a terminal would; its standard output, or a panic with its
/// error output.
pub fn run_as(name: &str, script: &str) -> String {
    let out = std::process::Command::new("setpriv")
        .args([
            "--reuid",
            name,
            "--regid",
            name,
            "--init-groups",
            "--",
            "sh",
            "-c",
            script,
        ])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .output()
        .expect("setpriv runs");
    assert!(
        out.status.success(),
        "as {name}: {script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
