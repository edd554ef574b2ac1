//! The lists the portal reads whole: sessions, backups and launch profiles. One walk
//! follows `nextToken` from page to page for all three and hands back every item as one
//! JS array, which `decode` then reads as the caller's type. The walk is not generic, so
//! the wasm holds one copy of it rather than one per list.

use super::{call, decode, path};
use crate::logic::Failure;
use crate::workstation::Workstation;
use js_sys::{Array, Reflect};
use nimble_model::*;
use serde::Deserialize;
use wasm_bindgen::{JsCast, JsValue};

/// A list operation, with what tells it apart from the others.
#[derive(Clone, Copy)]
enum List {
    Sessions,
    Backups,
    Profiles,
}

impl List {
    /// The operation, and the member of its pages that holds the items.
    fn parts(self) -> (Operation, &'static str) {
        match self {
            List::Sessions => (Operation::ListStreamingSessions, "sessions"),
            List::Backups => (
                Operation::ListStreamingSessionBackups,
                "streamingSessionBackups",
            ),
            List::Profiles => (Operation::ListLaunchProfiles, "launchProfiles"),
        }
    }

    /// The query string of the page after `next_token` (the first page for `None`).
    fn query(self, next_token: Option<String>) -> String {
        match self {
            List::Sessions => ListStreamingSessionsQuery {
                next_token,
                ..Default::default()
            }
            .to_query_string(),
            List::Backups => ListStreamingSessionBackupsQuery {
                next_token,
                ..Default::default()
            }
            .to_query_string(),
            List::Profiles => ListLaunchProfilesQuery {
                next_token,
                ..Default::default()
            }
            .to_query_string(),
        }
    }
}

/// Appends a parsed page's items (its member `items`) to `all`; answers the page's next
/// token, `None` on the last page. Items that are not an array fail the final `decode`.
fn read_page(page: &JsValue, items: &str, all: &Array) -> Option<String> {
    let member = |name: &str| Reflect::get(page, &JsValue::from_str(name)).ok();
    if let Some(found) = member(items).filter(|v| !v.is_undefined() && !v.is_null()) {
        match found.dyn_into::<Array>() {
            Ok(page_items) => page_items.iter().for_each(|item| {
                all.push(&item);
            }),
            // Not a list: kept as one item, so the final `decode` fails on it.
            Err(other) => {
                all.push(&other);
            }
        }
    }
    member("nextToken")?.as_string().filter(|t| !t.is_empty())
}

/// The one paging walk: every item of `list` in `studio`, across all pages.
async fn all_pages(list: List, studio: &str) -> Result<JsValue, Failure> {
    let (operation, items) = list.parts();
    let base = path(operation, &[studio]);
    let all = Array::new();
    let mut next_token = None;
    loop {
        let url = format!("{base}?{}", list.query(next_token));
        let page = call("GET", &url, None, &[]).await?;
        next_token = read_page(&page, items, &all);
        if next_token.is_none() {
            return Ok(all.into());
        }
    }
}

/// Every session of the artist, across all pages.
pub async fn list_sessions(studio: &str) -> Result<Vec<Workstation>, Failure> {
    decode(all_pages(List::Sessions, studio).await?)
}

/// Every backup of the artist, across all pages.
pub async fn list_backups(studio: &str) -> Result<Vec<BackupChoice>, Failure> {
    decode(all_pages(List::Backups, studio).await?)
}

/// The launch profiles the artist may create sessions from, across all pages.
pub async fn launch_profiles(studio: &str) -> Result<Vec<ProfileChoice>, Failure> {
    decode(all_pages(List::Profiles, studio).await?)
}

/// What the portal uses of a backup: whose it is and when it was taken. Like
/// `ProfileChoice`, a reader of only these members (the rest is skipped while decoding).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupChoice {
    pub backup_id: Option<String>,
    pub session_id: Option<String>,
    pub created_at: Option<Timestamp>,
}

/// `streamConfiguration.ec2InstanceTypes` of a launch profile.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceTypes {
    pub ec2_instance_types: Option<Vec<StreamingInstanceType>>,
}

