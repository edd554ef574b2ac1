//! A small picture of what a desktop shows, for the portal's cards: taken from the desktop's
//! own framebuffer over its VNC socket (never by a browser), scaled down and encoded as JPEG.
//!
//! It speaks just enough RFB 3.8 as a client: no security (the socket's 0600 mode is the
//! access control), a shared connection (the artist's viewer stays connected), 32-bit
//! true colour, Raw encoding only, and one full, non-incremental update. Raw costs the most
//! bytes on the wire, but the wire is a local socket and Xvnc then spends nothing on
//! compression; the scaling and the JPEG are a few milliseconds here.

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

/// A picture of the desktop.
#[derive(Clone, Debug)]
pub struct Thumbnail {
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// The largest screen it reads: 8192 a side, and as many pixels as 4096 × 4096 (two 4K
/// monitors side by side fit). The whole framebuffer is held while it is scaled, and an
/// artist can resize their own desktop, so this bounds what one picture costs at 64 MiB.
const MAX_SIDE: u16 = 8192;
const MAX_PIXELS: u32 = 4096 * 4096;
/// How long the desktop may take to answer at each step.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// Takes a picture of the desktop at `vnc` (a connected VNC socket), `width` pixels wide.
pub fn take(mut vnc: UnixStream, width: u32) -> io::Result<Thumbnail> {
    vnc.set_read_timeout(Some(READ_TIMEOUT))?;
    vnc.set_write_timeout(Some(READ_TIMEOUT))?;
    let (w, h) = handshake(&mut vnc)?;
    // 32 bits per pixel, depth 24, little-endian true colour: bytes B, G, R, unused.
    let mut setup = vec![
        0, 0, 0, 0, 32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0,
    ];
    setup.extend_from_slice(&[2, 0, 0, 1, 0, 0, 0, 0]); // SetEncodings: Raw only.
    setup.extend_from_slice(&[3, 0, 0, 0, 0, 0]); // FramebufferUpdateRequest, full…
    setup.extend_from_slice(&w.to_be_bytes());
    setup.extend_from_slice(&h.to_be_bytes()); // …of the whole screen.
    vnc.write_all(&setup)?;
    let screen = read_update(&mut vnc, w, h)?;
    Ok(scale_and_encode(&screen, u32::from(w), u32::from(h), width))
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

fn read_exact<const N: usize>(vnc: &mut UnixStream) -> io::Result<[u8; N]> {
    let mut bytes = [0u8; N];
    vnc.read_exact(&mut bytes)?;
    Ok(bytes)
}

fn skip(vnc: &mut UnixStream, n: u64) -> io::Result<()> {
    let skipped = io::copy(&mut vnc.take(n), &mut io::sink())?;
    if skipped < n {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(())
}

/// The RFB handshake with no security, shared; the screen's size.
fn handshake(vnc: &mut UnixStream) -> io::Result<(u16, u16)> {
    if &read_exact::<12>(vnc)? != b"RFB 003.008\n" {
        return Err(invalid("not an RFB 3.8 server"));
    }
    vnc.write_all(b"RFB 003.008\n")?;
    let [count] = read_exact::<1>(vnc)?;
    let mut types = vec![0u8; usize::from(count)];
    vnc.read_exact(&mut types)?;
    if !types.contains(&1) {
        return Err(invalid("the desktop asks for a password"));
    }
    vnc.write_all(&[1])?;
    if read_exact::<4>(vnc)? != [0, 0, 0, 0] {
        return Err(invalid("the desktop refused the connection"));
    }
    vnc.write_all(&[1])?; // ClientInit: shared.
    let init = read_exact::<24>(vnc)?;
    let (w, h) = (
        u16::from_be_bytes([init[0], init[1]]),
        u16::from_be_bytes([init[2], init[3]]),
    );
    skip(
        vnc,
        u64::from(u32::from_be_bytes([init[20], init[21], init[22], init[23]])),
    )?;
    let pixels = u32::from(w) * u32::from(h);
    if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE || pixels > MAX_PIXELS {
        return Err(invalid("the desktop's screen has no sensible size"));
    }
    Ok((w, h))
}

/// Reads server messages until a framebuffer update has filled in the screen (w×h, 4 bytes
/// a pixel); bells and clipboard text on the way are skipped.
fn read_update(vnc: &mut UnixStream, w: u16, h: u16) -> io::Result<Vec<u8>> {
    let (w, h) = (usize::from(w), usize::from(h));
    let mut screen = vec![0u8; w * h * 4];
    loop {
        match read_exact::<1>(vnc)? {
            [0] => {
                let [_, n1, n2] = read_exact::<3>(vnc)?;
                for _ in 0..u16::from_be_bytes([n1, n2]) {
                    let rect = read_exact::<12>(vnc)?;
                    let at = |i: usize| usize::from(u16::from_be_bytes([rect[i], rect[i + 1]]));
                    let (x, y, rw, rh) = (at(0), at(2), at(4), at(6));
                    if rect[8..12] != [0, 0, 0, 0] || x + rw > w || y + rh > h {
                        return Err(invalid("an update the thumbnail did not ask for"));
                    }
                    for row in y..y + rh {
                        let start = (row * w + x) * 4;
                        vnc.read_exact(&mut screen[start..start + rw * 4])?;
                    }
                }
                return Ok(screen);
            }
            [2] => {} // Bell.
            [3] => {
                let text = read_exact::<7>(vnc)?;
                let length = i32::from_be_bytes([text[3], text[4], text[5], text[6]]);
                skip(vnc, u64::from(length.unsigned_abs()))?;
            }
            _ => return Err(invalid("a message the thumbnail cannot read")),
        }
    }
}

/// `screen` (w×h, B G R x) averaged down to `width` wide, as JPEG.
fn scale_and_encode(screen: &[u8], w: u32, h: u32, width: u32) -> Thumbnail {
    let tw = width.clamp(1, w);
    let th = (h * tw / w).max(1);
    let mut rgb = Vec::with_capacity((tw * th * 3) as usize);
    for ty in 0..th {
        let (y0, y1) = (ty * h / th, ((ty + 1) * h / th).max(ty * h / th + 1));
        for tx in 0..tw {
            let (x0, x1) = (tx * w / tw, ((tx + 1) * w / tw).max(tx * w / tw + 1));
            let mut sum = [0u32; 3];
            for y in y0..y1 {
                for x in x0..x1 {
                    let p = ((y * w + x) * 4) as usize;
                    sum[0] += u32::from(screen[p + 2]);
                    sum[1] += u32::from(screen[p + 1]);
                    sum[2] += u32::from(screen[p]);
                }
            }
            let n = (y1 - y0) * (x1 - x0);
            rgb.extend(sum.iter().map(|s| (s / n) as u8));
        }
    }
    let mut jpeg = Vec::new();
    let encoder = jpeg_encoder::Encoder::new(&mut jpeg, 75);
    // The sizes fit: at most MAX_SIDE wide and tall.
    let encoded = encoder.encode(&rgb, tw as u16, th as u16, jpeg_encoder::ColorType::Rgb);
    debug_assert!(encoded.is_ok());
    Thumbnail {
        jpeg,
        width: tw,
        height: th,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_screen_is_averaged_down_to_the_width_asked_for() {
        // 4×2: left half red, right half blue (B G R x).
        let mut screen = Vec::new();
        for _ in 0..2 {
            for x in 0..4 {
                screen.extend_from_slice(if x < 2 {
                    &[0, 0, 255, 0]
                } else {
                    &[255, 0, 0, 0]
                });
            }
        }
        let small = scale_and_encode(&screen, 4, 2, 2);
        assert_eq!((small.width, small.height), (2, 1));
        assert_eq!(&small.jpeg[..2], &[0xFF, 0xD8], "a JPEG");
        // Never wider than the screen.
        assert_eq!(scale_and_encode(&screen, 4, 2, 320).width, 4);
    }

    /// A desktop's side of the handshake, up to its ServerInit of a `w`×`h` screen.
    fn serve_handshake(mut desktop: UnixStream, w: u16, h: u16) {
        desktop.write_all(b"RFB 003.008\n").unwrap();
        let _version = read_exact::<12>(&mut desktop);
        desktop.write_all(&[1, 1]).unwrap(); // One security type: none.
        let _chosen = read_exact::<1>(&mut desktop);
        desktop.write_all(&[0, 0, 0, 0]).unwrap();
        let _client_init = read_exact::<1>(&mut desktop);
        let mut init = [0u8; 24];
        init[..2].copy_from_slice(&w.to_be_bytes());
        init[2..4].copy_from_slice(&h.to_be_bytes());
        let _ = desktop.write_all(&init); // No name.
    }

    #[test]
    fn two_4k_screens_are_read_and_more_is_refused() {
        let sizes = [
            (7680, 2160, true),
            (4096, 4096, true),
            (8192, 4096, false),
            (8192, 8192, false),
            (8193, 100, false),
        ];
        for (w, h, readable) in sizes {
            let (ours, desktop) = UnixStream::pair().unwrap();
            let served = std::thread::spawn(move || serve_handshake(desktop, w, h));
            let mut ours = ours;
            let size = handshake(&mut ours);
            served.join().unwrap();
            assert_eq!(size.is_ok(), readable, "{w}×{h}: {size:?}");
        }
    }
}
