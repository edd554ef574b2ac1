//! The EC2 agent's thumbnails (`deploy/ec2/studio-portal-thumbnails.sh`), on local-studio's
//! own address, outside SigV4, with the session's agent token (`agent.rs` checks it):
//!
//! - `GET /agent/thumbnail/wanted?sessionId=ID` waits until a page asks for the session's
//!   picture (`dcv_pictures.rs`): 200 when one is wanted, 204 after 20 s without.
//! - `PUT /agent/thumbnail?sessionId=ID` with the JPEG `dcv get-screenshot` made: 204
//!   kept (and served to the pages waiting for it); 400 for a body that is not a JPEG of
//!   at most 640 × 640 pixels, 413 beyond 256 KiB. The picture is only ever shown, as an
//!   image, to those who may see the workstation (`thumbnails.rs`).

use crate::agent::{named_session, reporting_session, SessionQuery};
use crate::app::App;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, put};
use axum::Router;
use local_desktop::Thumbnail;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// How long the agent's ask waits before it answers 204.
const LONGEST_WAIT: Duration = Duration::from_secs(20);
/// The largest picture taken: the agent asks DCV for 320 pixels across.
const MAX_SIDE: u32 = 640;
const MAX_BYTES: usize = 256 * 1024;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/agent/thumbnail/wanted", get(wanted))
        .route(
            "/agent/thumbnail",
            put(delivered).layer(DefaultBodyLimit::max(MAX_BYTES)),
        )
}

type Answer = (StatusCode, &'static str);

async fn wanted(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    query: Result<Query<SessionQuery>, QueryRejection>,
) -> Answer {
    let session_id = match named_session(query) {
        Ok(session_id) => session_id,
        Err(refused) => return refused,
    };
    if let Err(refused) = reporting_session(&app, &headers, &session_id) {
        return refused;
    }
    let deadline = Instant::now() + LONGEST_WAIT;
    let mut asked = app.dcv_pictures.asked.subscribe();
    let mut stopping = app.stopping.subscribe();
    loop {
        asked.borrow_and_update();
        if app.dcv_pictures.take_wanted(&session_id) {
            return (StatusCode::OK, "a picture is wanted");
        }
        let woken = tokio::select! {
            changed = asked.changed() => changed.is_ok(),
            _ = tokio::time::sleep_until(deadline) => false,
            _ = stopping.wait_for(|stop| *stop) => false,
        };
        if !woken {
            return (StatusCode::NO_CONTENT, "");
        }
    }
}

async fn delivered(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    query: Result<Query<SessionQuery>, QueryRejection>,
    body: Bytes,
) -> Answer {
    let session_id = match named_session(query) {
        Ok(session_id) => session_id,
        Err(refused) => return refused,
    };
    if let Err(refused) = reporting_session(&app, &headers, &session_id) {
        return refused;
    }
    let Some((width, height)) = jpeg_size(&body) else {
        return (StatusCode::BAD_REQUEST, "not a JPEG picture");
    };
    if width > MAX_SIDE || height > MAX_SIDE {
        return (StatusCode::BAD_REQUEST, "larger than a thumbnail");
    }
    let picture = Thumbnail {
        jpeg: body.to_vec(),
        width,
        height,
    };
    app.thumbnails.put(&session_id, picture, app.now_ms());
    app.dcv_pictures.delivered();
    (StatusCode::NO_CONTENT, "")
}

/// The width and height in a JPEG's frame header; `None` for bytes that are not a JPEG
/// up to one.
fn jpeg_size(jpeg: &[u8]) -> Option<(u32, u32)> {
    if !jpeg.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut at = 2;
    loop {
        let marker = *jpeg.get(at + 1).filter(|_| jpeg[at] == 0xFF)?;
        let length = usize::from(u16::from_be_bytes([*jpeg.get(at + 2)?, *jpeg.get(at + 3)?]));
        // A start of frame (SOF0 to SOF15, but DHT, JPG and DAC share the range).
        if (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker) {
            let frame = jpeg.get(at + 4..at + 9)?;
            let height = u16::from_be_bytes([frame[1], frame[2]]);
            let width = u16::from_be_bytes([frame[3], frame[4]]);
            return (width > 0 && height > 0).then_some((width.into(), height.into()));
        }
        if length < 2 {
            return None;
        }
        at += 2 + length;
    }
}

#[cfg(test)]
mod tests {
    use super::jpeg_size;

    /// A JPEG's first segments: SOI, an APP0 of `app0` bytes, and a baseline frame header.
    fn header(app0: usize, width: u16, height: u16) -> Vec<u8> {
        let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
        bytes.extend(((app0 + 2) as u16).to_be_bytes());
        bytes.extend(vec![0; app0]);
        bytes.extend([0xFF, 0xC0, 0, 11, 8]);
        bytes.extend(height.to_be_bytes());
        bytes.extend(width.to_be_bytes());
        bytes.extend([1, 1, 0x11, 0]);
        bytes
    }

    #[test]
    fn reads_the_frame_header_past_other_segments() {
        assert_eq!(jpeg_size(&header(14, 320, 200)), Some((320, 200)));
        assert_eq!(jpeg_size(&header(0, 1, 1)), Some((1, 1)));
    }

    #[test]
    fn what_is_not_a_jpeg_has_no_size() {
        assert_eq!(jpeg_size(b"GIF89a"), None);
        assert_eq!(jpeg_size(&[0xFF, 0xD8]), None, "cut short");
        // SOI and APP0 take 20 bytes; the frame header's width ends 9 bytes further.
        let whole = header(14, 320, 200);
        for cut in 0..29 {
            assert_eq!(jpeg_size(&whole[..cut]), None, "cut at {cut}");
        }
        assert_eq!(jpeg_size(&whole[..29]), Some((320, 200)));
        assert_eq!(jpeg_size(&header(14, 0, 200)), None, "no width");
        let mut endless = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0];
        endless.extend([0; 8]);
        assert_eq!(jpeg_size(&endless), None, "a zero length");
    }
}
