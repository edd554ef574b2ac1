//! Processes of a desktop: how they are started, recognised and ended.
//!
//! - **Started detached.** Every process runs `setsid()` before `exec`, so it has its own
//!   session and process group, no controlling terminal, and survives the exit or restart of
//!   the server that started it. A restarted server finds it again from the files on disk.
//! - **Recognised without trusting a pid.** A pid can be reused once its process is gone, so a
//!   [`Process`] is a pid *and* the kernel's start time of that pid (field 22 of
//!   `/proc/PID/stat`). Zombies (exited, not yet reaped) count as dead.
//! - **Marked.** Every process gets `LOCAL_DESKTOP=<its run dir>` in its environment, and
//!   children inherit it. Stopping a desktop ends every process that carries the mark, so a
//!   program the artist started from the terminal and that left its process group is found too.
//! - **Contained.** Each process joins its desktop's control group before `exec`
//!   ([`crate::contain`]), runs with `PR_SET_NO_NEW_PRIVS`, and starts with sane resource
//!   limits.
//! - **Run as an OS user** when configured: the child switches to that user's uid, gid and
//!   supplementary groups (so group-shared project folders and GPU device groups work) between
//!   `fork` and `exec`.

use crate::contain::Joiner;
use crate::error::{DesktopError, Result};
use nix::sys::resource::{getrlimit, setrlimit, Resource};
use nix::sys::signal::{kill, Signal};
use nix::unistd::{Gid, Pid, Uid, User};
use serde::{Deserialize, Serialize};
use std::ffi::CString;
use std::io;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command};

/// One process of a desktop: its pid and the start time that makes the pid unambiguous.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Process {
    pub pid: u32,
    /// Clock ticks since boot when the process started (from `/proc/PID/stat`).
    pub start_time: u64,
}

impl Process {
    /// The process now running as `pid`, if any.
    pub(crate) fn of(pid: u32) -> Option<Process> {
        let stat = stat(pid)?;
        Some(Process {
            pid,
            start_time: stat.start_time,
        })
    }

    /// True while this very process runs (not exited, not a zombie, pid not reused).
    pub fn is_alive(&self) -> bool {
        stat(self.pid).is_some_and(|s| s.start_time == self.start_time && !s.dead())
    }
}

struct Stat {
    state: u8,
    start_time: u64,
}

impl Stat {
    fn dead(&self) -> bool {
        matches!(self.state, b'Z' | b'X' | b'x')
    }
}

/// Reads `/proc/PID/stat`. The command name may hold spaces and parentheses, so the fields
/// are counted from the last `)`.
fn stat(pid: u32) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    Some(Stat {
        state: *fields.first()?.as_bytes().first()?,
        start_time: fields.get(19)?.parse().ok()?,
    })
}

/// Who the desktop's processes run as.
#[derive(Clone, Debug)]
pub(crate) struct Identity {
    pub name: String,
    pub uid: Uid,
    pub gid: Gid,
    /// `Some` when the child must switch to this user (uid, gid, supplementary groups).
    switch_to: Option<Vec<Gid>>,
    /// The user's login shell, which xterm starts; `/bin/sh` for `nologin`-style shells.
    pub shell: PathBuf,
}

impl Identity {
    /// `None`: the server's own user. `Some(name)`: that user, which needs a root server
    /// (unless it is the server's own user).
    pub(crate) fn resolve(run_as: Option<&str>) -> Result<Identity> {
        let me = Uid::effective();
        let fail = |user: &str, reason: String| DesktopError::RunAs {
            user: user.to_owned(),
            reason,
        };
        let user = match run_as {
            None => User::from_uid(me).ok().flatten(),
            Some(name) => Some(
                User::from_name(name)
                    .map_err(|e| fail(name, format!("cannot read the user database: {e}")))?
                    .ok_or_else(|| {
                        fail(
                            name,
                            "there is no such user (create it with `useradd -m NAME`)".into(),
                        )
                    })?,
            ),
        };
        let Some(user) = user else {
            return Ok(Identity {
                name: me.to_string(),
                uid: me,
                gid: Gid::effective(),
                switch_to: None,
                shell: "/bin/sh".into(),
            });
        };
        let switch_to = if user.uid == me {
            None
        } else if !me.is_root() {
            return Err(fail(
                &user.name,
                format!("the server runs as uid {me}, and only root may start processes as another user"),
            ));
        } else {
            let name = CString::new(user.name.as_str())
                .map_err(|_| fail(&user.name, "the name holds a NUL byte".into()))?;
            Some(
                nix::unistd::getgrouplist(&name, user.gid)
                    .map_err(|e| fail(&user.name, format!("cannot list its groups: {e}")))?,
            )
        };
        let shell = if user.shell.ends_with("nologin") || user.shell.ends_with("false") {
            PathBuf::from("/bin/sh")
        } else {
            user.shell
        };
        Ok(Identity {
            name: user.name,
            uid: user.uid,
            gid: user.gid,
            switch_to,
            shell,
        })
    }

