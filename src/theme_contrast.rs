//! WCAG 2.2 AA contrast of the stylesheet's colour pairs, in both themes: every text colour
//! against the background it is drawn on must reach 4.5:1. Native tests: they read the
//! stylesheet as text and need no browser.

const CSS: &str = include_str!("../style/main.css");

/// The `--name: #rrggbb` variables of the first block that starts with `selector`.
fn palette(selector: &str) -> Vec<(String, [f64; 3])> {
    let start = CSS
        .find(selector)
        .unwrap_or_else(|| panic!("{selector} in main.css"));
    let block = &CSS[start..];
    let block = &block[block.find('{').unwrap() + 1..block.find('}').unwrap()];
    block
        .split(';')
        .filter_map(|decl| {
            let (name, value) = decl.trim().split_once(':')?;
            let hex = value.trim().strip_prefix('#')?;
            let channel =
                |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map(|v| f64::from(v) / 255.0);
            Some((
                name.trim().to_owned(),
                [channel(0).ok()?, channel(2).ok()?, channel(4).ok()?],
            ))
        })
        .collect()
}

fn luminance(rgb: [f64; 3]) -> f64 {
    let linear = |c: f64| {
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * linear(rgb[0]) + 0.7152 * linear(rgb[1]) + 0.0722 * linear(rgb[2])
}

fn ratio(a: [f64; 3], b: [f64; 3]) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// Text colour, and the background it is drawn on.
const PAIRS: [(&str, &str); 13] = [
    ("--text", "--bg"),
    ("--text", "--card"),
    ("--muted", "--bg"),
    ("--muted", "--card"),
    ("--primary-text", "--primary"),
    ("--primary", "--card"),
    ("--danger", "--card"),
    ("--bad-text", "--card"),
    ("--ok-text", "--ok-bg"),
    ("--busy-text", "--busy-bg"),
    ("--bad-text", "--bad-bg"),
    ("--idle-text", "--idle-bg"),
    ("--focus", "--bg"),
];

#[test]
fn the_automatic_dark_theme_is_the_same_as_the_chosen_one() {
    assert_eq!(
        palette(":root:not([data-theme=\"light\"])"),
        palette(":root[data-theme=\"dark\"]")
    );
}

#[test]
fn both_themes_meet_aa_contrast() {
    for theme in [":root {", ":root[data-theme=\"dark\"]"] {
        let colours = palette(theme);
        let get = |name: &str| {
            colours
                .iter()
                .find(|(n, _)| n == name)
                .unwrap_or_else(|| panic!("{name} in {theme}"))
                .1
        };
        for (text, background) in PAIRS {
            let contrast = ratio(get(text), get(background));
            // Focus rings are not text: WCAG asks 3:1 of them.
            let needed = if text == "--focus" { 3.0 } else { 4.5 };
            assert!(
                contrast >= needed,
                "{theme}: {text} on {background} is {contrast:.2}:1"
            );
        }
    }
}
