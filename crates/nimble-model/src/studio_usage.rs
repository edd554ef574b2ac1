//! `GetStudioUsage`, an extension for a studio's admins and their tools (signed like every
//! call; portal-proxy lets only admins through): READY hours and their cost between two
//! instants, grouped by owner, launch profile or instance type, paged.
//!
//! `GET /2020-08-01/studios/{studioId}/usage?from=…&to=…&groupBy=OWNER&maxResults=…&nextToken=…`
//! answers `{"usage": [{"key", "hours", "cost"}], "from", "to", "groupBy", "nextToken"}`.
//!
//! `GetStudioConcurrency`, `GET …/usage/concurrency?from=…&to=…&stepMinutes=…`, answers the
//! most workstations READY at once in each step: `{"points": [{"at", "ready"}], "peak"}`,
//! for the admin page's chart.
//!
//! `GetStudioActivity`, `GET …/activity`, answers when each READY workstation was last used
//! (input, work or Keep running) and last had a viewer connect: `{"sessions": [{"sessionId",
//! "lastUsedAt", "lastViewerAt"}], "at"}` (the server's clock, which idle counts to), for the
//! admin page's idle minutes and "stop all idle".

use crate::requests::{last, push, QueryString};
use crate::shapes::wire_struct;
use crate::validate::{range, Validate};
use crate::{Timestamp, ValidationError};
use serde::{Deserialize, Serialize};

/// What usage may be grouped by.
pub const GROUP_BY: [&str; 3] = ["OWNER", "LAUNCH_PROFILE", "INSTANCE_TYPE"];

/// The longest span one query covers: a year and a day.
const LONGEST_DAYS: i64 = 366;

wire_struct!(
    /// GetStudioUsage's query.
    StudioUsageQuery {
        from: String,
        to: String,
        group_by: String,
        max_results: String,
        next_token: String,
    }
);

impl StudioUsageQuery {
    /// `from` and `to` as instants (ms); checked by `validate`.
    pub fn span_ms(&self) -> (i64, i64) {
        let at = |t: &Option<String>| {
            t.as_deref()
                .and_then(|t| Timestamp::parse(t).ok())
                .map_or(0, |t| t.unix_millis())
        };
        (at(&self.from), at(&self.to))
    }

    /// `maxResults`, 100 when absent.
    pub fn page_size(&self) -> usize {
        self.max_results
            .as_deref()
            .and_then(|m| m.parse().ok())
            .unwrap_or(100)
    }
}

impl QueryString for StudioUsageQuery {
    fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        push(&mut out, "from", &self.from);
        push(&mut out, "groupBy", &self.group_by);
        push(&mut out, "maxResults", &self.max_results);
        push(&mut out, "nextToken", &self.next_token);
        push(&mut out, "to", &self.to);
        out
    }

    fn from_pairs(pairs: &[(String, String)]) -> Result<Self, ValidationError> {
        Ok(Self {
            from: last(pairs, "from"),
            to: last(pairs, "to"),
            group_by: last(pairs, "groupBy"),
            max_results: last(pairs, "maxResults"),
            next_token: last(pairs, "nextToken"),
        })
    }
}

impl Validate for StudioUsageQuery {
    fn validate(&self) -> Result<(), ValidationError> {
        let mut instants = Vec::new();
        for (field, value) in [("from", &self.from), ("to", &self.to)] {
            let Some(text) = value else {
                return Err(ValidationError::new(
                    field,
                    "is required (an ISO 8601 instant)",
                ));
            };
            let at = Timestamp::parse(text)
                .map_err(|_| ValidationError::new(field, "must be an ISO 8601 instant"))?;
            instants.push(at.unix_millis());
        }
        let span = instants[1] - instants[0];
        if span <= 0 || span > LONGEST_DAYS * 86_400_000 {
            return Err(ValidationError::new(
                "to",
                format!("must be after from, by at most {LONGEST_DAYS} days"),
            ));
        }
        let group = self.group_by.as_deref().unwrap_or("");
        if !GROUP_BY.contains(&group) {
            return Err(ValidationError::new(
                "groupBy",
                format!("must be one of {}", GROUP_BY.join(", ")),
            ));
        }
        if let Some(max) = &self.max_results {
            let max: i64 = max
                .parse()
                .map_err(|_| ValidationError::new("maxResults", "must be a number"))?;
            range("maxResults", max, 1, 1000)?;
        }
        Ok(())
    }
}

