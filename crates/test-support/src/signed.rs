//! A client that signs each request with SigV4 (service `nimble`), and its replies.

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use local_studio::Credential;
use serde_json::Value;
use std::time::SystemTime;

/// A signing HTTP client for one server address.
#[derive(Clone)]
pub struct Client {
    pub addr: std::net::SocketAddr,
    pub http: reqwest::Client,
    pub credential: Credential,
}

impl Client {
    pub fn new(addr: std::net::SocketAddr) -> Self {
        Client {
            addr,
            http: reqwest::Client::new(),
            credential: Credential::dev(),
        }
    }
}

pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub json: Value,
    /// The body as sent (for answers that are not JSON).
    pub text: String,
}

impl Reply {
    pub fn error_type(&self) -> &str {
        self.headers
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// The headers SigV4 adds for this request, signed at `time`.
pub fn signature_headers(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    credential: &Credential,
    time: SystemTime,
) -> Vec<(String, String)> {
    let identity = Credentials::new(
        &credential.access_key_id,
        &credential.secret_access_key,
        None,
        None,
        "test",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-west-2")
        .name("nimble")
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let request = SignableRequest::new(
        method,
        url,
        headers.iter().copied(),
        SignableBody::Bytes(body),
    )
    .unwrap();
    let (instructions, _) = sign(request, &params).unwrap().into_parts();
    instructions
        .headers()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

impl Client {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A signed request; `token` becomes X-Amz-Client-Token.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> Reply {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let mut headers = vec![("content-type", "application/json")];
        if let Some(token) = token {
            headers.push(("x-amz-client-token", token));
        }
        self.send(
            method,
            path,
            &headers,
            body.as_bytes(),
            &self.credential,
            SystemTime::now(),
        )
        .await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call("GET", path, None, None).await
    }

    /// Signs with `credential` at `time`, and sends exactly these headers and body.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        credential: &Credential,
        time: SystemTime,
    ) -> Reply {
        let url = self.url(path);
        let host = self.addr.to_string();
        let mut all: Vec<(&str, &str)> = headers.to_vec();
        all.push(("host", &host));
        let signed = signature_headers(method, &url, &all, body, credential, time);
        let mut request = self
            .http
            .request(method.parse().unwrap(), &url)
            .body(body.to_vec());
        for (name, value) in headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .chain(signed)
        {
            request = request.header(name, value);
        }
        reply(request.send().await.expect("request is answered")).await
    }

    /// Sends without any signature.
    pub async fn send_unsigned(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut request = self.http.request(method.parse().unwrap(), self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        reply(request.send().await.expect("request is answered")).await
    }
}

pub(crate) async fn reply(response: reqwest::Response) -> Reply {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        json,
        text,
    }
}
