//! Limits on tags. The model's `Tags` map (of `String` to `String`) sets none, so these
//! are AWS's usual tagging limits; without them one request could store a megabyte of
//! tags. `Validate` applies them to a new session's tags and to a launch profile's.

use crate::error::ValidationError;
use crate::shapes::Tags;

/// Tags a resource may carry (AWS's usual limit).
pub const MAX_TAGS: usize = 50;
/// Characters in a tag key, at least 1 (AWS's usual limit).
pub const MAX_TAG_KEY_LENGTH: usize = 128;
/// Characters in a tag value, which may be empty (AWS's usual limit).
pub const MAX_TAG_VALUE_LENGTH: usize = 256;

/// The start of a text too long to quote whole in an error.
fn preview(text: &str) -> String {
    match text.char_indices().nth(32) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// At most [`MAX_TAGS`] tags, each key 1 to [`MAX_TAG_KEY_LENGTH`] characters and each
/// value at most [`MAX_TAG_VALUE_LENGTH`]; every error names the field `tags`.
pub(crate) fn validate_tags(tags: &Tags) -> Result<(), ValidationError> {
    if tags.len() > MAX_TAGS {
        return Err(ValidationError::new(
            "tags",
            format!("must hold at most {MAX_TAGS} tags, not {}", tags.len()),
        ));
    }
    for (key, value) in tags {
        let key_len = key.chars().count();
        if key_len == 0 || key_len > MAX_TAG_KEY_LENGTH {
            return Err(ValidationError::new(
                "tags",
                format!(
                    "key {:?} must be 1 to {MAX_TAG_KEY_LENGTH} characters, not {key_len}",
                    preview(key)
                ),
            ));
        }
        let value_len = value.chars().count();
        if value_len > MAX_TAG_VALUE_LENGTH {
            return Err(ValidationError::new(
                "tags",
                format!(
                    "the value of {:?} must be at most {MAX_TAG_VALUE_LENGTH} characters, not {value_len}",
                    preview(key)
                ),
            ));
        }
    }
    Ok(())
}
