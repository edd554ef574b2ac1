//! Live thumbnails, for the cards of READY workstations: a local desktop's is taken from
//! its own framebuffer (`local_desktop::take_thumbnail`) when a page asks, an EC2 one's is
//! sent by its agent when asked (`dcv_pictures.rs`), and either is kept for
//! [`REFRESH_MS`], so however many pages show a card, a desktop is pictured at most once
//! every 10 seconds, and never while no page asks.

use super::Drivers;
use local_desktop::Thumbnail;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How wide a thumbnail is, in pixels.
pub const THUMBNAIL_WIDTH: u32 = 320;
/// How long a picture is served before a new one is taken.
pub const REFRESH_MS: i64 = 10_000;

/// The latest picture of each desktop, with when it was taken (ms).
#[derive(Default)]
pub struct Thumbnails(Mutex<HashMap<String, (i64, Arc<Thumbnail>)>>);

impl Thumbnails {
    /// `session`'s picture, no older than [`REFRESH_MS`] at `now_ms`, and when it was taken.
    pub fn get(
        &self,
        drivers: &Drivers,
        session: &str,
        now_ms: i64,
    ) -> Result<(i64, Arc<Thumbnail>), String> {
        if let Some(fresh) = self.fresh(session, now_ms) {
            return Ok(fresh);
        }
        let vnc = drivers.connect_viewer(session)?;
        let taken = local_desktop::take_thumbnail(vnc, THUMBNAIL_WIDTH);
        let picture = taken.map_err(|e| e.to_string())?;
        Ok(self.put(session, picture, now_ms))
    }

    /// `session`'s picture if one was taken less than [`REFRESH_MS`] before `now_ms`.
    pub fn fresh(&self, session: &str, now_ms: i64) -> Option<(i64, Arc<Thumbnail>)> {
        let fresh = |at: i64| (0..REFRESH_MS).contains(&(now_ms - at));
        let cache = self.lock();
        let (at, picture) = cache.get(session).filter(|(at, _)| fresh(*at))?;
        Some((*at, picture.clone()))
    }

    /// `session`'s latest picture, however old (a minute at most: older ones are gone).
    pub fn latest(&self, session: &str) -> Option<(i64, Arc<Thumbnail>)> {
        let cache = self.lock();
        cache
            .get(session)
            .map(|(at, picture)| (*at, picture.clone()))
    }

    /// Keeps `picture` as `session`'s, taken at `now_ms`.
    pub fn put(&self, session: &str, picture: Thumbnail, now_ms: i64) -> (i64, Arc<Thumbnail>) {
        let picture = Arc::new(picture);
        let mut cache = self.lock();
        // Pictures nobody asked for in a while (stopped desktops) are dropped.
        cache.retain(|_, (at, _)| now_ms - *at < 6 * REFRESH_MS);
        cache.insert(session.to_owned(), (now_ms, picture.clone()));
        (now_ms, picture)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (i64, Arc<Thumbnail>)>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}
