//! A slow upstream for tests: an HTTP forwarder in front of a real local-studio that
//! holds back the answers to chosen methods for a while (after local-studio has acted),
//! and a proxy that signs its calls for local-studio but sends them through it.

use portal_proxy::{AuthMode, ProxyConfig, RunningProxy, Upstream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use test_support::Studio;

/// How long answers are held back, per method, in milliseconds (0: not at all).
#[derive(Default)]
pub struct Delays {
    pub get_ms: AtomicU64,
    pub post_ms: AtomicU64,
}

impl Delays {
    pub fn set(&self, get: Duration, post: Duration) {
        self.get_ms.store(get.as_millis() as u64, Ordering::SeqCst);
        self.post_ms
            .store(post.as_millis() as u64, Ordering::SeqCst);
    }
}

pub struct Slow {
    /// The local-studio behind the forwarder.
    pub studio: Studio,
    pub delays: Arc<Delays>,
    pub proxy: RunningProxy,
}

/// local-studio, the forwarder, and a proxy (dev auth as alice) that sends through it.
pub async fn slow_proxy(tweak: impl FnOnce(&mut ProxyConfig)) -> Slow {
    let studio = test_support::start(crate::common::studio_config()).await;
    let delays = Arc::new(Delays::default());
    let target = studio.server.addr();
    let http = reqwest::Client::new();
    let held = delays.clone();
    let forward = move |request: axum::extract::Request| {
        let (http, held) = (http.clone(), held.clone());
        async move { forward(&http, target, &held, request).await }
    };
    let router = axum::Router::new().fallback(forward);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let dev = local_studio::Credential::dev();
    let upstream = Upstream::Url {
        endpoint: format!("http://{addr}"),
        credentials: Some((dev.access_key_id, dev.secret_access_key)),
    };
    let mut config = ProxyConfig::new(upstream, AuthMode::Dev("alice".into()));
    tweak(&mut config);
    let proxy = crate::common::start(config).await;
    Slow {
        studio,
        delays,
        proxy,
    }
}

/// Sends `request` on to local-studio unchanged (Host included: it is signed), then holds
/// the answer back as long as `delays` say for its method.
async fn forward(
    http: &reqwest::Client,
    target: std::net::SocketAddr,
    delays: &Delays,
    request: axum::extract::Request,
) -> axum::response::Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let mut outgoing = http.request(parts.method.clone(), format!("http://{target}{path}"));
    for (name, value) in &parts.headers {
        if !matches!(
            name.as_str(),
            "content-length" | "connection" | "transfer-encoding"
        ) {
            outgoing = outgoing.header(name, value);
        }
    }
    let answer = outgoing.body(body).send().await.unwrap();
    let status = answer.status();
    let headers = answer.headers().clone();
    let bytes = answer.bytes().await.unwrap();
    let held = match parts.method.as_str() {
        "GET" => delays.get_ms.load(Ordering::SeqCst),
        "POST" => delays.post_ms.load(Ordering::SeqCst),
        _ => 0,
    };
    tokio::time::sleep(Duration::from_millis(held)).await;
    let mut response = axum::response::Response::new(axum::body::Body::from(bytes));
    *response.status_mut() = status;
    for (name, value) in &headers {
        if !matches!(
            name.as_str(),
            "content-length" | "connection" | "transfer-encoding"
        ) {
            response.headers_mut().insert(name, value.clone());
        }
    }
    response
}