/// What the portal uses of a launch profile: the rest of `LaunchProfile`'s large tree is
/// skipped while decoding, which keeps its decoder out of the wasm. The tests below check
/// these readers against the model's own types.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileChoice {
    pub launch_profile_id: Option<String>,
    pub name: Option<String>,
    pub stream_configuration: Option<InstanceTypes>,
}

// The browser parses the JSON here, so these run in Chromium.
#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// A page as the model writes it and the browser parses it: its items added to `all`,
    /// its next token answered.
    fn read<T: serde::Serialize>(list: List, page: &T, all: &Array) -> Option<String> {
        let parsed = js_sys::JSON::parse(&serde_json::to_string(page).unwrap()).unwrap();
        read_page(&parsed, list.parts().1, all)
    }

    /// The slim readers take their members from what the model writes.
    #[test]
    fn the_slim_readers_read_what_the_model_writes() {
        let profile = LaunchProfile {
            launch_profile_id: Some("lp-1".into()),
            name: Some("Lighting".into()),
            description: Some("skipped".into()),
            stream_configuration: Some(StreamConfiguration {
                ec2_instance_types: Some(vec![StreamingInstanceType::G4dnXlarge]),
                max_session_length_in_minutes: Some(690),
                ..Default::default()
            }),
            ..Default::default()
        };
        let page = ListLaunchProfilesResponse {
            launch_profiles: Some(vec![profile]),
            next_token: Some("t2".into()),
        };
        let all = Array::new();
        let next_token = read(List::Profiles, &page, &all);
        assert_eq!(next_token.as_deref(), Some("t2"));
        let read_profiles: Vec<ProfileChoice> = decode(all.into()).unwrap();
        let choice = &read_profiles[0];
        assert_eq!(choice.launch_profile_id.as_deref(), Some("lp-1"));
        assert_eq!(choice.name.as_deref(), Some("Lighting"));
        assert_eq!(
            choice
                .stream_configuration
                .as_ref()
                .unwrap()
                .ec2_instance_types,
            Some(vec![StreamingInstanceType::G4dnXlarge])
        );

        let created = Timestamp::from_unix_millis(1_704_164_645_000).unwrap();
        let page = ListStreamingSessionBackupsResponse {
            streaming_session_backups: Some(vec![StreamingSessionBackup {
                backup_id: Some("b-1".into()),
                session_id: Some("s-1".into()),
                created_at: Some(created),
                state: Some(StreamingSessionState::Stopped),
                ..Default::default()
            }]),
            next_token: None,
        };
        let all = Array::new();
        assert_eq!(read(List::Backups, &page, &all), None);
        let read_backups: Vec<BackupChoice> = decode(all.into()).unwrap();
        assert_eq!(
            read_backups,
            vec![BackupChoice {
                backup_id: Some("b-1".into()),
                session_id: Some("s-1".into()),
                created_at: Some(created),
            }]
        );
    }

    /// Pages add up in order; a page without items adds none; a malformed page fails.
    #[test]
    fn the_walk_adds_pages_up_in_order() {
        let session = |id: &str| StreamingSession {
            session_id: Some(id.into()),
            ..Default::default()
        };
        let page = |ids: &[&str], next: Option<&str>| ListStreamingSessionsResponse {
            sessions: Some(ids.iter().map(|id| session(id)).collect()),
            next_token: next.map(Into::into),
        };
        let all = Array::new();
        assert_eq!(
            read(List::Sessions, &page(&["a", "b"], Some("t")), &all),
            Some("t".into())
        );
        let empty = ListStreamingSessionsResponse::default();
        assert_eq!(read(List::Sessions, &empty, &all), None);
        assert_eq!(read(List::Sessions, &page(&["c"], Some("")), &all), None);
        let sessions: Vec<Workstation> = decode(all.into()).unwrap();
        let ids: Vec<_> = sessions
            .iter()
            .filter_map(|s| s.session_id.as_deref())
            .collect();
        assert_eq!(ids, ["a", "b", "c"]);

        let bad = Array::new();
        let parsed = js_sys::JSON::parse(r#"{"sessions": 7}"#).unwrap();
        assert_eq!(read_page(&parsed, "sessions", &bad), None);
        assert!(decode::<Vec<Workstation>>(bad.into()).is_err());
    }
}
