//! Counting what an artist does in a desktop viewer: the key and pointer events in the
//! bytes a VNC client sends (RFC 6143, with the extensions noVNC uses), not the bytes
//! themselves. A viewer that is open but untouched still asks for screen updates all the
//! time; only input says someone is there. Idle stop (local-studio) reads the count.
//!
//! The parser follows the stream message by message, keeping at most a message header
//! (12 bytes) and skipping payloads by length, so a large clipboard costs no memory. A
//! message it does not know ends the counting for that connection (`lost`): the length of
//! what follows cannot be known, and guessing would count noise as input.

/// Follows one client-to-server RFB stream.
#[derive(Debug)]
pub struct InputCounter {
    phase: Phase,
    /// The start of the current message, until its length is known.
    head: Vec<u8>,
    /// Payload bytes of the current message still to pass.
    skip: u64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    /// "RFB 003.00x\n"
    Version,
    /// The security type the client chose (3.7 and later).
    Security,
    /// The shared-desktop flag.
    Init,
    Messages,
    Lost,
}

/// What the bytes so far say about the current message.
enum Known {
    /// Its whole length, and whether it is a key or pointer event.
    Length(u64, bool),
    /// More bytes are needed to tell.
    NeedMore,
    Unknown,
}

impl Default for InputCounter {
    fn default() -> Self {
        InputCounter {
            phase: Phase::Version,
            head: Vec::with_capacity(12),
            skip: 0,
        }
    }
}

