//! Who may read the operations endpoints `/metrics` and `/readyz`.
//!
//! Metrics name operations, error rates and traffic; readiness says whether the upstream
//! answers. Neither is for artists or the internet. A request gets them when it comes from
//! a network in `metrics_allow` (default loopback only; an IPv4 peer seen as
//! `::ffff:a.b.c.d` on a dual-stack listener matches its IPv4 networks), or when it carries
//! `Authorization: Bearer <metrics_token>` from anywhere. Otherwise: 401 for a bearer token
//! that is not the configured one (or when none is configured), 403 for no token at all.
//!
//! `/readyz` is held to the same rule as `/metrics`: probes come from the cluster's nodes
//! or a monitoring network, which operators list once for both, and a probe that cannot
//! come from there can send the token (kubelet `httpGet` probes take headers). `/healthz`
//! stays open: it answers `ok` and nothing else.

use crate::config::ProxyConfig;
use crate::identity;
use crate::state::Shared;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::{IpAddr, SocketAddr};

/// Why a request may not read the operations endpoints.
#[derive(Debug, PartialEq)]
pub enum Refused {
    /// 401: a bearer token that is not the configured one.
    WrongToken,
    /// 403: no token, from outside `metrics_allow`.
    NotAllowed,
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Refused::NotAllowed => (StatusCode::FORBIDDEN, "forbidden\n").into_response(),
            Refused::WrongToken => {
                let mut response = (StatusCode::UNAUTHORIZED, "unauthorized\n").into_response();
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                response
            }
        }
    }
}

/// The layer on the operations routes: lets a request through only when [`check`] does.
pub async fn guard(
    State(state): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    match check(&state.config, peer.ip(), request.headers()) {
        Ok(()) => next.run(request).await,
        Err(refused) => refused.into_response(),
    }
}

/// `Ok` when `peer` with `headers` may read the operations endpoints.
pub fn check(config: &ProxyConfig, peer: IpAddr, headers: &HeaderMap) -> Result<(), Refused> {
    if let Some(sent) = bearer(headers) {
        return match &config.metrics_token {
            Some(token) if same_secret(sent.as_bytes(), token.as_bytes()) => Ok(()),
            _ => Err(Refused::WrongToken),
        };
    }
    // An empty list opens to nobody by address (`trusted_peer` would take it as anyone).
    let allowed =
        !config.metrics_allow.is_empty() && identity::trusted_peer(&config.metrics_allow, peer);
    if allowed {
        Ok(())
    } else {
        Err(Refused::NotAllowed)
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Compares without stopping at the first difference, so the time taken does not tell how
/// much of a guess was right.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv4_mapped_peer_matches_ipv4_networks() {
        let mut config = ProxyConfig::new(
            crate::Upstream::Url {
                endpoint: "http://127.0.0.1:1".into(),
                credentials: None,
            },
            crate::AuthMode::Dev("a".into()),
        );
        config.metrics_allow = vec!["10.0.0.0/8".parse().unwrap()];
        let mapped: IpAddr = "::ffff:10.1.2.3".parse().unwrap();
        assert!(check(&config, mapped, &HeaderMap::new()).is_ok());
        let outside: IpAddr = "::ffff:11.1.2.3".parse().unwrap();
        assert!(check(&config, outside, &HeaderMap::new()).is_err());
        config.metrics_allow.clear();
        let loopback: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(check(&config, loopback, &HeaderMap::new()).is_err());
    }
}
