//! Every constraint the model puts on what the servers accept (length, range, pattern, enum,
//! list size, required) is found in `service-2.json`, broken once, and must be rejected by
//! `Validate` with an error naming exactly that member.

mod model;

use model::Model;
use nimble_model::*;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

/// A place in a sample where a constraint applies, and one value that breaks it.
struct Violation {
    /// JSON keys (and list index 0) from the root to the member.
    path: Vec<String>,
    /// The dotted member path the error must name.
    field: String,
    /// `None` removes the member (a required one).
    value: Option<Value>,
    why: String,
}

fn violations_of(
    model: &Model,
    shape_name: &str,
    path: &[String],
    field: &str,
    out: &mut Vec<Violation>,
) {
    let shape = model.shape(shape_name);
    let at = |value: Option<Value>, why: String| Violation {
        path: path.to_vec(),
        field: field.to_owned(),
        value,
        why,
    };
    if shape["enum"].is_array() {
        out.push(at(Some(json!("NOT_A_VALUE")), format!("{shape_name} enum")));
    }
    let (min, max) = (shape["min"].as_i64(), shape["max"].as_i64());
    match shape["type"].as_str().unwrap() {
        "string" => {
            for (bad, why) in bad_strings(shape) {
                out.push(at(Some(json!(bad)), format!("{shape_name} {why}")));
            }
        }
        "map" => {
            // A map's own size limits, then each bad key (in a map of one entry), then the
            // constraints of its values (the sample map's one entry is `"key"`).
            let key_shape = model.shape(shape["key"]["shape"].as_str().unwrap());
            let value_name = shape["value"]["shape"].as_str().unwrap();
            let value = model.sample(value_name);
            let entries = |n: usize| -> Value {
                (0..n)
                    .map(|i| (format!("k{i}"), value.clone()))
                    .collect::<serde_json::Map<_, _>>()
                    .into()
            };
            if let Some(min) = min.filter(|m| *m > 0) {
                out.push(at(
                    Some(entries(min as usize - 1)),
                    format!("{shape_name} min"),
                ));
            }
            if let Some(max) = max {
                out.push(at(
                    Some(entries(max as usize + 1)),
                    format!("{shape_name} max"),
                ));
            }
            for (bad, why) in bad_strings(key_shape) {
                out.push(at(
                    Some(json!({ bad: value.clone() })),
                    format!("{shape_name} key {why}"),
                ));
            }
            let mut inner = path.to_vec();
            inner.push("key".into());
            violations_of(model, value_name, &inner, field, out);
        }
        "integer" | "long" => {
            if let Some(min) = min {
                out.push(at(Some(json!(min - 1)), format!("{shape_name} min")));
            }
            if let Some(max) = max {
                out.push(at(Some(json!(max + 1)), format!("{shape_name} max")));
            }
        }
        "list" => {
            let item = model.sample(shape["member"]["shape"].as_str().unwrap());
            if let Some(min) = min.filter(|m| *m > 0) {
                out.push(at(
                    Some(json!(vec![item.clone(); min as usize - 1])),
                    format!("{shape_name} min"),
                ));
            }
            if let Some(max) = max {
                out.push(at(
                    Some(json!(vec![item; max as usize + 1])),
                    format!("{shape_name} max"),
                ));
            }
            let mut inner = path.to_vec();
            inner.push("0".into());
            violations_of(
                model,
                shape["member"]["shape"].as_str().unwrap(),
                &inner,
                field,
                out,
            );
        }
        "structure" => {
            let required: Vec<&str> = shape["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            for (name, member) in model.members(shape_name) {
                if member["location"].is_string() && member["location"] != "querystring" {
                    continue; // path labels and the client token are checked elsewhere
                }
                let wire = member["locationName"].as_str().unwrap_or(&name).to_owned();
                let mut inner = path.to_vec();
                inner.push(wire.clone());
                let dotted = if field.is_empty() {
                    wire.clone()
                } else {
                    format!("{field}.{wire}")
                };
                if required.contains(&name.as_str()) {
                    out.push(Violation {
                        path: inner.clone(),
                        field: dotted.clone(),
                        value: None,
                        why: format!("{shape_name}.{name} required"),
                    });
                }
                violations_of(
                    model,
                    member["shape"].as_str().unwrap(),
                    &inner,
                    &dotted,
                    out,
                );
            }
        }
        _ => {}
    }
}

