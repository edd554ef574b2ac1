//! Identity's own tests: trusted peers, failed sign-ins, hashes and cookies.

use super::*;

#[tokio::test]
async fn failed_sign_ins_are_forgotten_after_the_lockout_window() {
    let upstream = crate::config::Upstream::Url {
        endpoint: "http://127.0.0.1:1".into(),
        credentials: None,
    };
    let config = ProxyConfig::new(upstream, AuthMode::Dev("alice".into()));
    let identities = Identities::load(&config).unwrap();
    let peer: IpAddr = "127.0.0.1".parse().unwrap();
    assert!(identities.login(peer, "ghost-1", "x").await.is_err());
    assert_eq!(identities.sign_ins().failed_names(), 1);
    identities
        .sign_ins()
        .age(LOCKOUT_FOR + Duration::from_secs(1));
    assert!(identities.login(peer, "ghost-2", "x").await.is_err());
    assert_eq!(
        identities.sign_ins().failed_names(),
        1,
        "ghost-1's old failure is gone"
    );
}

#[test]
fn an_ipv4_gateway_on_a_dual_stack_listener_is_trusted() {
    let upstream = crate::config::Upstream::Url {
        endpoint: "http://127.0.0.1:1".into(),
        credentials: None,
    };
    let mut config = ProxyConfig::new(upstream, AuthMode::TrustedHeader("x-user".into()));
    config.trusted_proxies = vec!["10.0.0.0/24".parse().unwrap()];
    let identities = Identities::load(&config).unwrap();
    let mut headers = HeaderMap::new();
    headers.insert("x-user", "alice".parse().unwrap());
    let mapped: IpAddr = "::ffff:10.0.0.7".parse().unwrap();
    let resolved = identities.resolve(&config, &headers, mapped);
    assert_eq!(resolved.map(|i| i.user).ok().as_deref(), Some("alice"));
    let outside: IpAddr = "::ffff:10.0.1.7".parse().unwrap();
    assert!(identities.resolve(&config, &headers, outside).is_err());
}

#[test]
fn hashes_verify_and_cookies_are_strict() {
    let hash = hash_password("s3cret").unwrap();
    let parsed = PasswordHash::new(&hash).unwrap();
    assert!(Argon2::default()
        .verify_password(b"s3cret", &parsed)
        .is_ok());
    assert!(Argon2::default()
        .verify_password(b"wrong", &parsed)
        .is_err());
    let value = session_cookie("abc", Duration::from_secs(60), true);
    assert_eq!(
        value,
        "portal_session=abc; HttpOnly; SameSite=Strict; Path=/; Max-Age=60; Secure"
    );
    let mut headers = HeaderMap::new();
    headers.insert("cookie", "a=1; portal_session=tok".parse().unwrap());
    assert_eq!(cookie(&headers, SESSION_COOKIE).as_deref(), Some("tok"));
}
