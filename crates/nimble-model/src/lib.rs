//! The wire types of the Nimble Studio streaming-session API (2020-08-01), shared by
//! local-studio, portal-proxy and the browser front end.
//!
//! Everything here is checked member by member against botocore's `service-2.json` by
//! `tests/conformance.rs`, so a missing field or enum value fails the build's tests; only
//! studio-portal's own extensions (`extensions.rs`, `sharing.rs`) are outside that model.

mod enums;
mod error;
mod extensions;
mod operations;
mod parse;
mod requests;
mod route;
mod shapes;
mod sharing;
mod studio_usage;
mod tags;
mod timestamp;
mod transitions;
mod validate;

pub use enums::*;
pub use error::{ApiError, ErrorBody, ErrorType, ValidationError};
pub use extensions::{
    minutes_of, ArtistUsage, ArtistUsageResponse, PutArtistLimitsBody, PutWorkstationScheduleBody,
    RevokeViewerGrantsResponse, ScheduleResponse, StopReason, StopWarning, UsageLine, WorkingHours,
    WorkstationSchedule, WEEKDAY_NAMES,
};
pub use operations::{
    Operation, API_VERSION, CLIENT_TOKEN_HEADER, ON_BEHALF_OF_HEADER, REASON_HEADER,
};
pub use parse::{json_body, parse_body, parse_query};
pub use requests::*;
pub use route::{Route, RouteError};
pub use shapes::*;
pub use sharing::{
    JoinResponse, PutSessionShareBody, SessionShare, SessionShareResponse, SessionSharesResponse,
    SessionThumbnail, ShareMode, ThumbnailResponse, DEFAULT_SHARE_MINUTES, MAX_SHARE_MINUTES,
};
pub use studio_usage::{
    ConcurrencyPoint, ConcurrencyQuery, ConcurrencyResponse, SessionActivity,
    StudioActivityResponse, StudioUsageQuery, StudioUsageResponse, UsageGroup, GROUP_BY,
};
pub use tags::{MAX_TAGS, MAX_TAG_KEY_LENGTH, MAX_TAG_VALUE_LENGTH};
pub use timestamp::{Timestamp, TimestampError};
pub use validate::{validate_client_token, Validate};
