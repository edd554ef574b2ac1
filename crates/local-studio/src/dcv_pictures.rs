//! Asking EC2 workstations for thumbnails. local-studio cannot read an EC2 desktop's
//! screen, so the agent on the instance takes the picture (`dcv get-screenshot`) when a
//! page asks for one, and sends it (`agent_thumbnails.rs`); it lands in the same cache as
//! local desktops' pictures (`drivers/thumbnails.rs`), where it is served for 10 s.
//!
//! This is the meeting point: a page's request marks its session wanted and waits on
//! `delivered`; the agent's long poll waits on `asked` and takes the mark. No page
//! asking, no picture taken.

use std::collections::HashSet;
use std::sync::Mutex;
use tokio::sync::watch;

pub struct DcvPictures {
    wanted: Mutex<HashSet<String>>,
    /// Bumped when a session is marked wanted.
    pub asked: watch::Sender<u64>,
    /// Bumped when an agent delivers a picture.
    pub delivered: watch::Sender<u64>,
}

impl Default for DcvPictures {
    fn default() -> DcvPictures {
        DcvPictures {
            wanted: Mutex::default(),
            asked: watch::channel(0).0,
            delivered: watch::channel(0).0,
        }
    }
}

impl DcvPictures {
    /// A page wants a new picture of `session`.
    pub fn ask(&self, session: &str) {
        self.lock().insert(session.to_owned());
        self.asked.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Whether a picture of `session` is wanted; the mark is taken by the caller.
    pub fn take_wanted(&self, session: &str) -> bool {
        self.lock().remove(session)
    }

    /// An agent delivered a picture.
    pub fn delivered(&self) {
        self.delivered.send_modify(|n| *n = n.wrapping_add(1));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.wanted.lock().unwrap_or_else(|e| e.into_inner())
    }
}
