//! Reads botocore's service model for the tests: from `NIMBLE_MODEL_DIR`, from `../shared`
//! beside the checkout (CI), or from `.tools/nimble-model` (fetched by `cargo xtask setup`).

// Each test file uses a different part of this module.
#![allow(dead_code)]

use serde_json::{json, Map, Value};
use std::path::PathBuf;

pub struct Model {
    pub json: Value,
}

pub fn model_dir() -> PathBuf {
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let candidates = [
        std::env::var_os("NIMBLE_MODEL_DIR").map(PathBuf::from),
        Some(workspace.join("../shared/nimble-api/model")),
        Some(workspace.join(".tools/nimble-model")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|dir| dir.join("service-2.json").is_file())
        .expect("service-2.json not found: set NIMBLE_MODEL_DIR, or run `cargo xtask setup`")
}

impl Model {
    pub fn load() -> Model {
        let path = model_dir().join("service-2.json");
        let text = std::fs::read_to_string(&path).expect("read service-2.json");
        Model {
            json: serde_json::from_str(&text).expect("parse service-2.json"),
        }
    }

    pub fn shape(&self, name: &str) -> &Value {
        let shape = &self.json["shapes"][name];
        assert!(shape.is_object(), "shape {name} is not in the model");
        shape
    }

    pub fn operation(&self, name: &str) -> &Value {
        let op = &self.json["operations"][name];
        assert!(op.is_object(), "operation {name} is not in the model");
        op
    }

    pub fn members(&self, shape: &str) -> Vec<(String, Value)> {
        self.shape(shape)["members"]
            .as_object()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default()
    }

    /// A valid value of `shape`, with every member of every structure filled in.
    pub fn sample(&self, shape_name: &str) -> Value {
        let shape = self.shape(shape_name);
        if let Some(values) = shape["enum"].as_array() {
            return values[0].clone();
        }
        match shape["type"].as_str().unwrap_or_default() {
            "string" => json!(match shape_name {
                "StreamingImageId" => "img-1",
                "LaunchProfileId" => "lp-1",
                "LaunchProfileProtocolVersion" => "2021-03-31",
                "StreamingSessionStorageRootPathLinux" => "$HOME/renders",
                "StreamingSessionStorageRootPathWindows" => "%HOMEPATH%\\renders",
                _ => "text",
            }),
            "integer" | "long" => json!(shape["min"].as_i64().unwrap_or(1)),
            "boolean" => json!(true),
            "timestamp" => json!("2024-01-02T03:04:05Z"),
            "list" => json!([self.sample(shape["member"]["shape"].as_str().unwrap())]),
            "map" => json!({ "key": self.sample(shape["value"]["shape"].as_str().unwrap()) }),
            "structure" => {
                let mut object = Map::new();
                for (name, member) in self.members(shape_name) {
                    object.insert(name, self.sample(member["shape"].as_str().unwrap()));
                }
                Value::Object(object)
            }
            other => panic!("shape {shape_name} has a type the tests do not know: {other}"),
        }
    }

    /// Every shape reachable from `root`, including itself.
    pub fn reachable(&self, root: &str, out: &mut Vec<String>) {
        if out.iter().any(|s| s == root) {
            return;
        }
        out.push(root.to_owned());
        let shape = self.shape(root);
        for key in ["member", "key", "value"] {
            if let Some(inner) = shape[key]["shape"].as_str() {
                self.reachable(inner, out);
            }
        }
        for (_, member) in self.members(root) {
            self.reachable(member["shape"].as_str().unwrap(), out);
        }
    }
}

/// Keys of `expected` (recursively) that `actual` lacks, adds or changes, as readable paths.
pub fn differences(expected: &Value, actual: &Value, path: &str, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(want), Value::Object(got)) => {
            for (key, value) in want {
                let here = format!("{path}.{key}");
                match got.get(key) {
                    Some(inner) => differences(value, inner, &here, out),
                    None => out.push(format!("{here} is missing in Rust")),
                }
            }
            for key in got.keys().filter(|k| !want.contains_key(*k)) {
                out.push(format!("{path}.{key} exists in Rust but not in the model"));
            }
        }
        (Value::Array(want), Value::Array(got)) if want.len() == got.len() => {
            for (i, (w, g)) in want.iter().zip(got).enumerate() {
                differences(w, g, &format!("{path}[{i}]"), out);
            }
        }
        _ if expected == actual => {}
        _ => out.push(format!(
            "{path}: model sample {expected} came back as {actual}"
        )),
    }
}
