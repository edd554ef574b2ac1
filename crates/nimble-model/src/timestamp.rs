//! The model's single `Timestamp` shape: an RFC 3339 string in UTC on the wire.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// A point in time, always held in UTC and written as `2024-01-02T03:04:05Z`
/// (fractional seconds only when they are not zero).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

#[derive(Debug, thiserror::Error)]
#[error("not an RFC 3339 timestamp: {0}")]
pub struct TimestampError(String);

impl Timestamp {
    /// Milliseconds since the Unix epoch; `None` when out of range.
    pub fn from_unix_millis(millis: i64) -> Option<Self> {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
            .ok()
            .map(Timestamp)
    }

    pub fn unix_millis(&self) -> i64 {
        (self.0.unix_timestamp_nanos() / 1_000_000) as i64
    }

    /// Accepts any RFC 3339 offset and normalises it to UTC.
    pub fn parse(text: &str) -> Result<Self, TimestampError> {
        OffsetDateTime::parse(text, &Rfc3339)
            .map(|t| Timestamp(t.to_offset(time::UtcOffset::UTC)))
            .map_err(|_| TimestampError(text.to_owned()))
    }

    pub fn to_rfc3339(&self) -> String {
        // Formatting a UTC time in the years 0..=9999 cannot fail; the fallback keeps
        // this total for absurd inputs rather than panicking.
        self.0
            .format(&Rfc3339)
            .unwrap_or_else(|_| self.0.unix_timestamp().to_string())
    }

    pub fn plus_seconds(self, seconds: i64) -> Self {
        Timestamp(self.0 + time::Duration::seconds(seconds))
    }

    /// The current time. Native only: in the browser use `from_unix_millis(Date.now())`.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn now() -> Self {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        Self::from_unix_millis(ms).unwrap_or(Timestamp(OffsetDateTime::UNIX_EPOCH))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_utc_with_z_and_trims_fraction() {
        let t = Timestamp::from_unix_millis(1_704_164_645_000).unwrap();
        assert_eq!(t.to_string(), "2024-01-02T03:04:05Z");
        let t = Timestamp::from_unix_millis(1_704_164_645_120).unwrap();
        assert_eq!(t.to_string(), "2024-01-02T03:04:05.12Z");
    }

    #[test]
    fn parses_offsets_into_utc() {
        let t = Timestamp::parse("2024-01-02T05:04:05+02:00").unwrap();
        assert_eq!(t.to_string(), "2024-01-02T03:04:05Z");
        assert!(Timestamp::parse("1704164645").is_err());
    }
}
