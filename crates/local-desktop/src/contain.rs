//! Containment: every process of a desktop lives in a control group (cgroup) of its own, so
//! Stop ends all of them, whatever they did to escape: `setsid`, a double fork, a cleared
//! environment. The environment mark ([`crate::process::marked`]) finds only processes that
//! kept their environment; the kernel's group membership cannot be shed.
//!
//! - **Joining.** A desktop's processes enter their group between `fork` and `exec`, while
//!   still root (writing `0`, "myself", to each `cgroup.procs`), so even their first child is
//!   inside. Children cannot leave: moving a process needs write access to the groups, which
//!   only root has.
//! - **Ending.** cgroup v2 has `cgroup.kill`, which the kernel applies to every member at
//!   once. v1 has no such file, so the group is frozen first (no member can fork while its
//!   siblings are killed), every member gets SIGKILL, and the group is thawed to let them die.
//! - **Limits.** `pids.max` and the memory limit hold for the whole desktop.
//! - **Which hierarchy.** v2 is preferred when its `pids` and `memory` controllers are
//!   available (a studio host with systemd, unified). Otherwise v1, when a `freezer`
//!   hierarchy is mounted (with `pids` and `memory` where they are mounted). Otherwise none:
//!   a server that is not root cannot create groups. [`Cgroups::describe`] says which, so the
//!   server can log it.
//!
//! Groups are `local-desktop/TAG/SESSION` in each hierarchy, TAG naming the desktops root (a
//! host may run several roots, such as tests in parallel).

use std::ffi::CString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Which containment a [`crate::Desktops`] uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Containment {
    /// cgroup v2 if it has the `pids` and `memory` controllers, else v1, else none.
    #[default]
    Auto,
    /// cgroup v2 even without controllers (ending works; limits are not applied).
    V2,
    /// cgroup v1 (a `freezer` hierarchy is required).
    V1,
    /// No groups: desktops are ended through their recorded processes and environment mark.
    Off,
}

/// Limits on one desktop, every process counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Limits {
    /// Most processes and threads at once (`pids.max`); `None`: [`DEFAULT_PIDS_MAX`].
    pub pids_max: Option<u64>,
    /// Most memory in bytes (`memory.max`, v1 `memory.limit_in_bytes`); `None`: no limit.
    pub memory_max_bytes: Option<u64>,
    /// No clipboard crosses between the desktop and its viewers, either way (a launch
    /// profile's `clipboardMode = "DISABLED"`). Xvnc itself refuses it, and the artist
    /// cannot turn it back on from inside the desktop (`launch.rs`).
    #[serde(default)]
    pub no_clipboard: bool,
}

impl Limits {
    /// Xvnc's switches for these limits: with `no_clipboard`, its clipboard is off both
    /// ways, so no page can make one cross.
    pub(crate) fn xvnc_args(&self) -> &'static [&'static str] {
        const NO_CLIPBOARD: &[&str] = &[
            "-AcceptCutText=0",
            "-SendCutText=0",
            "-SetPrimary=0",
            "-SendPrimary=0",
        ];
        if self.no_clipboard {
            NO_CLIPBOARD
        } else {
            &[]
        }
    }
}

/// Processes and threads a desktop may have at once unless its profile says otherwise: far
/// above what a DCC application uses (hundreds), far below what stalls a host (a fork bomb).
pub const DEFAULT_PIDS_MAX: u64 = 4096;

#[derive(Debug)]
pub(crate) enum Cgroups {
    V2 {
        base: PathBuf,
        limits: bool,
    },
    V1 {
        freezer: PathBuf,
        pids: Option<PathBuf>,
        memory: Option<PathBuf>,
    },
}

