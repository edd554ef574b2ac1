//! Sharing an EC2 workstation through Amazon DCV's own collaboration, against moto, with
//! the agent's permissions watch and activity report run for real (`cloud/instance.rs`,
//! with a stand-in `dcv` that records what they ask of DCV).
//!
//! Checked: the verifier lets bob in under his own name with his own one-time token, and
//! alice sees him connected; the permissions say view-only (`display pointer`) or control
//! (`keyboard mouse` too) within a second of the owner's choice; a revoke and an expiry
//! (on the test clock) take him out and close his connection within a second, and the
//! agent's next report says he left; an admin's support view is view-only and the owner
//! sees it; a colleague whose id is the owner's DCV name is refused; and the watch answers
//! no one without the session's token.

mod cloud;

use cloud::instance::Instance;
use cloud::*;
use serde_json::{json, Value};
use std::time::Duration;
use test_support::Studio;

const STUDIO: &str = "/2020-08-01/studios/cloud-studio";

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
    let AlicesWorkstation {
        studio,
        session: alice,
        user_data: script,
        ..
    } = alices_workstation().await;
    assert_eq!(
        user_data_value(&script, "PERMISSIONS_URL"),
        "https://portal.example.test/agent/permissions"
    );

    // The watch answers only with the session's own token.
    let url = studio.url(&format!("/agent/permissions?sessionId={alice}"));
    let bare = studio.http.get(&url).send().await.unwrap();
    assert_eq!(bare.status(), 401);
    let forged = studio.http.get(&url).bearer_auth("0".repeat(64)).send();
    assert_eq!(forged.await.unwrap().status(), 401);

    let mut instance = Instance::new(&script);
    instance.start("studio-portal-permissions", &studio);
    instance
        .applied_within_a_second("the owner's file, applied at start", |f| {
            f == first_permissions(&script)
        })
        .await;

    // Bob, view-only: DCV is told within a second, and the verifier lets him in under his
    // own name, once.
    let (status, shared) = put_share(&studio, &alice, "bob", json!({"mode": "VIEW_ONLY"})).await;
    assert_eq!(status, 200, "{shared}");
    instance
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
    instance
        .applied_within_a_second("bob may use it", |f| {
            f.contains("bob allow keyboard mouse\nbob allow clipboard-copy clipboard-paste\n")
        })
        .await;
    assert!(
        !instance.calls().contains("close-connection"),
        "{}",
        instance.calls()
    );

    // Revoked: out of the file and disconnected within a second; his token says no.
    let unused = join(&studio, &alice, "bob").await.unwrap();
    let revoke = format!("{STUDIO}/streaming-sessions/{alice}/shares/bob");
    assert_eq!(studio.call("DELETE", &revoke, None, None).await.status, 200);
    instance
        .applied_within_a_second("bob gone", |f| !f.contains("bob"))
        .await;
    let closed = format!("close-connection --session {alice} 7");
    instance.called_within_a_second(&closed).await;
    assert!(!instance
        .calls()
        .contains(&format!("close-connection --session {alice} 3")));
    assert_eq!(verify(&studio, &alice, token_of(&unused)).await.1, no);
    // The agent's next report says who is still there: alice alone.
    let alone = r#"{"connections": [{"id": "3", "user": "alice_ws"}]}"#;
    instance.set_connections(alone);
    instance.report_activity(&studio).await;
    assert!(connected(&studio, &alice).await.is_empty(), "bob left");

    // Expiry, on the test clock: gone within a second of the end.
    put_share(&studio, &alice, "bob", json!({"minutes": 1})).await;
    instance
        .applied_within_a_second("bob back", |f| f.contains("bob allow display"))
        .await;
    studio.server.advance_clock(Duration::from_secs(61));
    instance
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
    instance
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
    assert!(!instance.applied().contains("alice_ws"));

    // The watch waited for each change (its tag sent back), applying each file once.
    let applied = instance.calls().matches("set-permissions").count();
    assert_eq!(applied, 7, "{}", instance.calls());
}
