//! Where a request may come from. A cross-site page can make the browser send a simple
//! POST with the artist's cookie, but it cannot add a custom header or forge the Origin
//! without a CORS preflight, which this server never grants. So every request other than
//! GET and HEAD must carry `X-Studio-Portal: 1` and, when it has an Origin, one of the
//! portal's own ([`csrf`]). The login form cannot set headers: it is held to the Origin
//! check alone ([`same_origin`]), as is the event stream.
//!
//! The other checks between a signed-in artist and the upstream: how often
//! (`limits.rs`) and whose session (`owners.rs`).

use crate::config::ProxyConfig;
use crate::error::Refusal;
use crate::identity;
use axum::http::{HeaderMap, Method};
use nimble_model::{ApiError, ErrorType};
use std::net::IpAddr;

/// Whether the request's Origin, when it has one, is one of this portal's own; otherwise a
/// 403 that names the origin it came from and the origins allowed (logged too, so an
/// administrator sees a front end that rewrites `Host` at once). This portal's origins:
/// - every `--public-origin` (what a browser shows in its address bar: the TLS front end's
///   `https://portal.studio.example`, or `trunk serve`'s address in development);
/// - what a `--trusted-proxy` peer forwards (`X-Forwarded-Proto://X-Forwarded-Host`), and from
///   no one else;
/// - the `Host` the request was sent to, as plain HTTP or HTTPS (a front end that passes
///   `Host` on unchanged needs no setting).
pub fn same_origin(config: &ProxyConfig, peer: IpAddr, headers: &HeaderMap) -> Result<(), Refusal> {
    let Some(origin) = headers.get("origin") else {
        return Ok(());
    };
    let origin = origin
        .to_str()
        .unwrap_or("")
        .trim_end_matches('/')
        .to_ascii_lowercase();
    let allowed = own_origins(config, peer, headers);
    if allowed.contains(&origin) {
        return Ok(());
    }
    tracing::warn!(%origin, allowed = ?allowed, %peer, "refused as cross-site");
    Err(cross_site(&origin, &allowed))
}

/// The origins a request from `peer` with `headers` may come from.
fn own_origins(config: &ProxyConfig, peer: IpAddr, headers: &HeaderMap) -> Vec<String> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let mut allowed = config.public_origins.clone();
    let trusted =
        !config.trusted_proxies.is_empty() && identity::trusted_peer(&config.trusted_proxies, peer);
    if let (true, Some(host)) = (trusted, header("x-forwarded-host")) {
        // A chain of proxies appends: the first is what the browser asked for.
        let first = |v: &str| v.split(',').next().unwrap_or("").trim().to_owned();
        let proto = header("x-forwarded-proto").map_or("https".into(), first);
        allowed.push(format!("{proto}://{}", first(host)));
    }
    if let Some(host) = header("host") {
        allowed.extend(["http", "https"].map(|scheme| format!("{scheme}://{host}")));
    }
    allowed.iter().map(|o| o.to_ascii_lowercase()).collect()
}

/// Non-GET requests must carry our custom header and, when present, our own Origin.
pub fn csrf(
    config: &ProxyConfig,
    peer: IpAddr,
    method: &Method,
    headers: &HeaderMap,
) -> Result<(), Refusal> {
    if method == Method::GET || method == Method::HEAD {
        return Ok(());
    }
    let marked = headers.get("x-studio-portal").and_then(|v| v.to_str().ok()) == Some("1");
    if !marked {
        return Err(ApiError::new(
            ErrorType::AccessDenied,
            "Cross-site request refused: send X-Studio-Portal: 1 from the portal's own origin",
        )
        .with_code("CSRF")
        .into());
    }
    same_origin(config, peer, headers)
}

/// 403 for a request from `origin`, which is none of `allowed`.
fn cross_site(origin: &str, allowed: &[String]) -> Refusal {
    ApiError::new(
        ErrorType::AccessDenied,
        format!(
            "Cross-site request refused: it came from {origin}, and this portal's origins are {}. \
             If that is this portal's address, start portal-proxy with --public-origin {origin} \
             (or pass X-Forwarded-Host from a --trusted-proxy)",
            allowed.join(", ")
        ),
    )
    .with_code("CSRF")
    .into()
}
