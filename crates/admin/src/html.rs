//! The page's changing parts as HTML text: table rows, a filter's options, the
//! confirmation, the usage table and the chart. Every value from the studio (names, owners,
//! status messages, tags) is escaped here, once, because an artist chooses some of them.
//! `page.rs` puts the text in place; this module needs no browser, so it is tested natively.

use crate::actions::Pending;
use crate::row::Row;
use nimble_model::{SessionActivity, Timestamp, UsageGroup};
use studio_portal::logic::badge;

/// How instants and numbers are written: the browser's locale in the page, fixed in tests.
pub struct Format {
    pub time: fn(Timestamp) -> String,
    /// `number` with `decimals` digits after the point.
    pub fixed: fn(f64, usize) -> String,
}

/// Text safe inside an element or a quoted attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Whole minutes from `at` to `now_ms`; empty when `at` is unknown.
fn minutes_since(at: Option<Timestamp>, now_ms: i64) -> String {
    at.map(|at| ((now_ms - at.unix_millis()).max(0) / 60_000).to_string())
        .unwrap_or_default()
}

/// One table row: a checkbox, then name, owner, state, status, profile, image, instance
/// type, started, stopped, stops at, idle minutes (READY only) and minutes since a viewer.
/// The checkbox's tick is not in it: the page sets it, so that ticking one does not redraw
/// the rows (the element under the admin's pointer or keyboard would be replaced).
pub fn row(row: &Row, seen: Option<&SessionActivity>, now_ms: i64, format: &Format) -> String {
    let (words, colour) = badge(&row.state());
    let time = |t: Option<Timestamp>| t.map(format.time).unwrap_or_default();
    let idle = match row.is_ready() {
        true => minutes_since(seen.and_then(|s| s.last_used_at), now_ms),
        false => String::new(),
    };
    let cells = [
        row.name(),
        row.owner(),
        "",
        row.status_message.as_deref().unwrap_or(""),
        row.launch_profile_id.as_deref().unwrap_or(""),
        row.streaming_image_id.as_deref().unwrap_or(""),
        row.ec2_instance_type.as_deref().unwrap_or(""),
    ];
    let mut html = format!(
        "<tr data-session=\"{id}\"><td><input type=\"checkbox\" data-session=\"{id}\" aria-label=\"Select {name}\"></td>",
        id = escape(row.id()),
        name = escape(row.name()),
    );
    for (i, cell) in cells.iter().enumerate() {
        html += &match i {
            2 => format!(
                "<td><span class=\"badge {colour}\" data-state=\"{}\">{words}</span></td>",
                escape(row.state().as_str())
            ),
            _ => format!("<td>{}</td>", escape(cell)),
        };
    }
    for text in [
        time(row.started_at),
        time(row.stopped_at),
        time(row.stop_at),
        idle,
        minutes_since(seen.and_then(|s| s.last_viewer_at), now_ms),
    ] {
        html += &format!("<td>{}</td>", escape(&text));
    }
    html + "</tr>"
}

/// A filter's options: "any", then `values`, with `chosen` selected.
pub fn options(values: &[String], chosen: &str) -> String {
    let mut html = String::from("<option value=\"\">any</option>");
    for value in values {
        let on = if value == chosen { " selected" } else { "" };
        let value = escape(value);
        html += &format!("<option value=\"{value}\"{on}>{value}</option>");
    }
    html
}

/// The confirmation of `pending`, with a field for the reason.
pub fn confirm(pending: &Pending) -> String {
    let count = pending.ids.len();
    let label = pending.action.label();
    format!(
        "<p>{label} {count} workstation{s}? Their owners see your name and this reason.</p>\
         <label>Reason <input id=\"reason\" maxlength=\"200\" required></label> \
         <button class=\"danger\" data-act=\"confirm\">{label}</button> \
         <button data-act=\"cancel\">Cancel</button>",
        s = if count == 1 { "" } else { "s" }
    )
}

/// The usage table: one line per group, then the totals.
pub fn usage(group_by: &str, groups: &[UsageGroup], format: &Format) -> String {
    let heading = group_by.to_lowercase().replace('_', " ");
    let mut html =
        format!("<thead><tr><th>{heading}</th><th>Hours</th><th>Cost</th></tr></thead><tbody>");
    let (mut hours, mut cost) = (0.0, 0.0);
    for group in groups {
        let (h, c) = (group.hours.unwrap_or(0.0), group.cost.unwrap_or(0.0));
        hours += h;
        cost += c;
        html += &format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(group.key.as_deref().unwrap_or("")),
            (format.fixed)(h, 1),
            (format.fixed)(c, 2)
        );
    }
    html + &format!(
        "</tbody><tfoot><tr><th>Total</th><td class=\"total-hours\">{}</td><td class=\"total-cost\">{}</td></tr></tfoot>",
        (format.fixed)(hours, 1),
        (format.fixed)(cost, 2)
    )
}

