//! An EC2 workstation's agent, run for real against local-studio: the scripts the user
//! data installs (`deploy/ec2/studio-portal-*.sh`), with the session's token and id read
//! from the instance's user data, as on the instance. DCV itself cannot be installed on
//! this machine, so a stand-in `dcv` first on their PATH records what they ask of it: each
//! call, each `set-permissions` file (`applied`); it lists the connections in `listed`
//! (bob's, id 7, and alice's, id 3, until a test says otherwise) and answers
//! `get-screenshot` with the picture in `screen`. What DCV does then is DCV's.

use super::{first_permissions, user_data_value};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use test_support::Studio;

const DCV: &str = r#"#!/bin/bash
echo "$*" >> "$DCV_CALLS"
case "$1" in
  set-permissions) cp "$5" "$DCV_APPLIED" ;;
  list-connections) cat "$DCV_LISTED" 2>/dev/null \
    || echo '{"connections": [{"id": "7", "user": "bob"}, {"id": "3", "user": "alice_ws"}]}' ;;
  get-screenshot)
    while [ $# -gt 0 ]; do [ "$1" = --output ] && out=$2; shift; done
    cp "$DCV_SCREEN" "$out" ;;
esac
"#;

/// The instance's side: the agent's scripts and the stand-in `dcv`, in a folder of its
/// own. Every script started is killed, with its curl, when this is dropped.
pub struct Instance {
    dir: tempfile::TempDir,
    user_data: String,
    running: Vec<Child>,
}

impl Instance {
    /// The instance whose user data is `user_data`, with the first permissions file in place.
    pub fn new(user_data: &str) -> Instance {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::write(bin.join("dcv"), DCV).unwrap();
        Command::new("chmod")
            .arg("+x")
            .arg(bin.join("dcv"))
            .status()
            .unwrap();
        let perm = dir.path().join("studio-portal.perm");
        std::fs::write(perm, first_permissions(user_data)).unwrap();
        Instance {
            dir,
            user_data: user_data.to_owned(),
            running: Vec::new(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `deploy/ec2/NAME.sh` as the instance runs it. It calls `studio` on loopback where
    /// the instance would call the URLs in its user data, the same server.
    fn script(&self, name: &str, studio: &Studio) -> Command {
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../deploy/ec2/{name}.sh"));
        let path = format!(
            "{}:{}",
            self.path("bin").display(),
            std::env::var("PATH").unwrap()
        );
        let value = |name: &str| user_data_value(&self.user_data, name);
        let mut command = Command::new("bash");
        command
            .arg(script)
            .env("PATH", path)
            .env("AGENT_TOKEN", value("AGENT_TOKEN"))
            .env("SESSION_ID", value("SESSION_ID"))
            .env("AGENT_URL", studio.url("/agent/activity"))
            .env("PERMISSIONS_URL", studio.url("/agent/permissions"))
            .env("THUMBNAIL_URL", studio.url("/agent/thumbnail"))
            .env("AGENT_STATE", self.path("agent.cpu"))
            .env("PERMISSIONS_FILE", self.path("studio-portal.perm"))
            .env("DCV_CALLS", self.path("calls.log"))
            .env("DCV_APPLIED", self.path("applied.perm"))
            .env("DCV_LISTED", self.path("listed.json"))
            .env("DCV_SCREEN", self.path("screen.jpeg"))
            .stdout(Stdio::null());
        command
    }

    /// Starts one of the agent's services (`studio-portal-permissions`, `-thumbnails`),
    /// which the user data installs.
    pub fn start(&mut self, service: &str, studio: &Studio) {
        let installed = format!("/usr/local/sbin/{service}");
        assert!(self.user_data.contains(&installed), "{}", self.user_data);
        let child = self
            .script(service, studio)
            .process_group(0)
            .spawn()
            .unwrap();
        self.running.push(child);
    }

    /// Runs the activity agent once, as its timer does.
    pub async fn report_activity(&self, studio: &Studio) {
        let mut agent = self.script("studio-portal-agent", studio);
        // Off the runtime: the server that answers it runs on this test's.
        let status = tokio::task::spawn_blocking(move || agent.status().unwrap());
        assert!(status.await.unwrap().success(), "the agent's report");
    }

    /// DCV's connections, as `dcv list-connections --json` prints them.
    pub fn set_connections(&self, json: &str) {
        std::fs::write(self.path("listed.json"), json).unwrap();
    }

    /// What the desktop shows, as `dcv get-screenshot` would picture it.
    pub fn set_screen(&self, jpeg: &[u8]) {
        std::fs::write(self.path("screen.jpeg"), jpeg).unwrap();
    }

    pub fn applied(&self) -> String {
        std::fs::read_to_string(self.path("applied.perm")).unwrap_or_default()
    }

    pub fn calls(&self) -> String {
        std::fs::read_to_string(self.path("calls.log")).unwrap_or_default()
    }

    /// Waits up to a second for DCV to have been given a file that `holds`.
    pub async fn applied_within_a_second(&self, what: &str, holds: impl Fn(&str) -> bool) {
        let start = Instant::now();
        while !holds(&self.applied()) {
            assert!(
                start.elapsed() < Duration::from_secs(1),
                "{what} within a second: applied\n{}",
                self.applied()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits up to a second for a call to DCV that contains `call`.
    pub async fn called_within_a_second(&self, call: &str) {
        let start = Instant::now();
        while !self.calls().contains(call) {
            assert!(
                start.elapsed() < Duration::from_secs(1),
                "{call}: {}",
                self.calls()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        for child in &mut self.running {
            // Each script leads its own process group: its curl goes with it.
            let group = format!("-{}", child.id());
            let _ = Command::new("kill").args(["-9", "--", &group]).status();
            let _ = child.wait();
        }
    }
}
