//! Drops a view-only guest's input from the bytes their browser sends to the desktop.
//!
//! The bridge copies raw RFB bytes, so hiding the controls in the page is not enough: a
//! guest's own client could still type. [`ViewOnly`] follows the client's side of RFB 3.8
//! as TigerVNC's Xvnc speaks it with security type None, in chunks split anywhere. It
//! forwards the handshake (forcing a shared connection, so a guest never disconnects the
//! owner) and the messages that only ask for pictures, and drops keys, the pointer, the
//! clipboard, resizing and xvp (which can reboot the machine). A message it cannot size
//! leaves it unable to find the next one, so it ends the connection.

/// ProtocolVersion (12 bytes), the security type, then ClientInit's shared flag.
const HANDSHAKE_LEN: usize = 14;
/// More clipboard text than any guest needs to send: refused, not skipped for ever.
const MAX_CUT_TEXT: usize = 16 << 20;

pub struct ViewOnly {
    /// Handshake bytes seen so far.
    handshake: usize,
    /// The current message's header, until its length is known.
    head: Vec<u8>,
    /// Bytes left of the current message after its header.
    body: usize,
    forward: bool,
    failed: Option<u8>,
}

/// A client message type it cannot size: the bridge ends the connection.
#[derive(Debug, PartialEq, Eq)]
pub struct Unknown(pub u8);

impl ViewOnly {
    pub fn new() -> Self {
        Self {
            handshake: 0,
            head: Vec::new(),
            body: 0,
            forward: false,
            failed: None,
        }
    }

    /// The part of `bytes` (the next chunk from the browser) to forward to the desktop.
    pub fn filter(&mut self, mut bytes: &[u8]) -> Result<Vec<u8>, Unknown> {
        if let Some(kind) = self.failed {
            return Err(Unknown(kind));
        }
        let mut out = Vec::new();
        while let Some((&byte, rest)) = bytes.split_first() {
            if self.handshake < HANDSHAKE_LEN {
                // Never exclusive: Xvnc would disconnect everyone else, the owner too.
                out.push(if self.handshake == HANDSHAKE_LEN - 1 {
                    1
                } else {
                    byte
                });
                self.handshake += 1;
                bytes = rest;
            } else if self.body > 0 {
                // Streamed, not buffered: clipboard text can be megabytes.
                let n = self.body.min(bytes.len());
                if self.forward {
                    out.extend_from_slice(&bytes[..n]);
                }
                self.body -= n;
                bytes = &bytes[n..];
            } else {
                self.head.push(byte);
                bytes = rest;
                match message_len(&self.head) {
                    Ok(None) => {}
                    Ok(Some((len, forward))) => {
                        if forward {
                            out.extend_from_slice(&self.head);
                        }
                        self.body = len - self.head.len();
                        self.forward = forward;
                        self.head.clear();
                    }
                    Err(Unknown(kind)) => {
                        self.failed = Some(kind);
                        return Err(Unknown(kind));
                    }
                }
            }
        }
        Ok(out)
    }
}

impl Default for ViewOnly {
    fn default() -> Self {
        Self::new()
    }
}