wire_struct!(
    /// One group's READY hours and their cost (hours × the instance types' hourly rates).
    UsageGroup {
        key: String,
        hours: f64,
        cost: f64,
    }
);

wire_struct!(
    /// GetStudioUsage's answer.
    StudioUsageResponse {
        usage: Vec<UsageGroup>,
        from: Timestamp,
        to: Timestamp,
        group_by: String,
        next_token: String,
    }
);

/// The most points one concurrency query answers.
pub const MOST_POINTS: i64 = 2_000;

wire_struct!(
    /// GetStudioConcurrency's query.
    ConcurrencyQuery {
        from: String,
        to: String,
        step_minutes: String,
    }
);

impl ConcurrencyQuery {
    /// `from`, `to` (ms) and the step (ms); checked by `validate`.
    pub fn span_ms(&self) -> (i64, i64, i64) {
        let (from, to) = StudioUsageQuery {
            from: self.from.clone(),
            to: self.to.clone(),
            ..Default::default()
        }
        .span_ms();
        let step = self
            .step_minutes
            .as_deref()
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(60);
        (from, to, step * 60_000)
    }
}

impl QueryString for ConcurrencyQuery {
    fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        push(&mut out, "from", &self.from);
        push(&mut out, "stepMinutes", &self.step_minutes);
        push(&mut out, "to", &self.to);
        out
    }

    fn from_pairs(pairs: &[(String, String)]) -> Result<Self, ValidationError> {
        Ok(Self {
            from: last(pairs, "from"),
            to: last(pairs, "to"),
            step_minutes: last(pairs, "stepMinutes"),
        })
    }
}

impl Validate for ConcurrencyQuery {
    fn validate(&self) -> Result<(), ValidationError> {
        // The same period rules as usage's.
        StudioUsageQuery {
            from: self.from.clone(),
            to: self.to.clone(),
            group_by: Some(GROUP_BY[0].into()),
            ..Default::default()
        }
        .validate()?;
        let step: i64 = self
            .step_minutes
            .as_deref()
            .unwrap_or("60")
            .parse()
            .map_err(|_| ValidationError::new("stepMinutes", "must be a number"))?;
        range("stepMinutes", step, 1, 44_640)?;
        let (from, to, step_ms) = self.span_ms();
        if (to - from + step_ms - 1) / step_ms > MOST_POINTS {
            return Err(ValidationError::new(
                "stepMinutes",
                format!("gives more than {MOST_POINTS} points for this period: take a longer step"),
            ));
        }
        Ok(())
    }
}

wire_struct!(
    /// The most workstations READY at once from `at` to the next point.
    ConcurrencyPoint { at: Timestamp, ready: i64 }
);

wire_struct!(
    /// GetStudioConcurrency's answer.
    ConcurrencyResponse {
        points: Vec<ConcurrencyPoint>,
        peak: i64,
    }
);

wire_struct!(
    /// When a READY workstation was last used, and last had a viewer connect (absent when
    /// none has since the server started).
    SessionActivity {
        session_id: String,
        last_used_at: Timestamp,
        last_viewer_at: Timestamp,
    }
);

wire_struct!(
    /// GetStudioActivity's answer: every READY workstation, and the server's clock when it
    /// answered, which idle times count to (a browser's clock may be wrong).
    StudioActivityResponse {
        sessions: Vec<SessionActivity>,
        at: Timestamp,
    }
);
