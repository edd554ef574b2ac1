//! The usage tab's decisions: the month an admin picks as a period, the CSV of a month's
//! groups, and the chart's line. Months are UTC months, as the API's instants are.

use nimble_model::UsageGroup;

/// The instants that begin month `month` ("2026-11", as `<input type="month">` gives it)
/// and the next, as ISO 8601; `None` for anything else.
pub fn month_span(month: &str) -> Option<(String, String)> {
    let (year, number) = month.split_once('-')?;
    let (year, number): (i32, u32) = (year.parse().ok()?, number.parse().ok()?);
    if year.to_string().len() != 4 || !(1..=12).contains(&number) {
        return None;
    }
    let (next_year, next) = if number == 12 {
        (year + 1, 1)
    } else {
        (year, number + 1)
    };
    Some((
        format!("{year:04}-{number:02}-01T00:00:00Z"),
        format!("{next_year:04}-{next:02}-01T00:00:00Z"),
    ))
}

/// The month of the instant `unix_ms`, as `month_span` reads it.
pub fn month_of(unix_ms: i64) -> String {
    let days = unix_ms.div_euclid(86_400_000);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}")
}

/// One CSV field: quoted when it holds a comma, quote or line break; a leading `=`, `+`,
/// `-` or `@` (a spreadsheet would run it as a formula) is escaped with a `'`.
fn field(text: &str) -> String {
    let text = match text.starts_with(['=', '+', '-', '@']) {
        true => format!("'{text}"),
        false => text.to_owned(),
    };
    match text.contains([',', '"', '\n', '\r']) {
        true => format!("\"{}\"", text.replace('"', "\"\"")),
        false => text,
    }
}

/// The CSV of a month's groups: a header naming the grouping, then one line per group
/// with its hours (3 decimals) and cost (2 decimals).
pub fn csv(group_by: &str, groups: &[UsageGroup]) -> String {
    let mut out = format!("{},hours,cost\r\n", group_by.to_lowercase());
    for group in groups {
        out += &format!(
            "{},{:.3},{:.2}\r\n",
            field(group.key.as_deref().unwrap_or("")),
            group.hours.unwrap_or(0.0),
            group.cost.unwrap_or(0.0)
        );
    }
    out
}

/// The chart's line through `points` (instant in ms, READY at once) over the period
/// `from_ms..to_ms`, in a `width` × `height` box with 0 at the bottom and `peak` at the
/// top: SVG polyline points, a step at each point.
pub fn chart_line(
    points: &[(i64, i64)],
    from_ms: i64,
    to_ms: i64,
    size: (f64, f64),
    peak: i64,
) -> String {
    let (width, height) = size;
    let span = (to_ms - from_ms).max(1) as f64;
    let x = |at: i64| ((at - from_ms) as f64 / span * width).clamp(0.0, width);
    let y = |ready: i64| height - ready as f64 / peak.max(1) as f64 * height;
    let mut line = Vec::new();
    for (i, &(at, ready)) in points.iter().enumerate() {
        let end = points.get(i + 1).map_or(to_ms, |next| next.0);
        line.push(format!("{:.1},{:.1}", x(at), y(ready)));
        line.push(format!("{:.1},{:.1}", x(end), y(ready)));
    }
    line.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_runs_to_the_next_one_and_december_to_january() {
        assert_eq!(
            month_span("2026-11"),
            Some(("2026-11-01T00:00:00Z".into(), "2026-12-01T00:00:00Z".into()))
        );
        assert_eq!(month_span("2026-12").unwrap().1, "2027-01-01T00:00:00Z");
        for bad in [
            "",
            "2026",
            "2026-13",
            "2026-00",
            "26-11",
            "2026-1x",
            "2026-11-01",
        ] {
            assert_eq!(month_span(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_month_of_an_instant_is_its_utc_month() {
        assert_eq!(month_of(0), "1970-01");
        // 2026-12-06T06:00:00Z, and the last millisecond of February 2024 (a leap year).
        assert_eq!(month_of(1_796_536_800_000), "2026-12");
        assert_eq!(month_of(1_709_251_199_999), "2024-02");
        assert_eq!(month_of(1_709_251_200_000), "2024-03");
    }

    #[test]
    fn the_csv_quotes_what_needs_it_and_defuses_formulas() {
        let group = |key: &str, hours, cost| UsageGroup {
            key: Some(key.into()),
            hours: Some(hours),
            cost: Some(cost),
        };
        let text = csv(
            "OWNER",
            &[
                group("alice", 1.5, 3.0),
                group("o'neil, \"jr\"", 0.25, 0.0),
                group("=cmd()", 2.0, 1.234),
            ],
        );
        assert_eq!(
            text,
            "owner,hours,cost\r\nalice,1.500,3.00\r\n\"o'neil, \"\"jr\"\"\",0.250,0.00\r\n'=cmd(),2.000,1.23\r\n"
        );
    }

    #[test]
    fn the_chart_steps_from_point_to_point_scaled_to_the_peak() {
        let line = chart_line(&[(0, 0), (50, 2), (75, 4)], 0, 100, (200.0, 40.0), 4);
        assert_eq!(
            line,
            "0.0,40.0 100.0,40.0 100.0,20.0 150.0,20.0 150.0,0.0 200.0,0.0"
        );
        assert_eq!(chart_line(&[], 0, 100, (200.0, 40.0), 0), "");
    }
}
