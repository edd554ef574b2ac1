//! The seven modeled errors, their HTTP statuses and the `{message, code, context}` body.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The error shapes of the service; the shape name goes in `X-Amzn-ErrorType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorType {
    Validation,
    ServiceQuotaExceeded,
    AccessDenied,
    ResourceNotFound,
    Conflict,
    Throttling,
    InternalServerError,
}

impl ErrorType {
    pub const ALL: [ErrorType; 7] = [
        Self::Validation,
        Self::ServiceQuotaExceeded,
        Self::AccessDenied,
        Self::ResourceNotFound,
        Self::Conflict,
        Self::Throttling,
        Self::InternalServerError,
    ];

    pub fn shape_name(self) -> &'static str {
        match self {
            Self::Validation => "ValidationException",
            Self::ServiceQuotaExceeded => "ServiceQuotaExceededException",
            Self::AccessDenied => "AccessDeniedException",
            Self::ResourceNotFound => "ResourceNotFoundException",
            Self::Conflict => "ConflictException",
            Self::Throttling => "ThrottlingException",
            Self::InternalServerError => "InternalServerErrorException",
        }
    }

    pub fn http_status(self) -> u16 {
        match self {
            Self::Validation => 400,
            Self::ServiceQuotaExceeded => 402,
            Self::AccessDenied => 403,
            Self::ResourceNotFound => 404,
            Self::Conflict => 409,
            Self::Throttling => 429,
            Self::InternalServerError => 500,
        }
    }

    /// The more specific `code` member sent in the body.
    pub fn default_code(self) -> &'static str {
        match self {
            Self::Validation => "VALIDATION_ERROR",
            Self::ServiceQuotaExceeded => "SERVICE_QUOTA_EXCEEDED",
            Self::AccessDenied => "ACCESS_DENIED",
            Self::ResourceNotFound => "RESOURCE_NOT_FOUND",
            Self::Conflict => "CONFLICT",
            Self::Throttling => "THROTTLED",
            Self::InternalServerError => "INTERNAL_ERROR",
        }
    }

    /// Reads an `X-Amzn-ErrorType` value the way the SDKs do: text before the first `:`,
    /// then after the last `#`.
    pub fn from_header(value: &str) -> Option<Self> {
        let name = value.split(':').next().unwrap_or(value);
        let name = name.rsplit('#').next().unwrap_or(name);
        Self::ALL.into_iter().find(|t| t.shape_name() == name)
    }
}

/// The JSON body of every error response.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<BTreeMap<String, String>>,
}

/// An error as the API reports it.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{}: {message}", kind.shape_name())]
pub struct ApiError {
    pub kind: ErrorType,
    pub message: String,
    pub code: String,
    pub context: BTreeMap<String, String>,
}

impl ApiError {
    pub fn new(kind: ErrorType, message: impl Into<String>) -> Self {
        ApiError {
            kind,
            message: message.into(),
            code: kind.default_code().to_owned(),
            context: BTreeMap::new(),
        }
    }

    pub fn with_context(mut self, key: &str, value: impl Into<String>) -> Self {
        self.context.insert(key.to_owned(), value.into());
        self
    }

    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = code.into();
        self
    }

    pub fn not_found(kind_of_resource: &str, id: &str) -> Self {
        Self::new(
            ErrorType::ResourceNotFound,
            format!("{kind_of_resource} {id} not found"),
        )
        .with_context("resourceId", id)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorType::Conflict, message)
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            message: Some(self.message.clone()),
            code: Some(self.code.clone()),
            context: Some(self.context.clone()),
        }
    }
}

/// A request that breaks a model constraint. `field` is the wire name of the member
/// (dotted for nested members), so every message says what to fix.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    pub field: String,
    pub message: String,
}

impl ValidationError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        ValidationError {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The same error for a member nested under `parent`.
    pub fn nested(self, parent: &str) -> Self {
        ValidationError {
            field: format!("{parent}.{}", self.field),
            message: self.message,
        }
    }
}

impl From<ValidationError> for ApiError {
    fn from(error: ValidationError) -> Self {
        ApiError::new(
            ErrorType::Validation,
            format!("Invalid {}: {}", error.field, error.message),
        )
        .with_context("field", error.field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_are_sanitised_like_the_sdks() {
        assert_eq!(
            ErrorType::from_header("ConflictException:http://internal.amazon.com/"),
            Some(ErrorType::Conflict)
        );
        assert_eq!(
            ErrorType::from_header("com.amazonaws.nimble#ThrottlingException"),
            Some(ErrorType::Throttling)
        );
        assert_eq!(ErrorType::from_header("Bogus"), None);
    }

    #[test]
    fn validation_errors_name_the_field() {
        let error: ApiError =
            ValidationError::new("expirationInSeconds", "must be at least 60").into();
        assert_eq!(error.kind.http_status(), 400);
        assert!(error.message.contains("expirationInSeconds"));
        assert_eq!(error.context["field"], "expirationInSeconds");
    }
}
