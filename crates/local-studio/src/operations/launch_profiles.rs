//! ListLaunchProfiles and GetLaunchProfile: read from the studio config, never stored.
//! Their `nextToken` is the index of the next profile, as text.

use super::{to_json, Call, Result};
use crate::config::Studio;
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
        Some(token) => token
            .parse::<usize>()
            .map_err(|_| ValidationError::new("nextToken", "is not a token this server issued"))?,
        None => 0,
    };
    let size = query.max_results.unwrap_or(100) as usize;
    let page: Vec<LaunchProfile> = matching
        .iter()
        .skip(start)
        .take(size)
        .map(|p| (*p).clone())
        .collect();
    let next = (start + size < matching.len()).then(|| (start + size).to_string());
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