impl InputCounter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the stream held something this parser does not know; it counts no more.
    pub fn lost(&self) -> bool {
        self.phase == Phase::Lost
    }

    /// Reads the next bytes the client sent; returns the key and pointer events among them.
    pub fn feed(&mut self, mut data: &[u8]) -> u64 {
        let mut events = 0;
        while !data.is_empty() && self.phase != Phase::Lost {
            if self.skip > 0 {
                let n = self.skip.min(data.len() as u64);
                self.skip -= n;
                data = &data[n as usize..];
                continue;
            }
            self.head.push(data[0]);
            data = &data[1..];
            match self.known() {
                Known::NeedMore => {}
                Known::Unknown => self.phase = Phase::Lost,
                Known::Length(length, input) => {
                    events += u64::from(input);
                    self.skip = length - self.head.len() as u64;
                    self.phase = self.next_phase();
                    self.head.clear();
                }
            }
        }
        events
    }

    fn known(&self) -> Known {
        let h = &self.head;
        let be16 = |at: usize| u16::from_be_bytes([h[at], h[at + 1]]) as u64;
        let need = |n: usize, length: &dyn Fn() -> u64| {
            if h.len() < n {
                Known::NeedMore
            } else {
                Known::Length(length(), false)
            }
        };
        match self.phase {
            Phase::Version => need(12, &|| 12),
            Phase::Security => match h[0] {
                1 => Known::Length(1, false),
                // VNC authentication: the 16-byte response follows.
                2 => Known::Length(17, false),
                _ => Known::Unknown,
            },
            Phase::Init => Known::Length(1, false),
            Phase::Lost => Known::Unknown,
            Phase::Messages => match h[0] {
                0 => Known::Length(20, false),
                2 => need(4, &|| 4 + 4 * be16(2)),
                3 => Known::Length(10, false),
                4 => Known::Length(8, true),
                5 => Known::Length(6, true),
                // ClientCutText; a negative length is the extended clipboard's.
                6 => need(8, &|| {
                    8 + i32::from_be_bytes([h[4], h[5], h[6], h[7]]).unsigned_abs() as u64
                }),
                // EnableContinuousUpdates
                150 => Known::Length(10, false),
                // ClientFence: its payload length is the ninth byte.
                248 => need(9, &|| 9 + h[8] as u64),
                // xvp
                250 => Known::Length(4, false),
                // SetDesktopSize: 16 bytes per screen.
                251 => need(8, &|| 8 + 16 * h[6] as u64),
                // QEMU: only the extended key event (subtype 0) is known.
                255 if h.len() < 2 => Known::NeedMore,
                255 if h[1] == 0 => Known::Length(12, true),
                _ => Known::Unknown,
            },
        }
    }

    /// The phase after the message just read.
    fn next_phase(&self) -> Phase {
        match self.phase {
            // 3.3: the server picks the security type and the client says nothing.
            Phase::Version if self.head.starts_with(b"RFB 003.003") => Phase::Init,
            Phase::Version => Phase::Security,
            Phase::Security => Phase::Init,
            Phase::Init | Phase::Messages => Phase::Messages,
            Phase::Lost => Phase::Lost,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::InputCounter;

    /// What noVNC sends to a server without authentication: the handshake, its pixel
    /// format and encodings, an update request, then the given messages.
    fn session(messages: &[&[u8]]) -> Vec<u8> {
        let mut bytes = b"RFB 003.008\n".to_vec();
        bytes.push(1); // security type None
        bytes.push(1); // shared
        bytes.extend([0; 20]); // SetPixelFormat
        bytes.extend([2, 0, 0, 2, 0, 0, 0, 7, 0xff, 0xff, 0xff, 0x21]); // two encodings
        bytes.extend([3, 1, 0, 0, 0, 0, 5, 0, 3, 32]); // FramebufferUpdateRequest
        for message in messages {
            bytes.extend_from_slice(message);
        }
        bytes
    }

    const KEY: &[u8] = &[4, 1, 0, 0, 0, 0, 0, 0x61];
    const POINTER: &[u8] = &[5, 0, 0, 10, 0, 20];
    const UPDATE: &[u8] = &[3, 1, 0, 0, 0, 0, 5, 0, 3, 32];

    #[test]
    fn an_untouched_viewer_asking_for_updates_is_no_input() {
        let bytes = session(&[UPDATE, UPDATE, UPDATE]);
        let mut counter = InputCounter::new();
        assert_eq!(counter.feed(&bytes), 0);
        assert!(!counter.lost());
    }

    #[test]
    fn keys_and_pointer_moves_count_one_each() {
        let qemu_key = &[255, 0, 0, 1, 0, 0, 0, 0x61, 0, 0, 0, 30];
        let bytes = session(&[KEY, UPDATE, POINTER, POINTER, qemu_key]);
        assert_eq!(InputCounter::new().feed(&bytes), 4);
    }

    #[test]
    fn a_large_clipboard_is_skipped_by_its_length_and_keys_after_it_count() {
        let mut cut = vec![6, 0, 0, 0];
        cut.extend(100_000u32.to_be_bytes());
        cut.extend(vec![4; 100_000]); // payload bytes that look like key events
        let mut extended = vec![6, 0, 0, 0];
        extended.extend((-12i32).to_be_bytes());
        extended.extend([5; 12]);
        let bytes = session(&[&cut, &extended, KEY]);
        let mut counter = InputCounter::new();
        assert_eq!(counter.feed(&bytes), 1);
        assert!(counter.head.capacity() <= 16, "no payload was buffered");
    }

    #[test]
    fn vnc_authentication_and_protocol_3_3_handshakes_are_followed() {
        let mut auth = b"RFB 003.008\n".to_vec();
        auth.push(2);
        auth.extend([4; 16]); // the response, which looks like key events
        auth.push(1);
        auth.extend_from_slice(KEY);
        assert_eq!(InputCounter::new().feed(&auth), 1);
        let mut old = b"RFB 003.003\n".to_vec();
        old.push(1);
        old.extend_from_slice(POINTER);
        assert_eq!(InputCounter::new().feed(&old), 1);
    }

    #[test]
    fn an_unknown_message_ends_the_counting() {
        let bytes = session(&[KEY, &[77, 1, 2, 3], KEY, KEY]);
        let mut counter = InputCounter::new();
        assert_eq!(counter.feed(&bytes), 1);
        assert!(counter.lost());
        assert_eq!(counter.feed(KEY), 0);
    }

    proptest::proptest! {
        /// However the stream is cut into reads, the count is the same.
        #[test]
        fn the_count_does_not_depend_on_how_reads_split_the_stream(
            cuts in proptest::collection::vec(1usize..40, 1..60),
            inputs in proptest::collection::vec(0u8..4, 0..30),
        ) {
            let pieces: Vec<&[u8]> = inputs
                .iter()
                .map(|i| match i { 0 => KEY, 1 => POINTER, 2 => UPDATE, _ => &[248, 0, 0, 0, 0, 0, 0, 0, 3, 9, 9, 9][..] })
                .collect();
            let want = inputs.iter().filter(|i| **i < 2).count() as u64;
            let bytes = session(&pieces);
            let mut counter = InputCounter::new();
            let (mut at, mut got) = (0, 0);
            for cut in cuts.iter().cycle() {
                if at >= bytes.len() { break; }
                let end = (at + cut).min(bytes.len());
                got += counter.feed(&bytes[at..end]);
                at = end;
            }
            proptest::prop_assert_eq!(got, want);
        }
    }
}
