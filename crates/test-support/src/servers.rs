//! Starting the real servers on a port the system picks.

use crate::Client;
use local_studio::{Config, RunningServer};
use portal_proxy::{AuthMode, ProxyConfig, RunningProxy, Upstream};
use std::time::Duration;

/// An in-process server and a client for it.
pub struct Studio {
    pub server: RunningServer,
    pub client: Client,
}

impl std::ops::Deref for Studio {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

/// A demo studio with instant transitions unless the config says otherwise.
pub fn test_config() -> Config {
    Config {
        demo: true,
        transition: Duration::ZERO,
        ..Config::default()
    }
}

pub async fn start(config: Config) -> Studio {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = local_studio::start(listener, config)
        .await
        .expect("server starts");
    let client = Client::new(server.addr());
    Studio { server, client }
}

/// A portal-proxy on 127.0.0.1, port 0.
pub async fn start_proxy(config: ProxyConfig) -> RunningProxy {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    portal_proxy::start(listener, config)
        .await
        .expect("proxy starts")
}

/// A proxy config for `upstream` that takes the artist from the `X-User` header of a
/// gateway on loopback; `admins` may see every session.
pub fn gateway_config(upstream: Upstream, admins: &[&str]) -> ProxyConfig {
    let mut config = ProxyConfig::new(upstream, AuthMode::TrustedHeader("x-user".into()));
    config.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    config.admins = admins.iter().map(|a| a.to_string()).collect();
    config
}
