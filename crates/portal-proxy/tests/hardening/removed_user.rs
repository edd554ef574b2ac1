//! Defect (issue 18, isolation): an artist removed from the users file was still signed in
//! after a restart, since sign-ins are kept in the data directory. The users file is read
//! at start (editing it changes nothing until the next start); a sign-in now counts only
//! for a user in it, also on a replica sharing the store with an older file, and a start
//! forgets the sign-ins of users no longer there, so adding the name back later revives no
//! old cookie.

use crate::common::{sign_in, start, studio_config, users_file};
use portal_proxy::{AuthMode, ProxyConfig, Upstream};
use std::net::SocketAddr;

async fn me(addr: SocketAddr, cookie: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("http://{addr}/api/me"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_user_removed_from_the_users_file_is_signed_out_by_the_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ProxyConfig::new(
        Upstream::Embedded(studio_config()),
        AuthMode::UsersFile(users_file(dir.path(), &["alice", "bob"])),
    );
    config.data_dir = Some(dir.path().join("proxy-data"));

    let proxy = start(config.clone()).await;
    let (tried, untried) = (
        sign_in(proxy.addr(), "alice").await,
        sign_in(proxy.addr(), "alice").await,
    );
    let bobs = sign_in(proxy.addr(), "bob").await;
    assert_eq!(me(proxy.addr(), &tried).await, 200);
    proxy.shutdown().await;

    users_file(dir.path(), &["bob"]);
    let proxy = start(config.clone()).await;
    assert_eq!(me(proxy.addr(), &tried).await, 401, "alice was removed");
    assert_eq!(me(proxy.addr(), &bobs).await, 200, "bob was not");
    proxy.shutdown().await;

    // Back in the file (a new password, say): her old sign-ins stay ended, also the one
    // never sent while she was out.
    users_file(dir.path(), &["alice", "bob"]);
    let proxy = start(config).await;
    assert_eq!(me(proxy.addr(), &tried).await, 401);
    assert_eq!(me(proxy.addr(), &untried).await, 401);
    assert_eq!(me(proxy.addr(), &bobs).await, 200);
    proxy.shutdown().await;
}

#[tokio::test]
async fn a_replica_whose_users_file_lacks_the_user_refuses_their_cookie() {
    let dir = tempfile::tempdir().unwrap();
    let (with_alice, without) = (dir.path().join("a"), dir.path().join("b"));
    for folder in [&with_alice, &without] {
        std::fs::create_dir(folder).unwrap();
    }
    let replica = |users: &[&str], folder: &std::path::Path| {
        let mut config = ProxyConfig::new(
            Upstream::Embedded(studio_config()),
            AuthMode::UsersFile(users_file(folder, users)),
        );
        config.data_dir = Some(dir.path().join("shared-data"));
        config
    };
    // Both running on one store; the second's file no longer has alice.
    let first = start(replica(&["alice", "bob"], &with_alice)).await;
    let second = start(replica(&["bob"], &without)).await;
    let alices = sign_in(first.addr(), "alice").await;
    assert_eq!(me(first.addr(), &alices).await, 200);
    assert_eq!(me(second.addr(), &alices).await, 401);
    first.shutdown().await;
    second.shutdown().await;
}
