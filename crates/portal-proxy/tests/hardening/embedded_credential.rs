//! Defect 1: the embedded local-studio trusted the public development credential on its
//! loopback port, so any local process could act on every artist's sessions.

use crate::common::{header_config, send, start, API};
use test_support::{Client, SESSIONS};

#[tokio::test]
async fn the_embedded_upstream_refuses_the_public_development_credential() {
    let proxy = start(header_config()).await;
    let embedded = proxy.embedded().expect("embedded upstream");
    let direct = Client::new(embedded.addr()).get(SESSIONS).await;
    assert_eq!(direct.status, 403, "{}", direct.json);
    // The proxy itself still gets through, with the credential made for it at start.
    let listed = send(
        &proxy,
        "GET",
        &format!("{API}/streaming-sessions"),
        Some("alice"),
        None,
    )
    .await;
    assert_eq!(listed.status, 200, "{}", listed.json);
}
