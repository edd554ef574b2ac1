//! Opaque `nextToken`s. A client only ever sends back a token this server gave it, so a
//! token is accepted only in exactly the form the server writes: any token that decodes
//! encodes back to itself, and anything else (a changed digit, upper-case hex, a leading
//! zero, a position past the end) answers 400 ValidationException naming `nextToken`.
//!
//! - Sessions and backups: the position after the last item of a page, (createdAt, id),
//!   hex-encoded so clients treat it as a blob and cannot build one by accident.
//! - Launch profiles (read from the config, never stored): the index of the next
//!   profile, in decimal, less than the number of profiles listed.

use nimble_model::{ApiError, ValidationError};

fn invalid() -> ApiError {
    ValidationError::new("nextToken", "is not a token this server issued").into()
}

pub fn encode_token(created_ms: i64, id: &str) -> String {
    let plain = format!("{created_ms}/{id}");
    plain.bytes().map(|b| format!("{b:02x}")).collect()
}

pub fn decode_token(token: &str) -> Result<(i64, String), ApiError> {
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
    let created: i64 = created.parse().map_err(|_| invalid())?;
    // "+5", "05" and upper-case hex parse too, but were never issued.
    if encode_token(created, id) != token {
        return Err(invalid());
    }
    Ok((created, id.to_owned()))
}

pub fn encode_index_token(index: usize) -> String {
    index.to_string()
}

/// The index a launch-profile token names, which must be less than `len`, the number of
/// profiles being listed (an issued token always is).
pub fn decode_index_token(token: &str, len: usize) -> Result<usize, ApiError> {
    token
        .parse::<usize>()
        .ok()
        .filter(|index| *index < len && encode_index_token(*index) == token)
        .ok_or_else(invalid)
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
        let plus = encode_token(5, "a").replacen("35", "2b35", 1); // "+5/a"
        let upper = token.to_uppercase();
        for bad in ["zz", "abc", "6869", "ü", "", &plus, &upper] {
            let error = decode_token(bad).unwrap_err();
            assert_eq!(error.context["field"], "nextToken", "{bad}");
        }
    }

    #[test]
    fn index_tokens_are_canonical_and_within_the_list() {
        assert_eq!(decode_index_token(&encode_index_token(3), 4).unwrap(), 3);
        for bad in ["4", "18446744073709551615", "-1", "+1", "01", "", "1.0"] {
            assert!(decode_index_token(bad, 4).is_err(), "{bad}");
        }
    }
}
