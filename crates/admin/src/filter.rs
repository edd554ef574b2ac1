//! Which rows the table shows: filters by owner, state, launch profile and image (each
//! empty for "any"), a search over names, ids, owners and status messages, and the page of
//! [`PAGE_ROWS`] rows on screen. A studio has thousands of sessions; drawing a page at a
//! time keeps the first rows quick and the page responsive while the rest arrive.

use crate::row::Row;

/// Rows drawn at once.
pub const PAGE_ROWS: usize = 50;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filter {
    pub owner: String,
    pub state: String,
    pub profile: String,
    pub image: String,
    /// Case-insensitive, anywhere in the name, id, owner or status message.
    pub search: String,
}

impl Filter {
    pub fn matches(&self, row: &Row) -> bool {
        let is = |wanted: &str, value: &str| wanted.is_empty() || wanted == value;
        is(&self.owner, row.owner())
            && is(&self.state, row.state().as_str())
            && is(
                &self.profile,
                row.launch_profile_id.as_deref().unwrap_or(""),
            )
            && is(&self.image, row.streaming_image_id.as_deref().unwrap_or(""))
            && self.found_in(row)
    }

    fn found_in(&self, row: &Row) -> bool {
        let search = self.search.trim().to_lowercase();
        if search.is_empty() {
            return true;
        }
        let status = row.status_message.as_deref().unwrap_or("");
        [row.name(), row.id(), row.owner(), status]
            .iter()
            .any(|text| text.to_lowercase().contains(&search))
    }
}

/// Which filter a list of choices is for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Field {
    Owner,
    State,
    Profile,
    Image,
}

impl Field {
    fn of(self, row: &Row) -> String {
        match self {
            Field::Owner => row.owner().to_owned(),
            Field::State => row.state().as_str().to_owned(),
            Field::Profile => row.launch_profile_id.clone().unwrap_or_default(),
            Field::Image => row.streaming_image_id.clone().unwrap_or_default(),
        }
    }
}

/// The values `field` takes among `rows`, sorted, without blanks or repeats.
pub fn choices<'a>(rows: impl Iterator<Item = &'a Row>, field: Field) -> Vec<String> {
    let mut values: Vec<String> = rows.map(|row| field.of(row)).collect();
    values.retain(|v| !v.is_empty());
    values.sort();
    values.dedup();
    values
}

/// The rows `filter` lets through, owners then names in order, and how many there are.
pub fn shown<'a>(rows: impl Iterator<Item = &'a Row>, filter: &Filter) -> Vec<&'a Row> {
    let mut shown: Vec<&Row> = rows.filter(|row| filter.matches(row)).collect();
    shown.sort_by(|a, b| (a.owner(), a.name(), a.id()).cmp(&(b.owner(), b.name(), b.id())));
    shown
}

/// Page `page` (from 0) of `rows`; the last page when `page` is beyond it.
pub fn page<T: Clone>(rows: &[T], page: usize) -> (Vec<T>, usize) {
    let pages = rows.len().div_ceil(PAGE_ROWS).max(1);
    let page = page.min(pages - 1);
    let start = page * PAGE_ROWS;
    let end = (start + PAGE_ROWS).min(rows.len());
    (rows[start..end].to_vec(), page)
}

