//! Sharing an EC2 workstation through Amazon DCV's own collaboration, against moto. The
//! agent's permissions watch that the user data installs is run here for real
//! (`deploy/ec2/studio-portal-permissions.sh`, with the session's token and settings read
//! from the instance's user data), against local-studio. DCV itself cannot be installed
//! on this machine, so a stand-in `dcv` first on its PATH records what the watch asks of
//! DCV: each `set-permissions` file, and each `close-connection`; it lists bob as
//! connected. What DCV then does with the file is DCV's (see docs/aws.md).
//!
//! Checked: the verifier lets bob in under his own name with his own one-time token; the
//! permissions say view-only (`display pointer`) or control (`keyboard mouse` too) within
//! a second of the owner's choice; a revoke and an expiry (on the test clock) take him out
//! and close his connection within a second; an admin's support view is view-only and the
//! owner sees it; a colleague whose id is the owner's DCV name is refused; and the watch
//! answers no one without the session's token.

mod cloud;

use cloud::moto::Moto;
use cloud::*;
use serde_json::{json, Value};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use test_support::Studio;

const STUDIO: &str = "/2020-08-01/studios/cloud-studio";
const WATCH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../deploy/ec2/studio-portal-permissions.sh"
);
const AGENT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../deploy/ec2/studio-portal-agent.sh"
);

/// Stands in for DCV's command line: appends each call to `calls`, copies each file it
/// is given to `applied`, and lists the connections in `listed`: bob's (id 7) and alice's
/// (id 3) until the test says otherwise.
const DCV: &str = r#"#!/bin/bash
echo "$*" >> "$DCV_CALLS"
case "$1" in
  set-permissions) cp "$5" "$DCV_APPLIED" ;;
  list-connections) cat "$DCV_LISTED" 2>/dev/null \
    || echo '{"connections": [{"id": "7", "user": "bob"}, {"id": "3", "user": "alice_ws"}]}' ;;
esac
"#;

/// The permissions watch, running as on the instance; killed with its curl when dropped.
struct PermissionsWatch {
    child: Child,
    calls: PathBuf,
    applied: PathBuf,
}