    /// The user with `uid` (the owner of a file a copy reads), switched to unless it is the
    /// server's own.
    pub(crate) fn of_uid(uid: u32) -> Result<Identity> {
        let name = User::from_uid(Uid::from_raw(uid))
            .ok()
            .flatten()
            .map(|u| u.name)
            .ok_or_else(|| DesktopError::RunAs {
                user: uid.to_string(),
                reason: "no user has this uid".into(),
            })?;
        Identity::resolve(Some(&name))
    }

    /// Whether files the desktop writes into must be handed over to this user.
    pub(crate) fn is_other_user(&self) -> bool {
        self.switch_to.is_some()
    }

    /// Starts `cmd` in a new session, as this identity, inside `group` when given, with
    /// `PR_SET_NO_NEW_PRIVS` (no set-uid program can raise it back) and [`SANE_LIMITS`].
    pub(crate) fn spawn(&self, cmd: &mut Command, group: Option<&Joiner>) -> io::Result<Child> {
        let switch = self
            .switch_to
            .clone()
            .map(|groups| (groups, self.gid, self.uid));
        let group = group.cloned();
        let limits = sane_limits();
        // SAFETY: the closure runs between fork and exec. It only makes async-signal-safe
        // system calls (setsid, open, write, setgroups, setgid, setuid, prctl, setrlimit) and
        // allocates nothing: the group list, paths and limits were built before the fork.
        unsafe {
            cmd.pre_exec(move || {
                nix::unistd::setsid()?;
                // While still root: the group's files are root's.
                if let Some(group) = &group {
                    group.join()?;
                }
                if let Some((groups, gid, uid)) = &switch {
                    nix::unistd::setgroups(groups)?;
                    nix::unistd::setgid(*gid)?;
                    nix::unistd::setuid(*uid)?;
                }
                nix::sys::prctl::set_no_new_privs()?;
                for (resource, soft, hard) in limits {
                    setrlimit(resource, soft, hard)?;
                }
                Ok(())
            });
        }
        cmd.spawn()
    }
}

/// Resource limits every desktop process starts with: no core files (a crashing application
/// would otherwise write its memory, the X cookie included, into the home), and at most
/// 65,536 open files (DCC applications open many; the host's defaults vary).
const SANE_LIMITS: [(Resource, u64); 2] = [
    (Resource::RLIMIT_CORE, 0),
    (Resource::RLIMIT_NOFILE, 65_536),
];

/// [`SANE_LIMITS`] as (resource, soft, hard), never above the server's own hard limits (a
/// process may lower its limits, not raise them).
fn sane_limits() -> [(Resource, u64, u64); 2] {
    SANE_LIMITS.map(|(resource, wanted)| {
        let (soft, hard) = getrlimit(resource).unwrap_or((wanted, wanted));
        (resource, soft.min(wanted), hard.min(wanted))
    })
}

/// Every process whose environment holds exactly `NAME=VALUE` (`marker`), found through
/// `/proc/*/environ`. Processes we may not read (another user, when not root) are skipped.
pub(crate) fn marked(marker: &str) -> Vec<Process> {
    let needle = format!("\0{marker}\0");
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ")).is_ok_and(|env| {
                let mut padded = Vec::with_capacity(env.len() + 2);
                padded.push(0);
                padded.extend_from_slice(&env);
                padded.push(0);
                padded.windows(needle.len()).any(|w| w == needle.as_bytes())
            })
        })
        .filter_map(Process::of)
        .filter(Process::is_alive)
        .collect()
}

/// Sends `signal` to each live process and to its process group (a desktop's processes are
/// group leaders, so this reaches their children too). Errors mean "already gone".
pub(crate) fn signal_all(processes: &[Process], signal: Signal) {
    for p in processes.iter().filter(|p| p.is_alive()) {
        let pid = Pid::from_raw(p.pid as i32);
        if nix::unistd::getpgid(Some(pid)) == Ok(pid) {
            let _ = nix::sys::signal::killpg(pid, signal);
        }
        let _ = kill(pid, signal);
    }
}

/// Resident memory of `processes` in KiB: (RSS, PSS), from `/proc/PID/smaps_rollup`.
/// PSS divides shared pages among the processes that share them, so it is the fair
/// "what one more desktop costs" figure; RSS counts shared libraries in full for each.
pub(crate) fn memory_kib(processes: &[Process]) -> Option<(u64, u64)> {
    let mut total = (0, 0);
    for p in processes {
        let text = std::fs::read_to_string(format!("/proc/{}/smaps_rollup", p.pid)).ok()?;
        for line in text.lines() {
            let kib = || line.split_whitespace().nth(1)?.parse::<u64>().ok();
            if line.starts_with("Rss:") {
                total.0 += kib()?;
            } else if line.starts_with("Pss:") {
                total.1 += kib()?;
            }
        }
    }
    Some(total)
}