/// The READY sessions whose last use (`last_use(id)`, ms) is at least `minutes` before
/// `now_ms`: what "Stop all idle" stops. A session with no known use is not idle.
pub fn idle<'a>(
    rows: impl Iterator<Item = &'a Row>,
    last_use: impl Fn(&str) -> Option<i64>,
    now_ms: i64,
    minutes: i64,
) -> Vec<&'a Row> {
    rows.filter(|row| row.is_ready())
        .filter(|row| last_use(row.id()).is_some_and(|at| now_ms - at >= minutes * 60_000))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use nimble_model::StreamingSessionState as S;

    fn row(id: &str, owner: &str, state: S, profile: &str, image: &str) -> Row {
        Row {
            session_id: Some(id.into()),
            state: Some(state),
            launch_profile_id: Some(profile.into()),
            status_message: Some(format!("{id} status")),
            tags: Some([("name".to_owned(), format!("Shot {id}"))].into()),
            owned_by: Some(owner.into()),
            streaming_image_id: Some(image.into()),
            ..Default::default()
        }
    }

    fn fleet() -> Vec<Row> {
        vec![
            row("s-3", "bob", S::Ready, "lp-a", "img-1"),
            row("s-1", "alice", S::Stopped, "lp-a", "img-1"),
            row("s-2", "alice", S::Ready, "lp-b", "img-2"),
            row("s-4", "carol", S::StartInProgress, "lp-b", "img-1"),
        ]
    }

    fn ids(rows: &[&Row]) -> Vec<String> {
        rows.iter().map(|r| r.id().to_owned()).collect()
    }

    #[test]
    fn each_filter_narrows_and_they_combine() {
        let rows = fleet();
        let by = |filter: Filter| ids(&shown(rows.iter(), &filter));
        assert_eq!(by(Filter::default()), ["s-1", "s-2", "s-3", "s-4"]);
        let alice = Filter {
            owner: "alice".into(),
            ..Default::default()
        };
        assert_eq!(by(alice.clone()), ["s-1", "s-2"]);
        let ready = Filter {
            state: "READY".into(),
            ..Default::default()
        };
        assert_eq!(by(ready.clone()), ["s-2", "s-3"]);
        assert_eq!(
            by(Filter {
                state: "READY".into(),
                ..alice
            }),
            ["s-2"]
        );
        let image = Filter {
            image: "img-1".into(),
            profile: "lp-b".into(),
            ..Default::default()
        };
        assert_eq!(by(image), ["s-4"]);
    }

    #[test]
    fn the_search_looks_in_names_ids_owners_and_messages_ignoring_case() {
        let rows = fleet();
        let search = |text: &str| {
            let filter = Filter {
                search: text.into(),
                ..Default::default()
            };
            ids(&shown(rows.iter(), &filter))
        };
        assert_eq!(search("SHOT S-3"), ["s-3"]);
        assert_eq!(search("carol"), ["s-4"]);
        assert_eq!(search("s-2 status"), ["s-2"]);
        assert!(search("nobody").is_empty());
        assert_eq!(search("  ").len(), 4);
    }

    #[test]
    fn choices_are_sorted_and_distinct() {
        let rows = fleet();
        assert_eq!(
            choices(rows.iter(), Field::Owner),
            ["alice", "bob", "carol"]
        );
        assert_eq!(
            choices(rows.iter(), Field::State),
            ["READY", "START_IN_PROGRESS", "STOPPED"]
        );
        assert_eq!(choices(rows.iter(), Field::Image), ["img-1", "img-2"]);
    }

    #[test]
    fn pages_hold_page_rows_and_a_page_past_the_end_is_the_last() {
        let numbers: Vec<usize> = (0..PAGE_ROWS * 2 + 3).collect();
        let (first, at) = page(&numbers, 0);
        assert_eq!((first.len(), first[0], at), (PAGE_ROWS, 0, 0));
        let (last, at) = page(&numbers, 9);
        assert_eq!(
            (last, at),
            (vec![PAGE_ROWS * 2, PAGE_ROWS * 2 + 1, PAGE_ROWS * 2 + 2], 2)
        );
        let (none, at) = page(&Vec::<usize>::new(), 3);
        assert_eq!((none.len(), at), (0, 0));
    }

    #[test]
    fn idle_means_ready_and_unused_for_the_minutes() {
        let rows = fleet();
        let now = 10 * 3_600_000;
        let last_use = |id: &str| match id {
            "s-2" => Some(now - 61 * 60_000),
            "s-3" => Some(now - 59 * 60_000),
            "s-1" => Some(0),
            _ => None,
        };
        // s-1 is unused longer but STOPPED; s-4 has no known use.
        assert_eq!(ids(&idle(rows.iter(), last_use, now, 60)), ["s-2"]);
        assert_eq!(ids(&idle(rows.iter(), last_use, now, 59)), ["s-3", "s-2"]);
    }
}
