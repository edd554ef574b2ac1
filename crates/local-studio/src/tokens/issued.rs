//! The URLs of the streams this process made, kept in its memory only, until each stream
//! expires. The store keeps a stream without its URL (and the token's hash apart), so a
//! token is never written to disk; GetStreamingSessionStream and the replay of a
//! repeated create put the URL back from here.
//!
//! The choice and its cost: after a restart the URLs are gone. A client that already
//! holds one can still connect with it (the hash is stored), but a stream made before the
//! restart reads as DELETED (`STREAM_DELETED`), without a URL, as an expired one does:
//! connect again for a new one. Streams live at most an hour, so little is lost. Storing
//! the URLs encrypted instead would have needed a key kept outside the data directory
//! that survives restarts: one more secret to guard and rotate, for so short a life.

use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Default)]
pub struct Issued(Mutex<HashMap<String, Url>>);

struct Url {
    url: String,
    expires_ms: i64,
}

impl Issued {
    /// Keeps `url` of stream `stream_id` until `expires_ms` (lifecycle clock), and forgets
    /// the URLs of streams that expired by `now_ms`.
    pub fn keep(&self, stream_id: &str, url: String, expires_ms: i64, now_ms: i64) {
        let mut urls = self.0.lock().unwrap_or_else(|e| e.into_inner());
        urls.retain(|_, kept| kept.expires_ms > now_ms);
        urls.insert(stream_id.to_owned(), Url { url, expires_ms });
    }

    /// The URL of stream `stream_id` while it lives; `None` once it has expired, or when
    /// another process (before a restart) made it.
    pub fn url(&self, stream_id: &str, now_ms: i64) -> Option<String> {
        let urls = self.0.lock().unwrap_or_else(|e| e.into_inner());
        urls.get(stream_id)
            .filter(|kept| kept.expires_ms > now_ms)
            .map(|kept| kept.url.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_kept_until_its_stream_expires() {
        let issued = Issued::default();
        issued.keep("str-1", "https://dcv/?authToken=a".into(), 1_000, 0);
        assert_eq!(
            issued.url("str-1", 999).as_deref(),
            Some("https://dcv/?authToken=a")
        );
        assert_eq!(issued.url("str-1", 1_000), None);
        assert_eq!(issued.url("str-2", 0), None);
        issued.keep("str-2", "https://dcv/?authToken=b".into(), 5_000, 2_000);
        assert_eq!(
            issued.0.lock().unwrap().len(),
            1,
            "the expired one is forgotten"
        );
    }
}
