//! Tags: the model gives the `Tags` map no limits, so the servers apply AWS's usual ones
//! (nimble-model's `tags.rs`). This checks that the model still sets none (were it to set
//! some, `validation.rs` walks and checks them like any other constraint) and that the
//! limits hold at their edges, with every error naming `tags`.

mod model;

use model::Model;
use nimble_model::*;
use serde_json::{json, Value};

/// The model gives `Tags` (a map of `String` to `String`) no limits at all, so the servers
/// apply AWS's usual tagging limits: at most 50 tags, keys of 1 to 128 characters, values
/// of at most 256. Should the model ever set limits, the walk above checks them instead
/// and this test says so.
#[test]
fn tags_have_aws_tagging_limits_because_the_model_sets_none() {
    let model = Model::load();
    let tags = model.shape("Tags");
    let (key, value) = (
        model.shape(tags["key"]["shape"].as_str().unwrap()),
        model.shape(tags["value"]["shape"].as_str().unwrap()),
    );
    for (what, shape) in [("Tags", tags), ("its keys", key), ("its values", value)] {
        for limit in ["min", "max", "pattern"] {
            assert!(
                shape[limit].is_null(),
                "the model now gives {what} a {limit}: check that the walk above enforces it"
            );
        }
    }

    let body = |tags: Value| -> CreateStreamingSessionBody {
        serde_json::from_value(json!({"launchProfileId": "lp-1", "tags": tags})).unwrap()
    };
    let many = |n: usize| -> Value {
        (0..n)
            .map(|i| (format!("k{i}"), json!("v")))
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    let fine = [
        many(50),
        json!({ "k".repeat(128): "v".repeat(256) }),
        json!({ "é".repeat(128): "" }),
        json!({}),
    ];
    for tags in fine {
        assert_eq!(body(tags.clone()).validate(), Ok(()), "{tags}");
    }
    let bad = [
        many(51),
        json!({ "": "v" }),
        json!({ "k".repeat(129): "v" }),
        json!({ "k": "v".repeat(257) }),
        json!({ "k": "é".repeat(257) }),
    ];
    for tags in bad {
        let error = body(tags.clone()).validate().unwrap_err();
        assert_eq!(error.field, "tags", "{tags}");
    }
    // A launch profile's tags (from the studio config) follow the same limits.
    let profile: LaunchProfile = serde_json::from_value(json!({"tags": many(51)})).unwrap();
    assert_eq!(profile.validate().unwrap_err().field, "tags");
}