impl Cgroups {
    /// The groups for desktops under `root`, or `None` (with the reason) when there are none.
    pub(crate) fn detect(mode: Containment, root: &Path) -> Result<Cgroups, String> {
        if mode == Containment::Off {
            return Err("containment is off".into());
        }
        if !nix::unistd::Uid::effective().is_root() {
            return Err("only root can create control groups".into());
        }
        let tag = format!("local-desktop/{}", root_tag(root));
        let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        let v2 = mounts_of(&mounts, "cgroup2").next().map(|(dir, _)| dir);
        let v2_controllers = v2
            .as_ref()
            .and_then(|dir| std::fs::read_to_string(dir.join("cgroup.controllers")).ok())
            .unwrap_or_default();
        let has = |name| v2_controllers.split_whitespace().any(|c| c == name);
        let v2_limits = has("pids") && has("memory");
        let v1 = |controller: &str| {
            mounts_of(&mounts, "cgroup")
                .find(|(_, options)| options.split(',').any(|o| o == controller))
                .map(|(dir, _)| dir.join(&tag))
        };
        match (mode, v2) {
            (Containment::V2, Some(dir)) => Ok(Cgroups::V2 {
                base: dir.join(&tag),
                limits: v2_limits,
            }),
            (Containment::Auto, Some(dir)) if v2_limits => Ok(Cgroups::V2 {
                base: dir.join(&tag),
                limits: true,
            }),
            (Containment::V2, None) => Err("no cgroup v2 hierarchy is mounted".into()),
            _ => match v1("freezer") {
                Some(freezer) => Ok(Cgroups::V1 {
                    freezer,
                    pids: v1("pids"),
                    memory: v1("memory"),
                }),
                None => Err(
                    "neither cgroup v2 with pids and memory nor a cgroup v1 freezer is mounted"
                        .into(),
                ),
            },
        }
    }

    /// One line for the server's log: which hierarchy, and whether limits apply.
    pub(crate) fn describe(&self) -> String {
        match self {
            Cgroups::V2 { base, limits } => format!(
                "cgroup v2 at {}{}",
                base.display(),
                if *limits {
                    ""
                } else {
                    " (no pids or memory controller: limits not applied)"
                }
            ),
            Cgroups::V1 {
                freezer,
                pids,
                memory,
            } => format!(
                "cgroup v1 at {} (pids limit: {}, memory limit: {})",
                freezer.display(),
                if pids.is_some() { "yes" } else { "not mounted" },
                if memory.is_some() {
                    "yes"
                } else {
                    "not mounted"
                },
            ),
        }
    }

    /// The group folders of `session`, one per hierarchy.
    fn dirs(&self, session: &str) -> Vec<PathBuf> {
        match self {
            Cgroups::V2 { base, .. } => vec![base.join(session)],
            Cgroups::V1 {
                freezer,
                pids,
                memory,
            } => [Some(freezer), pids.as_ref(), memory.as_ref()]
                .into_iter()
                .flatten()
                .map(|base| base.join(session))
                .collect(),
        }
    }

