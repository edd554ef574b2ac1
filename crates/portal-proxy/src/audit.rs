//! The audit trail: one JSON line per state-changing action, on the `audit` tracing target
//! (main.rs writes that target, undecorated, to stdout), and one per sign-in attempt.

use nimble_model::Timestamp;

pub struct Entry<'a> {
    pub login: &'a str,
    pub user: &'a str,
    pub operation: &'a str,
    pub session: Option<&'a str>,
    pub status: u16,
    pub request_id: &'a str,
}

pub fn line(entry: &Entry) -> String {
    serde_json::json!({
        "time": Timestamp::now().to_string(),
        "login": entry.login,
        "user": entry.user,
        "operation": entry.operation,
        "session": entry.session,
        "result": if (200..300).contains(&entry.status) { "ok" } else { "refused" },
        "status": entry.status,
        "requestId": entry.request_id,
    })
    .to_string()
}

pub fn record(entry: &Entry) {
    tracing::info!(target: "audit", "{}", line(entry));
}

/// A sign-in attempt, and whether it succeeded.
pub fn login(login: &str, ok: bool) {
    let line = serde_json::json!({
        "time": Timestamp::now().to_string(),
        "login": login,
        "operation": "Login",
        "result": if ok { "ok" } else { "refused" },
    });
    tracing::info!(target: "audit", "{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_one_json_object_with_every_field() {
        let text = line(&Entry {
            login: "a@x",
            user: "alice",
            operation: "StopStreamingSession",
            session: Some("ss-1"),
            status: 409,
            request_id: "r-1",
        });
        assert!(!text.contains('\n'));
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["result"], "refused");
        assert_eq!(value["session"], "ss-1");
        assert!(value["time"].as_str().unwrap().ends_with('Z'));
    }
}
