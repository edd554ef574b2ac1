//! The built portal: correct MIME types, precompressed `.br`/`.gz` files when present,
//! long cache lifetimes for hashed assets and none for index.html, a single-page-app
//! fallback, and the security headers on every response (plus `Strict-Transport-Security`
//! on those to a browser that came over HTTPS).

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::path::Path;
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

/// Scripts only from this origin, wasm compiled by the browser, no inline script or
/// style, no framing, no plugins; the API is same-origin.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Trunk names built assets `name-<hash>.ext`, the hash a u64 in hex without leading zeros
/// (so now and then 15 digits or fewer): their content never changes.
fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or("");
    let stem = name.split('.').next().unwrap_or("");
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit('-')
        .next()
        .is_some_and(|hash| hash.len() >= 12 && hash.chars().all(|c| c.is_ascii_hexdigit()))
}

pub fn service(dist: &Path) -> axum::routing::MethodRouter {
    let files = ServeDir::new(dist)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(
            ServeFile::new(dist.join("index.html"))
                .precompressed_br()
                .precompressed_gzip(),
        );
    axum::routing::get(move |request: Request| {
        let files = files.clone();
        async move {
            let hashed = is_hashed(request.uri().path());
            let mut response = match files.oneshot(request).await {
                Ok(response) => response.into_response(),
                Err(never) => match never {},
            };
            let cache = if hashed && response.status().is_success() {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            };
            response
                .headers_mut()
                .insert("cache-control", HeaderValue::from_static(cache));
            response
        }
    })
}

/// One year: browsers keep using HTTPS for this host that long after the last visit.
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000";

/// Whether the browser used HTTPS, as the TLS terminator in front says
/// (`X-Forwarded-Proto: https`). Anyone may send the header, which is harmless where it is
/// used: a browser ignores HSTS on a plain-HTTP answer, and a `Secure` cookie only narrows
/// where it is sent.
pub fn behind_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|proto| proto.eq_ignore_ascii_case("https"))
}

/// Adds HSTS to the answer of a request that came over HTTPS, and only then: pinning
/// `localhost` to HTTPS would break every plain-HTTP development server on it.
async fn hsts(request: Request, next: Next) -> Response {
    let https = behind_https(request.headers());
    let mut response = next.run(request).await;
    if https {
        response.headers_mut().insert(
            STRICT_TRANSPORT_SECURITY_HEADER,
            HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
        );
    }
    response
}

const STRICT_TRANSPORT_SECURITY_HEADER: HeaderName =
    HeaderName::from_static("strict-transport-security");

/// `same-origin` rather than `no-referrer`: with no-referrer, Chromium sends `Origin: null`
/// on the login form's POST, which the Origin check must refuse.
pub fn with_security_headers(router: Router) -> Router {
    let router = router.layer(axum::middleware::from_fn(hsts));
    let headers = [
        ("content-security-policy", CONTENT_SECURITY_POLICY),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "same-origin"),
        ("x-frame-options", "DENY"),
        ("cross-origin-opener-policy", "same-origin"),
    ];
    headers.into_iter().fold(router, |router, (name, value)| {
        router.layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        ))
    })
}

/// The built-in sign-in page of users-file mode: a plain form, no script at all.
pub fn login_page() -> Response {
    const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Studio portal</title>
</head>
<body>
<main>
<h1>Sign in to your workstations</h1>
<form method="post" action="/api/login">
<p><label for="user">User name</label><br><input id="user" name="user" autocomplete="username" required autofocus></p>
<p><label for="password">Password</label><br><input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit">Sign in</button></p>
</form>
<p>If sign-in fails: check your user name and password. After five failures in a row, wait fifteen minutes, or ask your studio administrator.</p>
</main>
</body>
</html>
"#;
    (
        [
            ("content-type", "text/html; charset=utf-8"),
            ("cache-control", "no-cache"),
        ],
        PAGE,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::is_hashed;

    #[test]
    fn only_trunk_hashed_names_are_immutable() {
        assert!(is_hashed("/studio-portal-3f1c2b9a8d7e6f50_bg.wasm"));
        assert!(is_hashed("/style-0123456789abcdef.css"));
        // A hash with a leading zero, as Trunk wrote it for the admin page's wasm.
        assert!(is_hashed("/admin/studio-admin-e8ef3326dcbe2b7_bg.wasm"));
        assert!(!is_hashed("/admin/boot.js"));
        assert!(!is_hashed("/index.html"));
        assert!(!is_hashed("/studio-portal.js"));
    }
}
