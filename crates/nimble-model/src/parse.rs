//! Reading a request's body and query into a typed, validated value. Both servers use
//! these, so a bad request gets the same 400 ValidationException, naming the field,
//! from portal-proxy as from local-studio.

use crate::{ApiError, QueryString, Validate, ValidationError};
use serde::de::DeserializeOwned;

/// The JSON of a request body; an empty body is `{}`, as AWS clients send for no members.
pub fn json_body(bytes: &[u8]) -> Result<serde_json::Value, ApiError> {
    if bytes.is_empty() {
        return Ok(serde_json::Value::Object(Default::default()));
    }
    serde_json::from_slice(bytes)
        .map_err(|e| ValidationError::new("body", format!("is not JSON: {e}")).into())
}

/// The body of an operation, typed and checked against the model's constraints.
pub fn parse_body<T: DeserializeOwned + Validate>(body: &serde_json::Value) -> Result<T, ApiError> {
    let typed: T = T::deserialize(body).map_err(|e| {
        ApiError::from(ValidationError::new(
            "body",
            format!("is not valid for this operation: {e}"),
        ))
    })?;
    typed.validate()?;
    Ok(typed)
}

/// The query string of an operation, typed and checked against the model's constraints.
pub fn parse_query<T: QueryString + Validate>(query: &str) -> Result<T, ApiError> {
    let typed = T::from_query_string(query)?;
    typed.validate()?;
    Ok(typed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ErrorType, ListLaunchProfilesQuery, StopStreamingSessionBody};

    #[test]
    fn bad_bodies_and_queries_name_their_field() {
        let not_json = json_body(b"{").unwrap_err();
        assert_eq!(not_json.kind, ErrorType::Validation);
        assert_eq!(not_json.context["field"], "body");
        let wrong = serde_json::json!({"volumeRetentionMode": 7});
        let error = parse_body::<StopStreamingSessionBody>(&wrong).unwrap_err();
        assert_eq!(error.context["field"], "body");
        let error = parse_query::<ListLaunchProfilesQuery>("maxResults=0").unwrap_err();
        assert_eq!(error.context["field"], "maxResults");
        assert!(json_body(b"").unwrap().as_object().unwrap().is_empty());
    }
}