/// The total length of the client message starting with `head` and whether to forward
/// it, or `None` while more of its header is needed.
fn message_len(head: &[u8]) -> Result<Option<(usize, bool)>, Unknown> {
    let header = match head[0] {
        2 => 4,
        6 | 251 => 8,
        248 => 9,
        255 => 2,
        _ => 1,
    };
    if head.len() < header {
        return Ok(None);
    }
    Ok(Some(match head[0] {
        0 => (20, true), // SetPixelFormat
        2 => (
            4 + 4 * usize::from(u16::from_be_bytes([head[2], head[3]])),
            true,
        ), // SetEncodings
        3 | 150 => (10, true), // FramebufferUpdateRequest, EnableContinuousUpdates
        4 => (8, false), // KeyEvent
        5 => (6, false), // PointerEvent
        6 => {
            // ClientCutText; a negative length is the extended clipboard's.
            let len = i32::from_be_bytes([head[4], head[5], head[6], head[7]]).unsigned_abs();
            match usize::try_from(len) {
                Ok(len) if len <= MAX_CUT_TEXT => (8 + len, false),
                _ => return Err(Unknown(6)),
            }
        }
        248 if head[8] <= 64 => (9 + usize::from(head[8]), true), // Fence
        250 => (4, false),                                        // xvp
        251 => (8 + 16 * usize::from(head[6]), false),            // SetDesktopSize
        255 if head[1] == 0 => (12, false),                       // QEMU extended key event
        kind => return Err(Unknown(kind)),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HANDSHAKE: &[u8] = b"RFB 003.008\n\x01\x00";
    const SHARED: &[u8] = b"RFB 003.008\n\x01\x01";

    fn cut_text(len: i32, text: &[u8]) -> Vec<u8> {
        [&[6, 0, 0, 0][..], &len.to_be_bytes(), text].concat()
    }

    /// A noVNC session and the bytes a view-only filter must forward of it.
    fn session() -> (Vec<u8>, Vec<u8>) {
        let pixel_format = [32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0];
        let messages = [
            ([&[0, 0, 0, 0][..], &pixel_format].concat(), true), // SetPixelFormat
            // SetEncodings: Tight, Raw, ExtendedDesktopSize.
            (
                vec![2, 0, 0, 3, 0, 0, 0, 7, 0, 0, 0, 0, 0xff, 0xff, 0xfe, 0xcc],
                true,
            ),
            (vec![3, 1, 0, 0, 0, 0, 0x04, 0, 0x03, 0], true), // FramebufferUpdateRequest
            (vec![4, 1, 0, 0, 0, 0, 0, 0x61], false),         // KeyEvent 'a'
            (vec![5, 1, 0, 10, 0, 20], false),                // PointerEvent
            (cut_text(5, b"hello"), false),                   // ClientCutText
            (vec![248, 0, 0, 0, 0x80, 0, 0, 3, 4, 1, 2, 3, 4], true), // Fence
            // SetDesktopSize, one screen.
            (
                [&[251, 0, 0x05, 0, 0x03, 0, 1, 0][..], &[0; 16]].concat(),
                false,
            ),
            (vec![255, 0, 0, 1, 0, 0, 0, 0x61, 0, 0, 0, 30], false), // QEMU extended key
            (vec![150, 1, 0, 0, 0, 0, 0x04, 0, 0x03, 0], true),      // EnableContinuousUpdates
            (vec![250, 0, 1, 4], false),                             // xvp reboot
        ];
        let (mut sent, mut forwarded) = (HANDSHAKE.to_vec(), SHARED.to_vec());
        for (message, forward) in messages {
            sent.extend(&message);
            if forward {
                forwarded.extend(message);
            }
        }
        (sent, forwarded)
    }

    fn run(bytes: &[u8], chunk: usize) -> Result<Vec<u8>, Unknown> {
        let mut filter = ViewOnly::new();
        let mut out = Vec::new();
        for part in bytes.chunks(chunk) {
            out.extend(filter.filter(part)?);
        }
        Ok(out)
    }

    #[test]
    fn forces_the_shared_flag() {
        assert_eq!(run(HANDSHAKE, 14), Ok(SHARED.to_vec()));
        assert_eq!(run(SHARED, 14), Ok(SHARED.to_vec()));
    }

    #[test]
    fn forwards_only_what_asks_for_pictures_however_split() {
        let (sent, forwarded) = session();
        for chunk in [sent.len(), 1, 7] {
            assert_eq!(
                run(&sent, chunk),
                Ok(forwarded.clone()),
                "chunks of {chunk}"
            );
        }
    }

    #[test]
    fn drops_extended_clipboard_whole() {
        let update = [3u8, 0, 0, 0, 0, 0, 0, 10, 0, 10];
        let sent = [HANDSHAKE, &cut_text(-300, &[9; 300]), &update].concat();
        for chunk in [1, 7, 64] {
            assert_eq!(run(&sent, chunk), Ok([SHARED, &update].concat()));
        }
    }

    #[test]
    fn unknown_messages_end_the_connection() {
        let mut filter = ViewOnly::new();
        assert_eq!(filter.filter(HANDSHAKE), Ok(SHARED.to_vec()));
        assert_eq!(filter.filter(&[7, 0, 0]), Err(Unknown(7)));
        assert_eq!(
            filter.filter(&[3, 0, 0, 0, 0, 0, 0, 1, 0, 1]),
            Err(Unknown(7))
        );

        let huge = [HANDSHAKE, &cut_text(100 << 20, b"")].concat();
        assert_eq!(run(&huge, 3), Err(Unknown(6)));
        let min = [HANDSHAKE, &cut_text(i32::MIN, b"")].concat();
        assert_eq!(run(&min, 100), Err(Unknown(6)));
        let qemu_audio = [HANDSHAKE, &[255, 1, 0, 0]].concat();
        assert_eq!(run(&qemu_audio, 100), Err(Unknown(255)));
        let long_fence = [HANDSHAKE, &[248, 0, 0, 0, 0, 0, 0, 0, 65]].concat();
        assert_eq!(run(&long_fence, 100), Err(Unknown(248)));
    }
}
