//! Ops 4: the embedded local-studio's SQLite files (sessions, stream tokens, the driver
//! state of every workstation) were created with the process umask, usually readable by
//! every local user. The data directory is now 0700 and the files in it 0600, whatever the
//! umask.

use crate::common::{header_config, start, API};
use portal_proxy::Upstream;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test]
async fn the_embedded_store_is_private_to_its_user() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("data");
    let mut config = header_config();
    let Upstream::Embedded(studio) = &mut config.upstream else {
        unreachable!("header_config embeds local-studio")
    };
    studio.storage = local_studio::Storage::Dir(dir.clone());
    let proxy = start(config).await;
    // A write, so SQLite has its write-ahead log and shared-memory files too.
    let url = format!("http://{}{API}/streaming-sessions", proxy.addr());
    let reply = reqwest::Client::new()
        .post(&url)
        .header("x-user", "alice")
        .header("x-studio-portal", "1")
        .header("content-type", "application/json")
        .body(r#"{"launchProfileId":"lp-review"}"#)
        .send()
        .await
        .unwrap();
    let status = reply.status();
    assert_eq!(mode(&dir), 0o700, "the data directory");
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(mode(&path), 0o600, "{} (create: {status})", path.display());
        files += 1;
    }
    assert!(files >= 1, "no store file in {}", dir.display());
    proxy.shutdown().await;
}
