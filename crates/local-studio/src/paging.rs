//! Opaque `nextToken`s: the position after the last item of a page, (createdAt, id),
//! hex-encoded so clients treat it as a blob and cannot build one by accident.

use nimble_model::{ApiError, ValidationError};

pub fn encode_token(created_ms: i64, id: &str) -> String {
    let plain = format!("{created_ms}/{id}");
    plain.bytes().map(|b| format!("{b:02x}")).collect()
}

pub fn decode_token(token: &str) -> Result<(i64, String), ApiError> {
    let invalid = || {
        ApiError::from(ValidationError::new(
            "nextToken",
            "is not a token this server issued",
        ))
    };
    if !token.len().is_multiple_of(2) || !token.is_ascii() {
        return Err(invalid());
    }
    let bytes: Option<Vec<u8>> = (0..token.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&token[i..i + 2], 16).ok())
        .collect();
    let plain = bytes
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(invalid)?;
    let (created, id) = plain.split_once('/').ok_or_else(invalid)?;
    Ok((created.parse().map_err(|_| invalid())?, id.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_garbage_is_rejected() {
        let token = encode_token(1_704_164_645_000, "ss-1/x");
        assert_eq!(
            decode_token(&token).unwrap(),
            (1_704_164_645_000, "ss-1/x".to_owned())
        );
        for bad in ["zz", "abc", "6869", "ü"] {
            let error = decode_token(bad).unwrap_err();
            assert_eq!(error.context["field"], "nextToken");
        }
    }
}
