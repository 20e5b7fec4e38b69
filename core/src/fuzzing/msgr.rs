//! Fuzzes the msgr2 frame decoder as a hostile peer would feed it: the
//! bytes arrive in pieces of random size, in crc mode and in secure mode
//! under a fixed key. Whatever decodes must assemble back to the same frame
//! and its payload must survive a round trip. Then the bytes are read as a
//! frame to build, maybe corrupt with one bit flip, and decode again.

use alloc::vec::Vec;

use crate::msgr::{Frame, FrameAssembler, FrameDecoder, FramePayload, SecureRx, SecureTx, Segment, Tag};
use crate::random::XorShift;

/// The key and starting nonce the secure-mode decoder uses, so seed inputs
/// can be made with a [`SecureTx`] of the same.
pub const KEY: [u8; 16] = *b"fuzzing msgr2 ke";
pub const NONCE: [u8; 12] = [0x5e, 0xc0, 0x1d, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe];
/// Small, so a lying length is refused rather than waited for.
const MAX_SEGMENT_LEN: u32 = 1 << 16;

fn decoder(secure: bool) -> FrameDecoder {
    let mut dec = FrameDecoder::new().with_max_segment_len(MAX_SEGMENT_LEN);
    if secure {
        // A fresh decoder is between frames, so this cannot fail.
        let _ = dec.set_secure(SecureRx::new(&KEY, NONCE));
    }
    dec
}

fn assembler(secure: bool) -> FrameAssembler {
    let mut asm = FrameAssembler::new();
    if secure {
        asm.set_secure(SecureTx::new(&KEY, NONCE));
    }
    asm
}

fn check_frame(frame: &Frame) {
    let mut dec = decoder(false);
    dec.push(&assembler(false).assemble(frame));
    assert_eq!(dec.poll(), Ok(Some(frame.clone())));
    if let Ok(payload) = FramePayload::from_frame(frame) {
        let again = payload.to_frame().expect("a decoded payload fits in a frame");
        assert_eq!(FramePayload::from_frame(&again), Ok(payload));
    }
}

/// Pushes `data` in random pieces, polling after each; returns the frames
/// and whether the decoder failed.
fn feed(dec: &mut FrameDecoder, data: &[u8], rng: &mut XorShift) -> (Vec<Frame>, bool) {
    let mut frames = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let n = (1 + rng.next_u64() as usize % 97).min(rest.len());
        dec.push(&rest[..n]);
        rest = &rest[n..];
        loop {
            match dec.poll() {
                Ok(Some(frame)) => frames.push(frame),
                Ok(None) => break,
                Err(error) => {
                    // Failure is final.
                    assert_eq!(dec.poll(), Err(error));
                    assert_eq!(dec.needed(), 0);
                    return (frames, true);
                }
            }
        }
        assert!(dec.needed() > 0);
    }
    (frames, false)
}

/// Reads a frame out of the input: tag, segment count, then the sizes
/// of the first segments, the rest of the bytes filling them in turn.
fn frame_from(data: &[u8]) -> Option<Frame> {
    let (&tag, rest) = data.split_first()?;
    let (&count, mut rest) = rest.split_first()?;
    let count = 1 + usize::from(count) % 4;
    let mut segments = Vec::with_capacity(count);
    for i in 0..count {
        let len = match rest.split_first() {
            Some((&len, more)) if i + 1 < count => {
                rest = more;
                usize::from(len).min(rest.len())
            }
            _ => rest.len(),
        };
        let (seg, more) = rest.split_at(len);
        rest = more;
        segments.push(Segment::new(seg.to_vec(), if i == 3 { 4096 } else { 8 }));
    }
    // A multi-segment frame never ends in an empty segment on the wire.
    while segments.len() > 1 && segments.last().is_some_and(|s| s.data.is_empty()) {
        segments.pop();
    }
    Frame::new(Tag(tag), segments).ok()
}

