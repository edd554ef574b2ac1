//! The streaming-session calls that tests make again and again, each asserting that it
//! succeeded. `sessions` is the path of a studio's sessions (`SESSIONS` for the demo
//! studio), so tests of other studios (real desktops, EC2) share them too.

use crate::{Client, SESSIONS};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

impl Client {
    /// The demo studio's session `id` now.
    pub async fn session(&self, id: &str) -> Value {
        self.session_in(SESSIONS, id).await
    }

    /// Session `id` of the studio whose sessions are at `sessions`, now.
    pub async fn session_in(&self, sessions: &str, id: &str) -> Value {
        let reply = self.get(&format!("{sessions}/{id}")).await;
        assert_eq!(reply.status, 200, "{}", reply.json);
        reply.json["session"].clone()
    }

    /// Creates a session for `owner` on the demo studio's artist profile; its id.
    pub async fn create(&self, owner: &str) -> String {
        let body = json!({"launchProfileId": "lp-artist", "ownedBy": owner});
        self.create_in(SESSIONS, body).await
    }

    /// Creates a session from the CreateStreamingSession `body`; its id.
    pub async fn create_in(&self, sessions: &str, body: Value) -> String {
        let reply = self.call("POST", sessions, Some(body), None).await;
        assert_eq!(reply.status, 200, "{}", reply.json);
        reply.json["session"]["sessionId"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Polls session `id` until it is in `state`, for up to 30 s; its last document.
    pub async fn wait_for_state(&self, sessions: &str, id: &str, state: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let reply = self.get(&format!("{sessions}/{id}")).await;
            let session = reply.json["session"].clone();
            if session["state"] == state {
                return session;
            }
            assert!(
                Instant::now() < deadline,
                "session {id} never reached {state}: {session}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A session action (`start`, `stop`, …) that must be accepted; the session after it.
    pub async fn act(&self, sessions: &str, id: &str, action: &str, body: Value) -> Value {
        let path = format!("{sessions}/{id}/{action}");
        let reply = self.call("POST", &path, Some(body), None).await;
        assert_eq!(reply.status, 200, "{action}: {}", reply.json);
        reply.json["session"].clone()
    }

    /// A new stream of session `id`, valid for `seconds`: its URL and the token in it.
    pub async fn new_stream(&self, sessions: &str, id: &str, seconds: u32) -> (String, String) {
        let body = json!({"expirationInSeconds": seconds});
        let path = format!("{sessions}/{id}/streams");
        let reply = self.call("POST", &path, Some(body), None).await;
        assert_eq!(reply.status, 200, "{}", reply.json);
        let url = reply.json["stream"]["url"].as_str().unwrap().to_owned();
        let token = url
            .split("authToken=")
            .nth(1)
            .and_then(|rest| rest.split(['&', '#']).next())
            .unwrap()
            .to_owned();
        (url, token)
    }

    /// Every session of the demo studio, walking all pages with the given query.
    pub async fn walk(&self, query: &str) -> Vec<Value> {
        let mut all = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut path = format!("{SESSIONS}?{query}");
            if let Some(t) = &token {
                path.push_str(&format!("&nextToken={t}"));
            }
            let reply = self.get(&path).await;
            assert_eq!(reply.status, 200, "{}", reply.json);
            all.extend(reply.json["sessions"].as_array().unwrap().iter().cloned());
            match reply.json["nextToken"].as_str() {
                Some(t) => token = Some(t.to_owned()),
                None => return all,
            }
        }
    }

    /// The thumbnail at `path` (GetSessionThumbnail, GetSharedSessionThumbnail): the
    /// status, and the picture's JPEG when there is one.
    pub async fn thumbnail(&self, path: &str) -> (u16, Value, Option<Vec<u8>>) {
        use base64::Engine;
        let reply = self.get(path).await;
        let image = reply.json["thumbnail"]["image"].as_str();
        let jpeg = image.map(|i| base64::engine::general_purpose::STANDARD.decode(i).unwrap());
        (reply.status, reply.json, jpeg)
    }
}