/// Strings that break a string shape's `min`, `max` and `pattern`, with which one.
fn bad_strings(shape: &Value) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    if let Some(min) = shape["min"].as_u64().filter(|m| *m > 0) {
        out.push(("a".repeat(min as usize - 1), "min"));
    }
    if let Some(max) = shape["max"].as_u64() {
        out.push(("a".repeat(max as usize + 1), "max"));
    }
    if shape["pattern"].is_string() {
        out.push(("bad !".to_owned(), "pattern"));
    }
    out
}

fn apply(sample: &Value, violation: &Violation) -> Value {
    let mut value = sample.clone();
    let (last, parents) = violation.path.split_last().unwrap();
    let mut target = &mut value;
    for key in parents {
        target = match key.parse::<usize>() {
            Ok(i) => &mut target[i],
            Err(_) => &mut target[key.as_str()],
        };
    }
    match (last.parse::<usize>(), &violation.value) {
        (Ok(index), Some(v)) => target[index] = v.clone(),
        (_, Some(v)) => target[last.as_str()] = v.clone(),
        (_, None) => {
            target
                .as_object_mut()
                .expect("parent is an object")
                .remove(last);
        }
    }
    value
}

/// Builds the sample of `shape` restricted to body (or query) members, breaks each
/// constraint in turn and checks `T::validate` names the member.
fn check<T: DeserializeOwned + Validate>(model: &Model, shape: &str) -> usize {
    let mut sample = model.sample(shape);
    for (name, member) in model.members(shape) {
        if member["location"].is_string() && member["location"] != "querystring" {
            sample.as_object_mut().unwrap().remove(&name);
        }
    }
    let valid: T = serde_json::from_value(sample.clone()).expect("sample parses");
    assert_eq!(
        valid.validate(),
        Ok(()),
        "the valid sample of {shape} is rejected"
    );

    let mut violations = Vec::new();
    violations_of(model, shape, &[], "", &mut violations);
    let mut problems = Vec::new();
    for violation in &violations {
        let broken = apply(&sample, violation);
        let result = serde_json::from_value::<T>(broken)
            .map_err(|e| e.to_string())
            .map(|typed| typed.validate());
        match result {
            Ok(Err(error)) if error.field == violation.field => {}
            Ok(Err(error)) => problems.push(format!(
                "{}: named {:?}, expected {:?}",
                violation.why, error.field, violation.field
            )),
            Ok(Ok(())) => problems.push(format!("{}: accepted", violation.why)),
            Err(parse) => problems.push(format!("{}: did not parse: {parse}", violation.why)),
        }
    }
    assert!(problems.is_empty(), "{shape}: {problems:#?}");
    violations.len()
}

#[test]
fn every_request_constraint_is_enforced_and_named() {
    let model = Model::load();
    let checked = check::<CreateStreamingSessionBody>(&model, "CreateStreamingSessionRequest")
        + check::<StartStreamingSessionBody>(&model, "StartStreamingSessionRequest")
        + check::<StopStreamingSessionBody>(&model, "StopStreamingSessionRequest")
        + check::<CreateStreamingSessionStreamBody>(&model, "CreateStreamingSessionStreamRequest")
        + check::<ListStreamingSessionsQuery>(&model, "ListStreamingSessionsRequest")
        + check::<ListStreamingSessionBackupsQuery>(&model, "ListStreamingSessionBackupsRequest")
        + check::<ListLaunchProfilesQuery>(&model, "ListLaunchProfilesRequest");
    // launchProfileId required, ec2InstanceType enum, streamingImageId max and pattern,
    // volumeRetentionMode enum, expirationInSeconds min and max, maxResults min and max,
    // states enum: a lower count means the walk above missed constraints.
    assert!(checked >= 10, "only {checked} constraints found");
}

#[test]
fn every_launch_profile_constraint_is_enforced_and_named() {
    let model = Model::load();
    let checked = check::<LaunchProfile>(&model, "LaunchProfile");
    assert!(checked >= 40, "only {checked} constraints found");
}

#[test]
fn client_token_limits_come_from_the_model() {
    let model = Model::load();
    let shape = model.shape("ClientToken");
    let (min, max) = (
        shape["min"].as_u64().unwrap() as usize,
        shape["max"].as_u64().unwrap() as usize,
    );
    assert!(validate_client_token(Some(&"t".repeat(min))).is_ok());
    assert!(validate_client_token(Some(&"t".repeat(max))).is_ok());
    assert_eq!(
        validate_client_token(Some(&"t".repeat(max + 1)))
            .unwrap_err()
            .field,
        "clientToken"
    );
    assert_eq!(
        validate_client_token(Some(&"t".repeat(min - 1)))
            .unwrap_err()
            .field,
        "clientToken"
    );
}
