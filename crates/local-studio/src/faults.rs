//! Fault injection for testing clients: transitions that fail with a real status code,
//! throttled requests and internal errors, each with its own probability.

/// Probabilities from 0 (never, the default) to 1 (always).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Faults {
    /// A transition (create, start, stop, delete, stream) ends in its *_FAILED state.
    pub transition_failure: f64,
    /// A request answers 429 ThrottlingException.
    pub throttle: f64,
    /// A request answers 500 InternalServerErrorException.
    pub internal_error: f64,
}

impl Faults {
    pub fn validate(&self) -> Result<(), String> {
        for (name, p) in [
            ("transition_failure", self.transition_failure),
            ("throttle", self.throttle),
            ("internal_error", self.internal_error),
        ] {
            if !(0.0..=1.0).contains(&p) {
                return Err(format!(
                    "fault probability {name} must be between 0 and 1, not {p}"
                ));
            }
        }
        Ok(())
    }
}

/// True with probability `p`.
pub fn happens(p: f64) -> bool {
    p > 0.0 && fastrand::f64() < p
}