impl PermissionsWatch {
    fn start(dir: &Path, studio: &Studio, script: &str) -> PermissionsWatch {
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::write(bin.join("dcv"), DCV).unwrap();
        Command::new("chmod")
            .args(["+x", bin.join("dcv").to_str().unwrap()])
            .status()
            .unwrap();
        let file = dir.join("studio-portal.perm");
        std::fs::write(&file, first_permissions(script)).unwrap();
        let (calls, applied) = (dir.join("calls.log"), dir.join("applied.perm"));
        let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
        let child = Command::new("bash")
            .arg(WATCH)
            .env("PATH", path)
            .env("AGENT_TOKEN", user_data_value(script, "AGENT_TOKEN"))
            .env("SESSION_ID", user_data_value(script, "SESSION_ID"))
            // The instance calls the URL in its user data; this test reaches the same
            // server on loopback.
            .env("PERMISSIONS_URL", studio.url("/agent/permissions"))
            .env("PERMISSIONS_FILE", &file)
            .env("DCV_CALLS", &calls)
            .env("DCV_APPLIED", &applied)
            .env("DCV_LISTED", dir.join("listed.json"))
            .stdout(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap();
        PermissionsWatch {
            child,
            calls,
            applied,
        }
    }

    /// Runs the activity agent once, as its timer does, with the same stand-in `dcv`.
    async fn report_activity(&self, dir: &Path, studio: &Studio, script: &str) {
        let path = format!(
            "{}:{}",
            dir.join("bin").display(),
            std::env::var("PATH").unwrap()
        );
        let mut agent = Command::new("bash");
        agent
            .arg(AGENT)
            .env("PATH", path)
            .env("AGENT_TOKEN", user_data_value(script, "AGENT_TOKEN"))
            .env("SESSION_ID", user_data_value(script, "SESSION_ID"))
            .env("AGENT_URL", studio.url("/agent/activity"))
            .env("AGENT_STATE", dir.join("agent.cpu"))
            .env("DCV_CALLS", &self.calls)
            .env("DCV_APPLIED", &self.applied)
            .env("DCV_LISTED", dir.join("listed.json"));
        // Off the runtime: the server that answers it runs on this test's.
        let status = tokio::task::spawn_blocking(move || agent.status().unwrap());
        assert!(status.await.unwrap().success(), "the agent's report");
    }

    fn applied(&self) -> String {
        std::fs::read_to_string(&self.applied).unwrap_or_default()
    }

    fn calls(&self) -> String {
        std::fs::read_to_string(&self.calls).unwrap_or_default()
    }

    /// Waits up to a second for DCV to have been given a file that `holds`.
    async fn applied_within_a_second(&self, what: &str, holds: impl Fn(&str) -> bool) {
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
    async fn called_within_a_second(&self, call: &str) {
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

impl Drop for PermissionsWatch {
    fn drop(&mut self) {
        // The watch leads its own process group: its curl goes with it.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-9", "--", &group]).status();
        let _ = self.child.wait();
    }
}

async fn put_share(studio: &Studio, session: &str, user: &str, body: Value) -> (u16, Value) {
    let path = format!("{STUDIO}/streaming-sessions/{session}/shares/{user}");
    let reply = studio.call("PUT", &path, Some(body), None).await;
    (reply.status, reply.json)
}

/// `user`'s join of `session`: the stream's URL, or the error status.
async fn join(studio: &Studio, session: &str, user: &str) -> Result<String, u16> {
    let path = format!("{STUDIO}/artists/{user}/shared-sessions/{session}/streams");
    let reply = studio.call("POST", &path, Some(json!({})), None).await;
    match reply.status {
        200 => Ok(reply.json["stream"]["url"].as_str().unwrap().to_owned()),
        status => Err(status),
    }
}

/// Who alice's Share dialog says is connected.
async fn connected(studio: &Studio, session: &str) -> Vec<String> {
    let path = format!("{STUDIO}/streaming-sessions/{session}/shares");
    let listed = studio.call("GET", &path, None, None).await;
    serde_json::from_value(listed.json["viewers"].clone()).unwrap()
}

fn token_of(url: &str) -> &str {
    let start = url.find("authToken=").unwrap() + "authToken=".len();
    &url[start..url.find('#').unwrap()]
}

fn yes(user: &str) -> String {
    format!(r#"<auth result="yes"><username>{user}</username></auth>"#)
}

#[tokio::test]
async fn a_shared_ec2_workstation_is_opened_to_the_colleague_through_dcvs_own_permissions() {
    let moto = Moto::start().await;
    let ami = moto.register_image("studio-workstation-2026").await;
    let files = CloudStudio::new(&moto.url, &ami);
    let studio = test_support::start(files.config()).await;
    let alice = create(&studio, "alice", json!({})).await;
    wait_for(&studio, &alice, "READY").await;
    let script = user_data(&moto, &alice).await;
    assert_eq!(
        user_data_value(&script, "PERMISSIONS_URL"),
        "https://portal.example.test/agent/permissions"
    );
    assert!(script.contains("/usr/local/sbin/studio-portal-permissions"));

    // The watch answers only with the session's own token.
    let url = studio.url(&format!("/agent/permissions?sessionId={alice}"));
    let bare = studio.http.get(&url).send().await.unwrap();
    assert_eq!(bare.status(), 401);
    let forged = studio.http.get(&url).bearer_auth("0".repeat(64)).send();
    assert_eq!(forged.await.unwrap().status(), 401);

    let dir = tempfile::tempdir().unwrap();
    let watch = PermissionsWatch::start(dir.path(), &studio, &script);
    watch
        .applied_within_a_second("the owner's file, applied at start", |f| {
            f == first_permissions(&script)
        })
        .await;

    // Bob, view-only: DCV is told within a second, and the verifier lets him in under his
    // own name, once.
    let (status, shared) = put_share(&studio, &alice, "bob", json!({"mode": "VIEW_ONLY"})).await;
    assert_eq!(status, 200, "{shared}");
    watch
        .applied_within_a_second("bob may see", |f| {
            f.contains("bob allow display pointer\n") && !f.contains("bob allow keyboard")
        })
        .await;
    let bobs = join(&studio, &alice, "bob").await.unwrap();
    assert!(bobs.starts_with("https://") && bobs.ends_with(&format!("#{alice}")));
    assert_eq!(verify(&studio, &alice, token_of(&bobs)).await.1, yes("bob"));
    let no = r#"<auth result="no"/>"#;
    assert_eq!(
        verify(&studio, &alice, token_of(&bobs)).await.1,
        no,
        "spent"
    );
    assert_eq!(
        connected(&studio, &alice).await,
        ["bob"],
        "alice sees him at once"
    );
    assert_eq!(
        join(&studio, &alice, "Carol").await,
        Err(404),
        "not invited"
    );

    // Control: his keys and mouse too, and he stays connected.
    put_share(&studio, &alice, "bob", json!({"mode": "CONTROL"})).await;
    watch
        .applied_within_a_second("bob may use it", |f| {
            f.contains("bob allow keyboard mouse\nbob allow clipboard-copy clipboard-paste\n")
        })
        .await;
    assert!(
        !watch.calls().contains("close-connection"),
        "{}",
        watch.calls()
    );

    // Revoked: out of the file and disconnected within a second; his token says no.
    let unused = join(&studio, &alice, "bob").await.unwrap();
    let revoke = format!("{STUDIO}/streaming-sessions/{alice}/shares/bob");
    assert_eq!(studio.call("DELETE", &revoke, None, None).await.status, 200);
    watch
        .applied_within_a_second("bob gone", |f| !f.contains("bob"))
        .await;
    let closed = format!("close-connection --session {alice} 7");
    watch.called_within_a_second(&closed).await;
    assert!(!watch
        .calls()
        .contains(&format!("close-connection --session {alice} 3")));
    assert_eq!(verify(&studio, &alice, token_of(&unused)).await.1, no);
    // The agent's next report says who is still there: alice alone.
    let alone = r#"{"connections": [{"id": "3", "user": "alice_ws"}]}"#;
    std::fs::write(dir.path().join("listed.json"), alone).unwrap();
    watch.report_activity(dir.path(), &studio, &script).await;
    assert!(connected(&studio, &alice).await.is_empty(), "bob left");

    // Expiry, on the test clock: gone within a second of the end.
    put_share(&studio, &alice, "bob", json!({"minutes": 1})).await;
    watch
        .applied_within_a_second("bob back", |f| f.contains("bob allow display"))
        .await;
    studio.server.advance_clock(Duration::from_secs(61));
    watch
        .applied_within_a_second("bob's share ran out", |f| !f.contains("bob"))
        .await;

    // An admin's support view: a view-only share the owner sees, and DCV's file names.
    let support = format!("{STUDIO}/streaming-sessions/{alice}/support-streams");
    let reply = studio.call("POST", &support, Some(json!({})), None).await;
    assert_eq!(reply.json["mode"], "VIEW_ONLY", "{}", reply.json);
    let listed = studio
        .call(
            "GET",
            &format!("{STUDIO}/streaming-sessions/{alice}/shares"),
            None,
            None,
        )
        .await;
    let admin = listed.json["shares"][0]["userId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(listed.json["shares"][0]["mode"], "VIEW_ONLY");
    let admins_url = reply.json["stream"]["url"].as_str().unwrap();
    assert_eq!(
        verify(&studio, &alice, token_of(admins_url)).await.1,
        yes(&admin)
    );
    watch
        .applied_within_a_second("the admin may see", |f| {
            f.contains(&format!("{admin} allow display pointer\n")) && !f.contains("keyboard")
        })
        .await;

    // Alice is alice_ws on her workstation: a share with alice_ws would make its holder
    // her, to DCV. Refused, and nothing changes.
    let (status, refused) = put_share(&studio, &alice, "alice_ws", json!({})).await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused["message"].as_str().unwrap().contains("owner"),
        "{refused}"
    );
    assert!(!watch.applied().contains("alice_ws"));

    // The watch waited for each change (its tag sent back), applying each file once.
    let applied = watch.calls().matches("set-permissions").count();
    assert_eq!(applied, 7, "{}", watch.calls());
}