    /// Creates `session`'s group with `limits`, and returns what a child needs to join it.
    pub(crate) fn create(&self, session: &str, limits: &Limits) -> std::io::Result<Joiner> {
        let pids_max = limits.pids_max.unwrap_or(DEFAULT_PIDS_MAX).to_string();
        match self {
            Cgroups::V2 {
                base,
                limits: with_limits,
            } => {
                let dir = base.join(session);
                if *with_limits {
                    // Controllers reach a group only when every ancestor delegates them.
                    let top = base.ancestors().nth(2).unwrap_or(base);
                    for ancestor in [top, base.parent().unwrap_or(base), base.as_path()] {
                        std::fs::create_dir_all(ancestor)?;
                        write(&ancestor.join("cgroup.subtree_control"), "+pids +memory")?;
                    }
                }
                std::fs::create_dir_all(&dir)?;
                if *with_limits {
                    write(&dir.join("pids.max"), &pids_max)?;
                    let memory = limits
                        .memory_max_bytes
                        .map_or("max".into(), |b| b.to_string());
                    write(&dir.join("memory.max"), &memory)?;
                }
            }
            Cgroups::V1 { pids, memory, .. } => {
                for dir in self.dirs(session) {
                    std::fs::create_dir_all(&dir)?;
                }
                if let Some(pids) = pids {
                    write(&pids.join(session).join("pids.max"), &pids_max)?;
                }
                if let (Some(memory), Some(bytes)) = (memory, limits.memory_max_bytes) {
                    write(
                        &memory.join(session).join("memory.limit_in_bytes"),
                        &bytes.to_string(),
                    )?;
                }
            }
        }
        let procs = self
            .dirs(session)
            .iter()
            .map(|dir| {
                CString::new(
                    dir.join("cgroup.procs")
                        .into_os_string()
                        .into_encoded_bytes(),
                )
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
        Ok(Joiner { procs })
    }

    /// The group folder that lists every member of `session`'s group: each process joins
    /// every hierarchy at once, so v1's freezer group holds what the others do.
    fn members_dir(&self, session: &str) -> PathBuf {
        match self {
            Cgroups::V2 { base, .. } => base.join(session),
            Cgroups::V1 { freezer, .. } => freezer.join(session),
        }
    }

    /// Every process in `session`'s group.
    pub(crate) fn members(&self, session: &str) -> Vec<u32> {
        let procs = self.members_dir(session).join("cgroup.procs");
        let text = std::fs::read_to_string(procs).unwrap_or_default();
        // v1 does not promise a list free of repeats.
        let mut pids: Vec<u32> = text.lines().filter_map(|l| l.trim().parse().ok()).collect();
        pids.sort_unstable();
        pids.dedup();
        pids
    }

    /// Kills every member of `session`'s group at once; none can fork away meanwhile.
    pub(crate) fn kill_all(&self, session: &str) {
        match self {
            Cgroups::V2 { .. } => {
                let _ = write(&self.members_dir(session).join("cgroup.kill"), "1");
            }
            Cgroups::V1 { .. } => {
                let state = self.members_dir(session).join("freezer.state");
                if write(&state, "FROZEN").is_err() {
                    return;
                }
                let deadline = Instant::now() + Duration::from_secs(1);
                while Instant::now() < deadline
                    && std::fs::read_to_string(&state).is_ok_and(|s| s.trim() != "FROZEN")
                {
                    std::thread::sleep(Duration::from_millis(5));
                }
                for pid in self.members(session) {
                    let _ = nix::sys::signal::kill(
                        nix::unistd::Pid::from_raw(pid as i32),
                        nix::sys::signal::Signal::SIGKILL,
                    );
                }
                let _ = write(&state, "THAWED");
            }
        }
    }

    /// Removes `session`'s (empty) group, and the root's folder when it was the last;
    /// missing is fine.
    pub(crate) fn remove(&self, session: &str) -> std::io::Result<()> {
        for dir in self.dirs(session) {
            match std::fs::remove_dir(&dir) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
            // Fails while other desktops of this root run: then it stays, as it should.
            if let Some(tag) = dir.parent() {
                let _ = std::fs::remove_dir(tag);
            }
        }
        Ok(())
    }
}

/// What a child process needs to enter its desktop's group: the `cgroup.procs` files, as C
/// strings made before the fork (nothing may allocate between fork and exec).
#[derive(Clone, Debug, Default)]
pub(crate) struct Joiner {
    procs: Vec<CString>,
}

impl Joiner {
    /// Moves the calling process into the group. Runs between fork and exec, as root: only
    /// `open` and `write`, which are async-signal-safe.
    pub(crate) fn join(&self) -> std::io::Result<()> {
        use nix::fcntl::{open, OFlag};
        use nix::sys::stat::Mode;
        for path in &self.procs {
            let fd = open(
                path.as_c_str(),
                OFlag::O_WRONLY | OFlag::O_CLOEXEC,
                Mode::empty(),
            )?;
            nix::unistd::write(&fd, b"0")?;
        }
        Ok(())
    }
}

fn write(path: &Path, value: &str) -> std::io::Result<()> {
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|mut f| f.write_all(value.as_bytes()))
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}

/// Mount points of file system type `fstype` in `/proc/self/mountinfo`, with their super
/// options (for cgroup v1, the controllers).
fn mounts_of<'a>(
    mountinfo: &'a str,
    fstype: &'a str,
) -> impl Iterator<Item = (PathBuf, &'a str)> + 'a {
    mountinfo.lines().filter_map(move |line| {
        let (before, after) = line.split_once(" - ")?;
        let mount_point = before.split(' ').nth(4)?;
        let mut after = after.split(' ');
        (after.next()? == fstype).then_some(())?;
        let options = after.nth(1).unwrap_or("");
        Some((PathBuf::from(mount_point), options))
    })
}

/// A short, stable name for a desktops root (FNV-1a of its path), so two roots on one host
/// never share a group.
fn root_tag(root: &Path) -> String {
    let hash = root
        .as_os_str()
        .as_encoded_bytes()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
        });
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_names_the_hierarchies() {
        let text = "35 25 0:30 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n\
                    36 25 0:31 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
        let v1: Vec<_> = mounts_of(text, "cgroup").collect();
        assert_eq!(v1, vec![(PathBuf::from("/sys/fs/cgroup/pids"), "rw,pids")]);
        let v2: Vec<_> = mounts_of(text, "cgroup2").map(|(d, _)| d).collect();
        assert_eq!(v2, vec![PathBuf::from("/sys/fs/cgroup/unified")]);
    }

    #[test]
    fn roots_get_distinct_stable_tags() {
        assert_eq!(root_tag(Path::new("/a")), root_tag(Path::new("/a")));
        assert_ne!(root_tag(Path::new("/a")), root_tag(Path::new("/b")));
    }
}
