//! Session and backup ids become directory names, so they are checked before any path is
//! built: only `[A-Za-z0-9_-]`, 1 to [`MAX_ID_LEN`] characters. That rules out `..`, `/`,
//! hidden names (a leading `.` is what this crate uses for its own temporary folders) and
//! anything a shell or a log could misread.

use crate::error::{DesktopError, Result};

/// Longest id accepted. Nimble session ids (`ss-` + 32 hex digits) are 35 characters.
pub const MAX_ID_LEN: usize = 64;

/// `Ok(id)` when `id` is safe as a single path component.
pub(crate) fn check<'a>(kind: &'static str, id: &'a str) -> Result<&'a str> {
    let ok = !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(id)
    } else {
        Err(DesktopError::InvalidId {
            kind,
            id: id.chars().take(MAX_ID_LEN + 8).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn accepts_nimble_ids_and_refuses_paths() {
        assert!(check("session", "ss-0123456789abcdef0123456789abcdef").is_ok());
        assert!(check("backup", "bk_1").is_ok());
        for bad in [
            "",
            "..",
            "a/b",
            ".hidden",
            "a b",
            "é",
            "a\0b",
            &"x".repeat(65),
        ] {
            assert!(check("session", bad).is_err(), "{bad:?} must be refused");
        }
    }
}