/// Feeds the bytes, after a valid server banner, into a client
/// [`Connection`] to a monitor and to a service, in random pieces. It must
/// not panic, and once failed it stays failed and quiet.
pub fn connection(data: &[u8], rng: &mut XorShift) {
    use crate::auth::{AuthClient, Authorizer, EntityName};
    use crate::msgr::{Banner, ConnAuth, ConnEvent, Connection, ConnectionConfig, EntityAddr, EntityType};
    use crate::time::Instant;

    let name = EntityName::client("fuzz");
    for service in [false, true] {
        let (auth, peer) = if service {
            (ConnAuth::Service(Authorizer::none(&name, 1)), EntityType::OSD)
        } else {
            (ConnAuth::Mon, EntityType::MON)
        };
        let mut client = AuthClient::none(name.clone());
        let config = ConnectionConfig::new(EntityAddr::blank(), peer);
        let mut conn = Connection::new(config, auth, Instant::ZERO, rng.next_u64());
        conn.handle_input(&Banner::default().encode(), Instant::ZERO, Some(&mut client));
        let mut rest = data;
        let mut failed = false;
        while !rest.is_empty() {
            let n = (1 + rng.next_u64() as usize % 61).min(rest.len());
            conn.handle_input(&rest[..n], Instant::ZERO, Some(&mut client));
            rest = &rest[n..];
            while conn.poll_transmit().is_some() {}
            while let Some(ev) = conn.poll_event() {
                assert!(!failed, "an event after Failed: {ev:?}");
                failed = matches!(ev, ConnEvent::Failed(_));
            }
        }
        if failed {
            assert!(conn.is_closed() && conn.poll_timeout().is_none());
        }
    }
}

/// Bounds the structured frame so every segment stays under the limit.
const MAX_FRAME_INPUT: usize = 8192;

pub fn run(data: &[u8]) {
    let seed = data.iter().take(8).fold(0u64, |acc, &b| acc << 8 | u64::from(b));
    for secure in [false, true] {
        let mut rng = XorShift::new(seed ^ u64::from(secure));
        let (frames, _) = feed(&mut decoder(secure), data, &mut rng);
        frames.iter().for_each(check_frame);
    }

    connection(data, &mut XorShift::new(seed ^ 0xc0));

    let Some(frame) = frame_from(&data[..data.len().min(MAX_FRAME_INPUT)]) else { return };
    for secure in [false, true] {
        let mut rng = XorShift::new(seed.rotate_left(17) ^ u64::from(secure));
        let mut wire = assembler(secure).assemble(&frame);
        let (frames, failed) = feed(&mut decoder(secure), &wire, &mut rng);
        assert_eq!((frames.as_slice(), failed), (core::slice::from_ref(&frame), false));

        let bit = rng.next_u64() as usize % (wire.len() * 8);
        wire[bit / 8] ^= 1 << (bit % 8);
        let (frames, failed) = feed(&mut decoder(secure), &wire, &mut rng);
        if secure {
            // Every byte in secure mode is under an auth tag.
            assert!(failed && frames.is_empty(), "flip of bit {bit} went unnoticed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msgr::payload::{AckFrame, AuthDoneFrame, HelloFrame, MessageFrame, WaitFrame};
    use crate::msgr::{ConMode, EntityAddr, EntityType, MsgHeader2};
    use bytes::Bytes;

    fn seeds() -> Vec<Vec<u8>> {
        let payloads: [FramePayload; 5] = [
            HelloFrame { entity_type: EntityType::MON, peer_addr: EntityAddr::blank() }.into(),
            AuthDoneFrame { global_id: 7, con_mode: ConMode::SECURE, auth_payload: Bytes::from(alloc::vec![1; 60]) }
                .into(),
            AckFrame { seq: 3 }.into(),
            WaitFrame {}.into(),
            MessageFrame {
                header: MsgHeader2 { seq: 1, msg_type: 42, ..Default::default() },
                front: Bytes::from_static(b"front"),
                middle: Bytes::new(),
                data: Bytes::from(alloc::vec![0xda; 100]),
            }
            .into(),
        ];
        let mut seeds = Vec::new();
        for secure in [false, true] {
            // One stream per mode, so the secure nonces line up.
            let mut asm = assembler(secure);
            let mut stream = Vec::new();
            for p in &payloads {
                let wire = asm.assemble(&p.to_frame().unwrap());
                stream.extend_from_slice(&wire);
                seeds.push(wire);
            }
            seeds.push(stream);
        }
        seeds
    }

    #[test]
    fn seed_corpus() {
        for seed in seeds() {
            run(&seed);
            for cut in (0..seed.len()).step_by(5) {
                run(&seed[..cut]);
            }
        }
    }

    #[test]
    fn seeds_decode() {
        // The first frame of each mode's seeds must decode, or the corpus
        // would exercise only the error paths.
        for (i, seed) in seeds().iter().enumerate() {
            let secure = i >= 6;
            let mut dec = decoder(secure);
            dec.push(seed);
            if i == 0 || i == 6 || i == 5 || i == 11 {
                assert!(matches!(dec.poll(), Ok(Some(_))), "seed {i}");
            }
        }
    }

    #[test]
    fn random_inputs() {
        super::super::run_seeded(0x5eed_4572, 3000, 256, run);
    }
}
