//! The audit trail: one JSON line per state-changing action, on the `audit` tracing target
//! (main.rs writes that target, undecorated, to stdout), and one per sign-in attempt.
//!
//! Names and ids come from clients: each is logged [`bounded`], at most 64 characters
//! with control characters escaped, so a line stays short and one line.

use nimble_model::Timestamp;

pub struct Entry<'a> {
    pub login: &'a str,
    pub user: &'a str,
    pub operation: &'a str,
    pub session: Option<&'a str>,
    pub status: u16,
    pub request_id: &'a str,
    /// Whose workstation it is, where known (an admin acting on an artist's).
    pub owner: Option<&'a str>,
    /// Why, when the change came with a reason.
    pub reason: Option<&'a str>,
}

pub fn line(entry: &Entry) -> String {
    serde_json::json!({
        "time": Timestamp::now().to_string(),
        "login": bounded(entry.login),
        "user": bounded(entry.user),
        "operation": entry.operation,
        "session": entry.session.map(bounded),
        "result": if (200..300).contains(&entry.status) { "ok" } else { "refused" },
        "status": entry.status,
        "requestId": entry.request_id,
        "owner": entry.owner.map(bounded),
        "reason": entry.reason.map(bounded),
    })
    .to_string()
}

/// Characters of a client's text that are logged.
const LOGGED_CHARS: usize = 64;

/// `text` cut to [`LOGGED_CHARS`] characters (then `…`), control characters escaped
/// (`\u{1b}`).
pub fn bounded(text: &str) -> String {
    let mut logged = String::new();
    let mut count = 0;
    for c in text.chars() {
        let piece: String = if c.is_control() {
            c.escape_unicode().collect()
        } else {
            c.to_string()
        };
        let length = piece.chars().count();
        if count + length > LOGGED_CHARS {
            logged.push('…');
            break;
        }
        logged.push_str(&piece);
        count += length;
    }
    logged
}

pub fn record(entry: &Entry) {
    tracing::info!(target: "audit", "{}", line(entry));
}

/// A sign-in attempt, and whether it succeeded.
pub fn login(login: &str, ok: bool) {
    tracing::info!(target: "audit", "{}", login_line(login, ok));
}

fn login_line(login: &str, ok: bool) -> String {
    serde_json::json!({
        "time": Timestamp::now().to_string(),
        "login": bounded(login),
        "operation": "Login",
        "result": if ok { "ok" } else { "refused" },
    })
    .to_string()
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
            owner: None,
            reason: None,
        });
        assert!(!text.contains('\n'));
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["result"], "refused");
        assert_eq!(value["session"], "ss-1");
        assert!(value["time"].as_str().unwrap().ends_with('Z'));
    }

    #[test]
    fn a_login_name_is_logged_short_and_without_control_characters() {
        let sent = format!("{}\n{{\"forged\":1}}\u{1b}[2J", "x".repeat(60));
        let value: serde_json::Value = serde_json::from_str(&login_line(&sent, false)).unwrap();
        let logged = value["login"].as_str().unwrap();
        assert!(logged.chars().count() <= 65, "{logged}");
        assert!(!logged.chars().any(char::is_control), "{logged:?}");
        assert!(logged.starts_with(&"x".repeat(60)));
        let long = "y".repeat(70_000);
        let value: serde_json::Value = serde_json::from_str(&login_line(&long, false)).unwrap();
        assert!(value["login"].as_str().unwrap().chars().count() <= 65);
    }
}
