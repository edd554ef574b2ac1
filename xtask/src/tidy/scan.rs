//! Reading Rust and Markdown as plain text, for `cargo xtask tidy`: the module paths a
//! file uses, and the file names its comments mention. No parser: what rustfmt writes is
//! regular enough, and a miss here is only a check that does not fire.

use std::path::Path;

/// The module path of a file below `src`: its folders and its stem joined by `::`; a
/// `mod` file is its folder's module, and `lib` or `main` the crate itself (empty).
pub fn module_of(relative: &Path) -> String {
    let mut parts: Vec<String> = relative
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts.join("::")
}

/// Every module path that `text` (the source of `module`) names through `crate::` or
/// `super::`, with its line, outside comments. `use crate::{a, b::{c, self}}` names `a`,
/// `b::c` and `b`.
pub fn used_paths(module: &str, text: &str) -> Vec<(usize, String)> {
    let code: String = text
        .lines()
        .map(|line| comment_start(line).map_or(line, |at| &line[..at]))
        .collect::<Vec<_>>()
        .join("\n");
    let bytes = code.as_bytes();
    let mut found = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let rest = &code[at..];
        let starts_word = at == 0 || !is_ident(bytes[at - 1]);
        let base = if !starts_word {
            None
        } else if rest.starts_with("crate::") {
            at += "crate::".len();
            Some(Vec::new())
        } else if rest.starts_with("super::") {
            let mut base: Vec<&str> = module.split("::").filter(|s| !s.is_empty()).collect();
            while code[at..].starts_with("super::") {
                base.pop();
                at += "super::".len();
            }
            Some(base.iter().map(|s| s.to_string()).collect())
        } else {
            None
        };
        let Some(base) = base else {
            at += rest.chars().next().map_or(1, char::len_utf8);
            continue;
        };
        let line = code[..at].matches('\n').count() + 1;
        for tail in use_tree(bytes, &mut at) {
            let path: Vec<String> = base
                .iter()
                .cloned()
                .chain(tail.into_iter().filter(|s| s != "self" && s != "*"))
                .collect();
            found.push((line, path.join("::")));
        }
    }
    found
}

/// Where the comment of a line of Rust starts, if it has one: the first `//` outside a
/// string or character literal (a string that spans lines is not followed).
fn comment_start(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut in_string = false;
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' if in_string => at += 1,
            b'"' => in_string = !in_string,
            b'\'' if !in_string => {
                // A character literal ('"', '\'') is skipped whole; a lifetime is not one.
                if bytes.get(at + 1) == Some(&b'\\') {
                    at += 3;
                } else if bytes.get(at + 2) == Some(&b'\'') {
                    at += 2;
                }
            }
            b'/' if !in_string && bytes.get(at + 1) == Some(&b'/') => return Some(at),
            _ => {}
        }
        at += 1;
    }
    None
}

pub fn is_ident(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// The paths of the use tree (or plain path) that starts at `at`, which it moves past.
fn use_tree(bytes: &[u8], at: &mut usize) -> Vec<Vec<String>> {
    let skip_space = |at: &mut usize| {
        while *at < bytes.len() && bytes[*at].is_ascii_whitespace() {
            *at += 1;
        }
    };
    let mut prefix = Vec::new();
    loop {
        if bytes.get(*at) == Some(&b'{') {
            *at += 1;
            let mut paths = Vec::new();
            loop {
                skip_space(at);
                match bytes.get(*at) {
                    None => break,
                    Some(b'}') => {
                        *at += 1;
                        break;
                    }
                    Some(b',') => *at += 1,
                    Some(_) => {
                        let before = *at;
                        paths.extend(use_tree(bytes, at));
                        // `x as y`, or anything else that is not a path: skip to the next
                        // item.
                        while *at < bytes.len() && !matches!(bytes[*at], b',' | b'}') {
                            *at += 1;
                        }
                        if *at == before {
                            *at += 1;
                        }
                    }
                }
            }
            return paths
                .into_iter()
                .map(|tail| prefix.iter().cloned().chain(tail).collect())
                .collect();
        }
        let start = *at;
        while *at < bytes.len() && (is_ident(bytes[*at]) || bytes[*at] == b'*') {
            *at += 1;
        }
        if *at == start {
            return vec![prefix];
        }
        prefix.push(String::from_utf8_lossy(&bytes[start..*at]).into_owned());
        if bytes[*at..].starts_with(b"::") {
            *at += 2;
        } else {
            return vec![prefix];
        }
    }
}

/// The file names ending in `.rs` or `.md` in the comments of `text` (in all of it when it
/// is Markdown), with their lines. Web addresses and globs are not names.
pub fn mentions(text: &str, markdown: bool) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let comment = if markdown {
            line
        } else {
            match comment_start(line) {
                Some(at) => &line[at..],
                None => continue,
            }
        };
        let bytes = comment.as_bytes();
        let is_name = |b: u8| is_ident(b) || matches!(b, b'.' | b'/' | b'-');
        for extension in [".rs", ".md"] {
            for (at, _) in comment.match_indices(extension) {
                let end = at + extension.len();
                if bytes.get(end).is_some_and(|&b| is_ident(b)) {
                    continue;
                }
                let mut start = at;
                while start > 0 && is_name(bytes[start - 1]) {
                    start -= 1;
                }
                let name = comment[start..end].trim_start_matches('/');
                let web_or_glob = start > 0 && matches!(bytes[start - 1], b':' | b'*');
                let has_stem = comment[start..at]
                    .bytes()
                    .any(|b| b.is_ascii_alphanumeric());
                if has_stem && !web_or_glob && !name.contains("//") {
                    found.push((index + 1, name.to_owned()));
                }
            }
        }
    }
    found
}
