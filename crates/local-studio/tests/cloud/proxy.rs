//! A fault-injecting proxy in front of moto, for what moto does not do: it delays answers,
//! throttles (503 RequestLimitExceeded), fails calls with EC2's own error codes, holds an
//! answer until the test releases it (the window between RunInstances and recording its
//! result), loses answers after moto acted on them, and honours RunInstances' ClientToken
//! as EC2 does (a repeated token answers with the first launch). Errors are EC2's XML.

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Default)]
pub struct Rules {
    /// Action → answers still to throttle.
    pub throttle: HashMap<&'static str, u32>,
    /// Action → (answers still to fail, HTTP status, EC2 error code, message).
    pub fail: HashMap<&'static str, (u32, u16, &'static str, &'static str)>,
    /// Action → answers still to lose after moto acted.
    pub lose: HashMap<&'static str, u32>,
    /// Actions whose answers wait until released.
    pub hold: HashSet<&'static str>,
    pub delay: Duration,
}

struct Inner {
    upstream: String,
    http: reqwest::Client,
    rules: Mutex<Rules>,
    counts: Mutex<HashMap<String, u32>>,
    tokens: Mutex<HashMap<String, (u16, Bytes)>>,
}

pub struct Proxy {
    pub url: String,
    inner: Arc<Inner>,
    _server: tokio::task::JoinHandle<()>,
}

impl Proxy {
    pub async fn start(upstream: &str) -> Proxy {
        let inner = Arc::new(Inner {
            upstream: upstream.to_owned(),
            http: reqwest::Client::new(),
            rules: Mutex::default(),
            counts: Mutex::default(),
            tokens: Mutex::default(),
        });
        let app = axum::Router::new()
            .fallback(forward)
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Proxy {
            url,
            inner,
            _server: server,
        }
    }

    pub fn rules(&self, change: impl FnOnce(&mut Rules)) {
        change(&mut self.inner.rules.lock().unwrap());
    }

    /// Calls of `action` received so far.
    pub fn count(&self, action: &str) -> u32 {
        *self.inner.counts.lock().unwrap().get(action).unwrap_or(&0)
    }
}

fn field<'a>(body: &'a str, name: &str) -> Option<&'a str> {
    body.split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn ec2_error(status: u16, code: &str, message: &str) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>fault-proxy</RequestID></Response>"
    );
    let status = StatusCode::from_u16(status).unwrap();
    (status, [("content-type", "text/xml")], body).into_response()
}

/// Takes one use of a counted rule.
fn take<T: Clone>(
    rule: &mut HashMap<&'static str, T>,
    action: &str,
    left: impl Fn(&mut T) -> &mut u32,
) -> Option<T> {
    let entry = rule.get_mut(action)?;
    let count = left(entry);
    if *count == 0 {
        return None;
    }
    *count -= 1;
    Some(entry.clone())
}

async fn forward(State(inner): State<Arc<Inner>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    let text = String::from_utf8_lossy(&body).into_owned();
    let action = field(&text, "Action").unwrap_or("").to_owned();
    *inner
        .counts
        .lock()
        .unwrap()
        .entry(action.clone())
        .or_default() += 1;
    let delay = inner.rules.lock().unwrap().delay;
    tokio::time::sleep(delay).await;
    {
        let mut rules = inner.rules.lock().unwrap();
        if take(&mut rules.throttle, &action, |n| n).is_some() {
            return ec2_error(503, "RequestLimitExceeded", "Request limit exceeded.");
        }
        if let Some((_, status, code, message)) = take(&mut rules.fail, &action, |f| &mut f.0) {
            return ec2_error(status, code, message);
        }
    }
    let token = (action == "RunInstances")
        .then(|| field(&text, "ClientToken").map(str::to_owned))
        .flatten();
    let remembered = token
        .as_ref()
        .and_then(|t| inner.tokens.lock().unwrap().get(t).cloned());
    let (status, answer) = match remembered {
        Some(answer) => answer,
        None => {
            let uri = parts
                .uri
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            let mut headers = HeaderMap::new();
            for (name, value) in &parts.headers {
                if name != "host" && name != "content-length" {
                    headers.insert(name.clone(), value.clone());
                }
            }
            let reply = inner
                .http
                .post(format!("{}{uri}", inner.upstream))
                .headers(headers)
                .body(body.clone())
                .send()
                .await
                .unwrap();
            let status = reply.status().as_u16();
            let answer = reply.bytes().await.unwrap();
            if let (Some(token), 200) = (&token, status) {
                inner
                    .tokens
                    .lock()
                    .unwrap()
                    .insert(token.clone(), (status, answer.clone()));
            }
            (status, answer)
        }
    };
    while inner.rules.lock().unwrap().hold.contains(action.as_str()) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    if take(&mut inner.rules.lock().unwrap().lose, &action, |n| n).is_some() {
        return ec2_error(
            500,
            "InternalError",
            "An internal error has occurred (answer lost).",
        );
    }
    let status = StatusCode::from_u16(status).unwrap();
    (status, [("content-type", "text/xml")], answer).into_response()
}