/// The chart: `line` (`usage::chart_line`) in a `size` box over `days` days, with the
/// peak and 0 on its side, the first, middle and last day below, and words for its peak.
pub fn chart(line: &str, size: (f64, f64), days: i64, peak: i64) -> String {
    let (w, h) = size;
    let label = |x: f64, y: f64, anchor: &str, text: String| {
        format!("<text x=\"{x}\" y=\"{y}\" text-anchor=\"{anchor}\" font-size=\"11\" fill=\"currentColor\">{text}</text>")
    };
    let middle = (days + 1) / 2;
    let labels = [
        label(-4.0, 10.0, "end", peak.to_string()),
        label(-4.0, h, "end", "0".into()),
        label(0.0, h + 14.0, "start", "day 1".into()),
        label(w / 2.0, h + 14.0, "middle", format!("day {middle}")),
        label(w, h + 14.0, "end", format!("day {days}")),
    ]
    .concat();
    format!(
        "<svg viewBox=\"-30 -4 {vw} {vh}\" role=\"img\" aria-label=\"Workstations READY at once, hour by hour; the most was {peak}\">\
         <rect x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"none\" stroke=\"currentColor\" stroke-opacity=\"0.3\"></rect>\
         <polyline points=\"{line}\" fill=\"none\" stroke=\"currentColor\" stroke-width=\"1.5\"></polyline>{labels}</svg>\
         <figcaption>Workstations READY at once, hour by hour (most: {peak})</figcaption>",
        vw = w + 34.0,
        vh = h + 22.0
    )
}

/// The rows of sessions `ids`, each with what `lookup` finds of it.
pub fn rows<'a>(
    ids: &[String],
    lookup: impl Fn(&str) -> Option<(&'a Row, Option<&'a SessionActivity>)>,
    now_ms: i64,
    format: &Format,
) -> String {
    ids.iter()
        .filter_map(|id| {
            let (found, seen) = lookup(id)?;
            Some(row(found, seen, now_ms, format))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::Action;
    use nimble_model::StreamingSessionState;

    const FORMAT: Format = Format {
        time: |t| t.to_rfc3339(),
        fixed: |n, d| format!("{n:.d$}"),
    };

    #[test]
    fn what_an_artist_chose_is_escaped_everywhere() {
        let attack = "<img src=x onerror=alert(1)>\"'&";
        let row = Row {
            session_id: Some("s-1\"><script>".into()),
            owned_by: Some(attack.into()),
            status_message: Some(attack.into()),
            tags: Some([("name".to_owned(), attack.to_owned())].into()),
            state: Some(StreamingSessionState::Ready),
            ..Default::default()
        };
        let html = super::row(&row, None, 0, &FORMAT);
        assert!(
            !html.contains("<img") && !html.contains("<script"),
            "{html}"
        );
        assert!(
            html.contains("&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;"),
            "{html}"
        );
        assert!(options(&[attack.to_owned()], "").contains("&lt;img"));
        let group = UsageGroup {
            key: Some(attack.into()),
            hours: Some(1.0),
            cost: Some(2.0),
        };
        assert!(!usage("OWNER", &[group], &FORMAT).contains("<img"));
    }

    #[test]
    fn a_row_shows_idle_minutes_only_when_ready() {
        let at = |ms| Timestamp::from_unix_millis(ms);
        let seen = SessionActivity {
            session_id: Some("s-1".into()),
            last_used_at: at(0),
            last_viewer_at: at(60_000),
        };
        let mut row = Row {
            session_id: Some("s-1".into()),
            state: Some(StreamingSessionState::Ready),
            ..Default::default()
        };
        let html = super::row(&row, Some(&seen), 45 * 60_000, &FORMAT);
        assert!(html.ends_with("<td>45</td><td>44</td></tr>"), "{html}");
        assert!(
            html.contains("data-state=\"READY\">Running</span>"),
            "{html}"
        );
        row.state = Some(StreamingSessionState::Stopped);
        let html = super::row(&row, Some(&seen), 45 * 60_000, &FORMAT);
        assert!(html.ends_with("<td></td><td>44</td></tr>"), "{html}");
    }

    #[test]
    fn the_usage_table_totals_its_groups() {
        let group = |key: &str, hours, cost| UsageGroup {
            key: Some(key.into()),
            hours: Some(hours),
            cost: Some(cost),
        };
        let html = usage(
            "LAUNCH_PROFILE",
            &[group("a", 1.25, 2.5), group("b", 2.0, 0.25)],
            &FORMAT,
        );
        assert!(
            html.starts_with("<thead><tr><th>launch profile</th>"),
            "{html}"
        );
        assert!(
            html.contains("<td class=\"total-hours\">3.2</td><td class=\"total-cost\">2.75</td>"),
            "{html}"
        );
    }

    #[test]
    fn the_chart_names_its_peak_and_days() {
        let svg = chart("0,160 720,0", (720.0, 160.0), 30, 7);
        assert!(svg.contains("points=\"0,160 720,0\""), "{svg}");
        for label in [
            ">7</text>",
            ">0</text>",
            ">day 1</text>",
            ">day 15</text>",
            ">day 30</text>",
        ] {
            assert!(svg.contains(label), "{label} in {svg}");
        }
        assert!(svg.contains("(most: 7)"), "{svg}");
    }

    #[test]
    fn the_confirmation_counts_and_names_the_action() {
        let pending = Pending {
            action: Action::StopDeletingVolume,
            ids: vec!["a".into(), "b".into()],
        };
        assert!(confirm(&pending).starts_with("<p>Stop with DELETE 2 workstations?"));
    }
}
