//! The EC2 workstation agent's credential. The agent on each instance reports its
//! activity to `POST /agent/activity` (`agent.rs`) with its session's token, which is
//! HMAC-SHA256 of the session id under a key this server keeps in its store (256 random
//! bits, made once). Nothing per session is stored, so a crash between launching an
//! instance and recording it loses nothing; and a token answers for its own session only.
//!
//! The token reaches the instance in its user data (`{{agent_token}}`), which processes on
//! the instance and holders of ec2:DescribeInstanceAttribute can read. It can only report
//! that its own session is in use, which anyone at that desktop can do anyway by using it.

use hmac::{Hmac, Mac};
use sha2::Sha256;

#[derive(Clone)]
pub struct AgentKey([u8; 32]);

impl AgentKey {
    /// A new random key.
    pub fn random() -> AgentKey {
        let mut key = [0u8; 32];
        for half in key.chunks_mut(16) {
            half.copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        }
        AgentKey(key)
    }

    /// The key as the store keeps it (hex), and back.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn from_hex(hex: &str) -> Option<AgentKey> {
        let mut key = [0u8; 32];
        if hex.len() != 64 {
            return None;
        }
        for (i, byte) in key.iter_mut().enumerate() {
            *byte = u8::from_str_radix(hex.get(i * 2..i * 2 + 2)?, 16).ok()?;
        }
        Some(AgentKey(key))
    }

    fn mac(&self, session_id: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(b"studio-portal agent\0");
        mac.update(session_id.as_bytes());
        mac
    }

    /// Session `session_id`'s token (hex).
    pub fn token_for(&self, session_id: &str) -> String {
        let tag = self.mac(session_id).finalize().into_bytes();
        tag.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Whether `token` is session `session_id`'s (compared in constant time).
    pub fn accepts(&self, session_id: &str, token: &str) -> bool {
        let Some(bytes) = (0..token.len() / 2)
            .map(|i| u8::from_str_radix(token.get(i * 2..i * 2 + 2)?, 16).ok())
            .collect::<Option<Vec<u8>>>()
        else {
            return false;
        };
        token.len() == 64 && self.mac(session_id).verify_slice(&bytes).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::AgentKey;

    #[test]
    fn a_token_answers_for_its_own_session_under_its_own_key() {
        let key = AgentKey::random();
        let token = key.token_for("ss-1");
        assert_eq!(token.len(), 64);
        assert!(key.accepts("ss-1", &token));
        assert!(!key.accepts("ss-2", &token), "another session's");
        assert!(
            !AgentKey::random().accepts("ss-1", &token),
            "another server's"
        );
        assert!(!key.accepts("ss-1", &token[..62]));
        assert!(!key.accepts("ss-1", "zz"));
        let again = AgentKey::from_hex(&key.to_hex()).unwrap();
        assert!(again.accepts("ss-1", &token), "kept and read back");
        assert!(AgentKey::from_hex("12").is_none());
    }
}
