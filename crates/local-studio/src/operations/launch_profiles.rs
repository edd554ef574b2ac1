//! ListLaunchProfiles and GetLaunchProfile: read from the studio config, never stored.
//! Their `nextToken` is the index of the next profile (`paging.rs`).

use super::{to_json, Call, Result};
use crate::config::Studio;
use crate::paging::{decode_index_token, encode_index_token};
use nimble_model::*;

pub fn list(call: &Call, studio: &Studio) -> Result<String> {
    let query: ListLaunchProfilesQuery = parse_query(call.query)?;
    let matching: Vec<&LaunchProfile> = studio
        .launch_profiles
        .iter()
        .map(|p| &p.api)
        .filter(|p| {
            query
                .states
                .as_ref()
                .is_none_or(|states| p.state.as_ref().is_some_and(|s| states.contains(s)))
        })
        .collect();
    let start = match &query.next_token {
        Some(token) => decode_index_token(token, matching.len())?,
        None => 0,
    };
    // maxResults was checked to be 1 to 100; start is within the list, so no sum overflows.
    let size = query.max_results.unwrap_or(100).clamp(1, 100) as usize;
    let end = start.saturating_add(size).min(matching.len());
    let page: Vec<LaunchProfile> = matching
        .get(start..end)
        .unwrap_or_default()
        .iter()
        .map(|p| (*p).clone())
        .collect();
    let next = (end < matching.len()).then(|| encode_index_token(end));
    to_json(&ListLaunchProfilesResponse {
        launch_profiles: Some(page),
        next_token: next,
    })
}

pub fn get(call: &Call, studio: &Studio) -> Result<String> {
    let id = call.route.launch_profile_id().unwrap_or("");
    let profile = studio
        .launch_profile(id)
        .ok_or_else(|| ApiError::not_found("Launch profile", id))?;
    to_json(&GetLaunchProfileResponse {
        launch_profile: Some(profile.api.clone()),
    })
}
