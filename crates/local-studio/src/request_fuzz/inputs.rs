//! What the fuzzer sends: random text, and text shaped like the real thing (valid tokens
//! with one byte changed, queries made of the real parameter names, JSON with the real
//! member names, paths made of the real segments). Text is built from characters, not
//! from regular expressions, which are several times slower to sample in a debug build.

use crate::paging::{encode_index_token, encode_token};
use proptest::prelude::*;
use proptest::sample::{select, Index};
use serde_json::Value;

/// Any text: up to 32 characters from all of Unicode.
pub fn text() -> impl Strategy<Value = String> + Clone {
    prop::collection::vec(any::<char>(), 0..32).prop_map(String::from_iter)
}

/// Up to `max` characters of `alphabet` (ASCII).
fn from(alphabet: &'static str, max: usize) -> impl Strategy<Value = String> + Clone {
    prop::collection::vec(select(alphabet.as_bytes()), 0..=max)
        .prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
}

/// One of `words`.
fn word(words: &'static [&'static str]) -> impl Strategy<Value = String> + Clone {
    select(words).prop_map(str::to_owned)
}

/// Random text once in four, otherwise `shaped`.
fn text_or(shaped: impl Strategy<Value = String> + 'static) -> BoxedStrategy<String> {
    prop_oneof![1 => text(), 3 => shaped].boxed()
}

/// Session and backup tokens: valid ones, valid ones with one byte replaced (by a hex
/// digit, a sign, a slash or anything) or cut short, and hex of either case.
pub fn session_token() -> BoxedStrategy<String> {
    let valid = (any::<i64>(), text()).prop_map(|(ms, id)| encode_token(ms, &id));
    let changed =
        (valid.clone(), any::<Index>(), any::<u8>(), 0..3u8).prop_map(|(token, at, byte, how)| {
            let mut bytes = token.into_bytes();
            let i = at
                .index(bytes.len().max(1))
                .min(bytes.len().saturating_sub(1));
            match (how, bytes.is_empty()) {
                (_, true) => {}
                (0, _) => bytes[i] = b"0123456789abcdefABCDEF+-/"[byte as usize % 25],
                (1, _) => bytes.truncate(i),
                _ => bytes[i] = byte,
            }
            String::from_utf8_lossy(&bytes).into_owned()
        });
    text_or(prop_oneof![
        valid,
        changed,
        from("0123456789abcdefABCDEF", 48)
    ])
}

/// Launch-profile tokens: any index, numbers too big for one, signs and leading zeros.
pub fn index_token() -> BoxedStrategy<String> {
    text_or(prop_oneof![
        any::<usize>().prop_map(encode_index_token),
        any::<u128>().prop_map(|n| n.to_string()),
        from("+-0123456789", 24),
    ])
}

/// `name=value&...` with the real parameter names, values raw or percent-encoded.
pub fn query() -> BoxedStrategy<String> {
    let name = prop_oneof![
        4 => word(&["maxResults", "nextToken", "states", "sessionIds", "ownedBy", "createdBy", "principalId"]),
        1 => from("aeknrsxT%+=", 8),
    ];
    let states = prop::collection::vec(
        word(&["READY", "CREATE_IN_PROGRESS", "DELETED", "x", "", " "]),
        0..4,
    );
    let value = prop_oneof![
        text(),
        from("+-0123456789", 22),
        states.prop_map(|s| s.join(",")),
        from("%%%0123456789abcdefABCDEF+&=", 24),
    ];
    let pair = (name, value, any::<bool>()).prop_map(|(name, value, encode)| match encode {
        true => format!("{name}={}", percent_encode(&value)),
        false => format!("{name}={value}"),
    });
    text_or(prop::collection::vec(pair, 0..6).prop_map(|pairs| pairs.join("&")))
}

/// Percent-encodes every byte that is not an ASCII letter or digit.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// JSON values made of the request bodies' member names and values of every type.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        text().prop_map(Value::from),
        word(&["lp-artist", "g4dn.xlarge", "RETAIN", "DELETE", ""]).prop_map(Value::from),
    ];
    let key = prop_oneof![
        4 => word(&[
            "launchProfileId", "ec2InstanceType", "ownedBy", "streamingImageId", "tags",
            "backupId", "volumeRetentionMode", "expirationInSeconds",
        ]),
        1 => text(),
    ];
    leaf.prop_recursive(4, 24, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(key.clone(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Bodies: random bytes, generated JSON (sometimes cut short), odd numbers, deep nesting.
pub fn body() -> BoxedStrategy<Vec<u8>> {
    let json = (json_value(), any::<Index>(), any::<bool>()).prop_map(|(value, at, cut)| {
        let mut text = value.to_string().into_bytes();
        if cut {
            text.truncate(at.index(text.len() + 1));
        }
        text
    });
    let number = (from("-0123456789", 30), from(".0123456789eE+-", 8))
        .prop_map(|(n, tail)| format!("{{\"expirationInSeconds\": {n}{tail}}}").into_bytes());
    let deep = (1..3000usize, word(&["[", "{\"tags\":"]))
        .prop_map(|(depth, open)| open.repeat(depth).into_bytes());
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..128),
        4 => json,
        1 => number,
        1 => deep,
    ]
    .boxed()
}

/// A method and a path made of the real segments, odd labels and percent escapes.
pub fn request_line() -> BoxedStrategy<(String, String)> {
    let method = prop_oneof![
        3 => word(&["GET", "POST", "DELETE"]),
        1 => from("ADEGLOPSTU", 7),
    ];
    let segment = prop_oneof![
        4 => word(&[
            "2020-08-01", "studios", "streaming-sessions", "streams", "start", "stop",
            "streaming-session-backups", "launch-profiles", "",
        ]),
        1 => from("%%0123456789abcdefABCDEF-/", 12),
        1 => text(),
    ];
    let path = prop::collection::vec(segment, 0..8).prop_map(|s| format!("/{}", s.join("/")));
    (method, text_or(path)).boxed()
}
