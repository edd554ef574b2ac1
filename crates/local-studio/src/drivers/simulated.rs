//! The simulated driver: no machine exists. Its sessions' transitions are timers kept by
//! `lifecycle/` (so the fault-injection and property tests, and boto3/aws-sdk
//! conformance, run against it), and its streams point at the configured DCV URL or, by
//! default, at local-studio's own page that says the workstation is simulated.

use super::{Driver, Progress, Work};
use crate::lifecycle::DriverLink;
use serde_json::Value;

pub struct Simulated {
    url_base: String,
}

impl Simulated {
    pub fn new(url_base: String) -> Simulated {
        Simulated { url_base }
    }
}

impl Driver for Simulated {
    fn begin(&self, _session: &str, _work: Work, _link: &DriverLink) {}

    fn observe(&self, _session: &str, _work: &Work) -> Progress {
        Progress::Done(Value::Null)
    }

    fn forget(&self, _session: &str) {}

    fn alive(&self, _session: &str, _state: &Value) -> bool {
        true
    }

    fn stream_url(
        &self,
        session: &str,
        _name: &str,
        _state: &Value,
        token: &str,
    ) -> Option<String> {
        Some(format!("{}?authToken={token}#{session}", self.url_base))
    }

    fn capacity(&self) -> Option<usize> {
        None
    }
}
