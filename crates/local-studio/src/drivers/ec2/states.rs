//! What EC2 says, in Nimble's terms: an instance state is a session state, and an EC2
//! error is either worth another try (throttling, a server error, a network failure) or
//! a failure with the status code a client understands.
//!
//! | EC2                                             | Nimble                        |
//! |-------------------------------------------------|-------------------------------|
//! | pending                                         | CREATE/START_IN_PROGRESS      |
//! | running (+ status checks, + DCV answers)        | READY                         |
//! | stopping / stopped                              | STOP_IN_PROGRESS / STOPPED    |
//! | shutting-down / terminated                      | DELETE_IN_PROGRESS / DELETED  |
//! | InsufficientInstanceCapacity, …LimitExceeded    | INSUFFICIENT_CAPACITY         |
//! | InvalidAMIID.*                                  | AMI_VALIDATION_ERROR          |
//! | InvalidSubnetID.*, InvalidGroup.*, …            | NETWORK_INTERFACE_ERROR       |
//! | RequestLimitExceeded, 5xx, timeouts             | retried, never a failure      |
//!
//! Throttling is first retried by the SDK (standard mode: exponential backoff with
//! jitter); what is still throttled after its attempts is retried again by the action,
//! until the action's time limit.

use aws_sdk_ec2::config::http::HttpResponse;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ec2::types::InstanceStateName;
use nimble_model::StreamingSessionStatusCode as Code;

/// Why an action did not finish.
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    /// Worth trying again (the message says what EC2 said).
    Retry(String),
    Fail(Code, String),
}

pub type Step<T> = Result<T, Failure>;

/// Codes that say "too many requests" or "try later" (AWS's throttling list for EC2).
const RETRYABLE_CODES: &[&str] = &[
    "RequestLimitExceeded",
    "Throttling",
    "ThrottlingException",
    "EC2ThrottledException",
    "BandwidthLimitExceeded",
    "InternalError",
    "ServiceUnavailable",
    "Unavailable",
    "RequestTimeout",
    "IncorrectInstanceState",
];

/// Classifies any EC2 call's error.
pub fn failure<E>(error: SdkError<E, HttpResponse>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let code = error.code().map(str::to_owned);
    let message = error
        .message()
        .map(str::to_owned)
        .unwrap_or_else(|| aws_sdk_ec2::error::DisplayErrorContext(&error).to_string());
    match &error {
        // A server error EC2 gave no code for (an HTML page from a balancer, say).
        SdkError::ServiceError(e) if code.is_none() && e.raw().status().is_server_error() => {
            Failure::Retry(message)
        }
        SdkError::ServiceError(_) => classify(code.as_deref(), &message),
        SdkError::ConstructionFailure(_) => {
            Failure::Fail(Code::InternalError, format!("EC2 request: {message}"))
        }
        // No answer, or not one EC2 would give: the network or the service is unwell.
        _ => Failure::Retry(message),
    }
}

/// The failure an EC2 error code means.
pub fn classify(code: Option<&str>, message: &str) -> Failure {
    let code = code.unwrap_or("");
    let with = |c: Code| Failure::Fail(c, format!("EC2: {message} ({code})"));
    let server_side = code.starts_with("Server.") && code != "Server.InsufficientInstanceCapacity";
    if RETRYABLE_CODES.contains(&code) || server_side {
        return Failure::Retry(format!("{message} ({code})"));
    }
    match code {
        "InsufficientInstanceCapacity"
        | "Server.InsufficientInstanceCapacity"
        | "InsufficientCapacity"
        | "InstanceLimitExceeded"
        | "VcpuLimitExceeded"
        | "MaxSpotInstanceCountExceeded" => with(Code::InsufficientCapacity),
        c if c.starts_with("InvalidAMIID") || c == "InvalidBlockDeviceMapping" => {
            with(Code::AmiValidationError)
        }
        c if c.starts_with("InvalidSubnet")
            || c.starts_with("InvalidGroup")
            || c.starts_with("InvalidNetworkInterface")
            || c == "InvalidParameterCombination" && message.contains("subnet") =>
        {
            with(Code::NetworkInterfaceError)
        }
        _ => with(Code::InternalError),
    }
}

/// Whether an instance in this state has (or is getting) a running machine.
pub fn is_up(state: &InstanceStateName) -> bool {
    matches!(
        state,
        InstanceStateName::Pending | InstanceStateName::Running
    )
}

/// Whether an instance in this state is gone for good.
pub fn is_gone(state: &InstanceStateName) -> bool {
    matches!(
        state,
        InstanceStateName::ShuttingDown | InstanceStateName::Terminated
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ec2_errors_map_to_status_codes_or_retries() {
        let fail = |code| match classify(Some(code), "m") {
            Failure::Fail(c, message) => {
                assert!(message.contains(code), "{message}");
                Some(c)
            }
            Failure::Retry(_) => None,
        };
        assert_eq!(
            fail("InsufficientInstanceCapacity"),
            Some(Code::InsufficientCapacity)
        );
        assert_eq!(
            fail("InvalidAMIID.NotFound"),
            Some(Code::AmiValidationError)
        );
        assert_eq!(
            fail("InvalidSubnetID.NotFound"),
            Some(Code::NetworkInterfaceError)
        );
        assert_eq!(fail("UnauthorizedOperation"), Some(Code::InternalError));
        assert_eq!(fail("RequestLimitExceeded"), None, "throttling is retried");
        assert_eq!(fail("Server.InternalError"), None);
    }
}
