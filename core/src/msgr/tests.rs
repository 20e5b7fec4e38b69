use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use bytes::Bytes;

use super::frames::{late_status, SegmentDesc, DEFAULT_ALIGNMENT, PAGE_SIZE_ALIGNMENT, PREAMBLE_LEN};
use super::payload::*;
use super::*;
use crate::crc32c::ceph_crc32c;
use crate::encoding::UtcTime;

const KEY: [u8; 16] = *b"0123456789abcdef";
const NONCE: [u8; 12] = [1, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 0, 0, 0, 0];

fn secure_pair() -> (FrameAssembler, FrameDecoder) {
    let mut asm = FrameAssembler::new();
    asm.set_secure(SecureTx::new(&KEY, NONCE));
    let mut dec = FrameDecoder::new();
    dec.set_secure(SecureRx::new(&KEY, NONCE)).unwrap();
    (asm, dec)
}

fn crc_pair() -> (FrameAssembler, FrameDecoder) {
    (FrameAssembler::new(), FrameDecoder::new())
}

fn addr(port: u16) -> EntityAddr {
    EntityAddr::v4(AddrType::MSGR2, [127, 0, 0, 1], port, 0x1234)
}

/// One of every payload, with segment sizes around the 48-byte inline
/// buffer and the 16-byte padding.
fn every_payload() -> Vec<FramePayload> {
    let message = |front: usize, middle: usize, data: usize| MessageFrame {
        header: MsgHeader2 {
            seq: 9,
            tid: 77,
            msg_type: 42,
            priority: 127,
            version: 8,
            ack_seq: 3,
            ..Default::default()
        },
        front: Bytes::from(vec![0xf0; front]),
        middle: Bytes::from(vec![0x3d; middle]),
        data: Bytes::from(vec![0xda; data]),
    };
    vec![
        HelloFrame { entity_type: EntityType::CLIENT, peer_addr: addr(3300) }.into(),
        AuthRequestFrame { method: 2, preferred_modes: vec![2, 1], auth_payload: Bytes::from(vec![7; 300]) }.into(),
        AuthBadMethodFrame { method: 1, result: -13, allowed_methods: vec![2], allowed_modes: vec![2, 1] }.into(),
        AuthReplyMoreFrame { auth_payload: Bytes::from_static(b"challenge") }.into(),
        AuthRequestMoreFrame { auth_payload: Bytes::from(vec![1; 47]) }.into(),
        AuthDoneFrame { global_id: 4151, con_mode: ConMode::SECURE, auth_payload: Bytes::from(vec![2; 48]) }.into(),
        AuthSignatureFrame { signature: [0xab; 32] }.into(),
        ClientIdentFrame {
            addrs: EntityAddrvec(vec![EntityAddr::blank()]),
            target_addr: addr(6789),
            gid: 4151,
            global_seq: 1,
            supported_features: 0x3f01_cfbf_fffd_ffff,
            required_features: 0,
            flags: 1,
            cookie: 0xc00c1e,
        }
        .into(),
        ServerIdentFrame {
            addrs: EntityAddrvec(vec![addr(3300), addr(6789)]),
            gid: -1,
            global_seq: 5,
            supported_features: 0x3f01_cfbf_fffd_ffff,
            required_features: 0x0001_0000_0000_0000,
            flags: 0,
            cookie: 8,
        }
        .into(),
        IdentMissingFeaturesFrame { features: 1 << 40 }.into(),
        ReconnectFrame {
            addrs: EntityAddrvec(vec![addr(0)]),
            client_cookie: 1,
            server_cookie: 2,
            global_seq: 3,
            connect_seq: 4,
            msg_seq: 5,
        }
        .into(),
        ResetFrame { full: true }.into(),
        RetryFrame { connect_seq: 6 }.into(),
        RetryGlobalFrame { global_seq: 7 }.into(),
        ReconnectOkFrame { msg_seq: 8 }.into(),
        WaitFrame {}.into(),
        KeepAliveFrame { timestamp: UtcTime::new(1_700_000_000, 5) }.into(),
        KeepAliveFrameAck { timestamp: UtcTime::new(1_700_000_001, 6) }.into(),
        AckFrame { seq: 99 }.into(),
        message(0, 0, 0).into(),
        message(5, 0, 0).into(),
        message(0, 0, 4096).into(),
        message(100, 17, 1).into(),
        message(33, 0, 12).into(),
    ]
}

fn decode_all(dec: &mut FrameDecoder) -> Vec<FramePayload> {
    let mut out = Vec::new();
    while let Some(frame) = dec.poll().unwrap() {
        out.push(FramePayload::from_frame(&frame).unwrap());
    }
    out
}

#[test]
fn every_payload_round_trips_in_both_modes() {
    for (mut asm, mut dec) in [crc_pair(), secure_pair()] {
        let payloads = every_payload();
        let mut wire = Vec::new();
        for p in &payloads {
            wire.extend_from_slice(&asm.assemble(&p.to_frame().unwrap()));
        }
        dec.push(&wire);
        assert_eq!(decode_all(&mut dec), payloads, "secure {}", asm.is_secure());
        assert_eq!(dec.buffered(), 0);
        assert_eq!(dec.needed(), if asm.is_secure() { 96 } else { 32 });
    }
}

#[test]
fn byte_at_a_time_gives_the_same_frames() {
    for (mut asm, mut dec) in [crc_pair(), secure_pair()] {
        let payloads = every_payload();
        let mut got = Vec::new();
        for p in &payloads {
            for byte in asm.assemble(&p.to_frame().unwrap()) {
                assert!(dec.needed() > 0);
                dec.push(&[byte]);
                got.extend(decode_all(&mut dec));
            }
        }
        assert_eq!(got, payloads);
    }
}

#[test]
fn preamble_layout_follows_fill_preamble() {
    // preamble_block_t: tag, num_segments, 4 x {le32 length, le16 alignment},
    // 2 reserved bytes, le32 crc32c(seed 0) over the 28 bytes before it.
    let preamble = Preamble {
        tag: Tag::MESSAGE,
        num_segments: 4,
        segments: [
            SegmentDesc { len: 41, align: 8 },
            SegmentDesc { len: 0x0102_0304, align: 8 },
            SegmentDesc { len: 0, align: 8 },
            SegmentDesc { len: 5, align: 4096 },
        ],
    };
    let mut want = vec![17u8, 4];
    want.extend_from_slice(&[41, 0, 0, 0, 8, 0]);
    want.extend_from_slice(&[4, 3, 2, 1, 8, 0]);
    want.extend_from_slice(&[0, 0, 0, 0, 8, 0]);
    want.extend_from_slice(&[5, 0, 0, 0, 0, 0x10]);
    want.extend_from_slice(&[0, 0]);
    let crc = ceph_crc32c(0, &want);
    want.extend_from_slice(&crc.to_le_bytes());
    assert_eq!(preamble.encode()[..], want[..]);
    assert_eq!(Preamble::decode(&preamble.encode()), Ok(preamble));
}

#[test]
fn crc_frame_layout_follows_asm_crc_rev1() {
    // Front and data present, middle empty: the preamble lists 4 segments,
    // seg0's crc follows it inline, the epilogue is late_status COMPLETE
    // and the crcs (seed -1) of front, middle (empty: 0xffffffff) and data.
    let header = [0x11u8; 41];
    let frame = Frame::new(
        Tag::MESSAGE,
        vec![
            Segment::new(header.to_vec(), DEFAULT_ALIGNMENT),
            Segment::new(&b"front"[..], DEFAULT_ALIGNMENT),
            Segment::new(Bytes::new(), DEFAULT_ALIGNMENT),
            Segment::new(&b"data!"[..], PAGE_SIZE_ALIGNMENT),
        ],
    )
    .unwrap();
    let bytes = FrameAssembler::new().assemble(&frame);

    let mut want = Vec::new();
    want.extend_from_slice(&[17, 4, 41, 0, 0, 0, 8, 0, 5, 0, 0, 0, 8, 0, 0, 0, 0, 0, 8, 0, 5, 0, 0, 0, 0, 0x10, 0, 0]);
    let crc = ceph_crc32c(0, &want);
    want.extend_from_slice(&crc.to_le_bytes());
    want.extend_from_slice(&header);
    want.extend_from_slice(&ceph_crc32c(0xffff_ffff, &header).to_le_bytes());
    want.extend_from_slice(b"front");
    want.extend_from_slice(b"data!");
    want.push(0x0e);
    want.extend_from_slice(&ceph_crc32c(0xffff_ffff, b"front").to_le_bytes());
    want.extend_from_slice(&[0xff; 4]);
    want.extend_from_slice(&ceph_crc32c(0xffff_ffff, b"data!").to_le_bytes());
    assert_eq!(bytes, want);
}

#[test]
fn single_segment_frames_have_no_epilogue_and_empty_ones_no_crc() {
    let mut asm = FrameAssembler::new();
    let ack = asm.assemble(&FramePayload::from(AckFrame { seq: 1 }).to_frame().unwrap());
    assert_eq!(ack.len(), PREAMBLE_LEN + 8 + 4);
    let wait = asm.assemble(&FramePayload::from(WaitFrame {}).to_frame().unwrap());
    assert_eq!(wait.len(), PREAMBLE_LEN);
    // Trailing empty segments are dropped: a header-only message is one segment.
    let msg = asm.assemble(&MessageFrame::default().to_frame().unwrap());
    assert_eq!((msg[1], msg.len()), (1, PREAMBLE_LEN + 41 + 4));
}

#[test]
fn secure_frame_layout_follows_asm_secure_rev1() {
    // Three GCM operations with consecutive nonces: preamble + 48 inline
    // bytes, then the rest of seg0 padded to 16, then the other segments
    // padded to 16 plus a 16-byte epilogue (late_status COMPLETE).
    let seg0: Vec<u8> = (0..70).collect();
    let frame = Frame::new(
        Tag(99),
        vec![Segment::new(seg0.clone(), 8), Segment::new(vec![0xaa; 3], 8), Segment::new(vec![0xbb; 16], 8)],
    )
    .unwrap();
    let mut asm = FrameAssembler::new();
    asm.set_secure(SecureTx::new(&KEY, NONCE));
    let bytes = asm.assemble(&frame);

    let mut tx = SecureTx::new(&KEY, NONCE);
    let preamble = Preamble {
        tag: Tag(99),
        num_segments: 3,
        segments: [
            SegmentDesc { len: 70, align: 8 },
            SegmentDesc { len: 3, align: 8 },
            SegmentDesc { len: 16, align: 8 },
            SegmentDesc::default(),
        ],
    };
    let mut head = preamble.encode().to_vec();
    head.extend_from_slice(&seg0[..48]);
    let tag = tx.seal(&mut head);
    head.extend_from_slice(&tag);
    let mut rest = seg0[48..].to_vec();
    rest.resize(80 - 48, 0);
    let tag = tx.seal(&mut rest);
    rest.extend_from_slice(&tag);
    let mut tail = vec![0xaa; 3];
    tail.resize(16, 0);
    tail.extend_from_slice(&[0xbb; 16]);
    tail.push(late_status::COMPLETE);
    tail.resize(48, 0);
    let tag = tx.seal(&mut tail);
    tail.extend_from_slice(&tag);
    assert_eq!(bytes, [head, rest, tail].concat());
    assert_eq!(bytes.len(), 96 + 48 + 64);
}

#[test]
fn secure_sizes_match_the_kernels_onwire_lengths() {
    // head_onwire_len / __tail_onwire_len in messenger_v2.c.
    let (mut asm, _) = secure_pair();
    for (len, want) in [(0, 96), (1, 96), (48, 96), (49, 96 + 16 + 16), (100, 96 + 64 + 16)] {
        let frame = Frame::control(Tag::AUTH_REPLY_MORE, vec![0u8; len]).unwrap();
        assert_eq!(asm.assemble(&frame).len(), want, "control of {len}");
    }
    let msg = MessageFrame { front: Bytes::from(vec![1; 20]), data: Bytes::from(vec![2; 4096]), ..Default::default() };
    // Head; front padded to 32; no middle; data; epilogue and tag.
    assert_eq!(asm.assemble(&msg.to_frame().unwrap()).len(), 96 + 32 + 4096 + 32);
}

/// The first frame a Pacific (16.2.15) monitor sent after the banners, read
/// off a raw TCP connection to its msgr2 port: HELLO, entity type MON, and
/// the client's address as the monitor saw it (127.0.0.1:50362).
const PACIFIC_MON_HELLO: [u8; 72] = [
    0x01, 0x01, 0x24, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3f, 0xbd, 0x6b, 0x06, 0x01, 0x01, 0x01, 0x01, 0x1c, 0x00,
    0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x02, 0x00, 0xc4, 0xba, 0x7f,
    0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x25, 0x27, 0x93, 0xfd,
];

#[test]
fn decodes_a_real_monitor_hello() {
    let mut dec = FrameDecoder::new();
    dec.push(&PACIFIC_MON_HELLO);
    let frame = dec.poll().unwrap().unwrap();
    let hello = HelloFrame {
        entity_type: EntityType::MON,
        peer_addr: EntityAddr::v4(AddrType::MSGR2, [127, 0, 0, 1], 50362, 0),
    };
    assert_eq!(FramePayload::from_frame(&frame), Ok(hello.clone().into()));
    // And our assembler produces the very same bytes.
    assert_eq!(FrameAssembler::new().assemble(&FramePayload::from(hello).to_frame().unwrap()), PACIFIC_MON_HELLO);
}

/// A Pacific monitor's answer to an AUTH_REQUEST for the `none` method
/// from tests/msgr_live.rs: method 1 refused with -EACCES, cephx allowed,
/// modes secure then crc.
const PACIFIC_MON_AUTH_BAD_METHOD: &str = "03011c00000008000000000000000000000000000000000000000000e80a8959\
    01000000f3ffffff0100000002000000020000000200000001000000\
    0a9c8a08";

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
}

#[test]
fn decodes_a_real_monitor_auth_bad_method() {
    let wire = unhex(PACIFIC_MON_AUTH_BAD_METHOD);
    let mut dec = FrameDecoder::new();
    dec.push(&wire);
    let frame = dec.poll().unwrap().unwrap();
    let want = AuthBadMethodFrame { method: 1, result: -13, allowed_methods: vec![2], allowed_modes: vec![2, 1] };
    assert_eq!(FramePayload::from_frame(&frame), Ok(want.clone().into()));
    assert_eq!(FrameAssembler::new().assemble(&FramePayload::from(want).to_frame().unwrap()), wire);
}

#[test]
fn any_flipped_bit_is_caught() {
    let payloads = every_payload();
    for secure in [false, true] {
        for p in &payloads {
            let (mut asm, _) = if secure { secure_pair() } else { crc_pair() };
            let wire = asm.assemble(&p.to_frame().unwrap());
            for bit in (0..wire.len() * 8).step_by(7) {
                let mut bad = wire.clone();
                bad[bit / 8] ^= 1 << (bit % 8);
                let (_, mut dec) = if secure { secure_pair() } else { crc_pair() };
                dec.push(&bad);
                match dec.poll() {
                    Err(FrameError::BadAuthTag) if secure => {}
                    Err(FrameError::BadPreambleCrc { .. } | FrameError::BadSegmentCrc { .. }) if !secure => {}
                    // Lengths and counts sit under the preamble crc, so only
                    // the late_status byte is left to check for itself.
                    Err(FrameError::BadLateStatus(_)) if !secure => {}
                    // The reserved nibble of late_status is not checked.
                    Ok(Some(_)) if !secure && bit / 8 == wire.len() - 13 && bit % 8 >= 4 => {}
                    other => panic!("secure {secure} tag {:?} bit {bit}: {other:?}", p.tag()),
                }
            }
        }
    }
}

#[test]
fn crc_errors_name_the_segment() {
    let msg =
        MessageFrame { front: Bytes::from_static(b"front"), data: Bytes::from_static(b"data"), ..Default::default() };
    let wire = FrameAssembler::new().assemble(&msg.to_frame().unwrap());
    let at = |i: usize| {
        let mut bad = wire.clone();
        bad[i] ^= 0x80;
        let mut dec = FrameDecoder::new();
        dec.push(&bad);
        dec.poll()
    };
    assert!(matches!(at(0), Err(FrameError::BadPreambleCrc { .. })));
    assert!(matches!(at(PREAMBLE_LEN), Err(FrameError::BadSegmentCrc { index: 0, .. })));
    assert!(matches!(at(PREAMBLE_LEN + 45), Err(FrameError::BadSegmentCrc { index: 1, .. })));
    assert!(matches!(at(PREAMBLE_LEN + 45 + 5), Err(FrameError::BadSegmentCrc { index: 3, .. })));
    assert!(matches!(at(wire.len() - 13), Ok(Some(_)))); // 0x8e: reserved nibble only
    let mut bad = wire.clone();
    bad[wire.len() - 13] = 0x0c;
    let mut dec = FrameDecoder::new();
    dec.push(&bad);
    assert_eq!(dec.poll(), Err(FrameError::BadLateStatus(0x0c)));
    // Errors stick: the stream cannot be resynchronised.
    dec.push(&wire);
    assert_eq!(dec.poll(), Err(FrameError::BadLateStatus(0x0c)));
    assert_eq!(dec.needed(), 0);
}

#[test]
fn truncated_frames_wait_for_more() {
    for secure in [false, true] {
        for p in every_payload() {
            let (mut asm, _) = if secure { secure_pair() } else { crc_pair() };
            let wire = asm.assemble(&p.to_frame().unwrap());
            for cut in 0..wire.len() {
                let (_, mut dec) = if secure { secure_pair() } else { crc_pair() };
                dec.push(&wire[..cut]);
                assert_eq!(dec.poll(), Ok(None), "{:?} cut at {cut}", p.tag());
                assert!(dec.needed() > 0 && dec.needed() <= wire.len() - cut);
            }
        }
    }
}

fn preamble_bytes(tag: u8, lens: &[u32]) -> [u8; PREAMBLE_LEN] {
    let mut segments = [SegmentDesc::default(); 4];
    for (desc, &len) in segments.iter_mut().zip(lens) {
        *desc = SegmentDesc { len, align: 8 };
    }
    Preamble { tag: Tag(tag), num_segments: lens.len() as u8, segments }.encode()
}

#[test]
fn oversize_segments_are_refused_before_their_bytes_arrive() {
    let mut dec = FrameDecoder::new().with_max_segment_len(1024);
    dec.push(&preamble_bytes(17, &[41, 0, 0, 1025]));
    assert_eq!(dec.poll(), Err(FrameError::SegmentTooLong { index: 3, len: 1025, max: 1024 }));
    let mut dec = FrameDecoder::new();
    dec.push(&preamble_bytes(2, &[u32::MAX]));
    assert!(matches!(dec.poll(), Err(FrameError::SegmentTooLong { index: 0, .. })));
    assert!(dec.buffered() == 0);
}

#[test]
fn preamble_rules_of_disassemble_preamble() {
    for (lens, want) in [
        (&[][..], FrameError::BadSegmentCount(0)),
        (&[1, 2, 3, 4, 5][..], FrameError::BadSegmentCount(5)),
        (&[8, 0][..], FrameError::LastSegmentEmpty),
        (&[8, 1, 0][..], FrameError::LastSegmentEmpty),
    ] {
        let mut bytes = [0u8; PREAMBLE_LEN];
        let mut desc = [SegmentDesc::default(); 4];
        for (d, &len) in desc.iter_mut().zip(lens) {
            *d = SegmentDesc { len, align: 8 };
        }
        bytes[..].copy_from_slice(&Preamble { tag: Tag::ACK, num_segments: lens.len() as u8, segments: desc }.encode());
        assert_eq!(Preamble::decode(&bytes), Err(want));
    }
    // A lone empty segment is fine: that is WAIT.
    assert!(Preamble::decode(&preamble_bytes(16, &[0])).is_ok());
}

#[test]
fn aborted_frames_are_dropped() {
    let mut asm = FrameAssembler::new();
    let msg = MessageFrame { data: Bytes::from_static(b"abc"), ..Default::default() };
    let mut aborted = asm.assemble(&msg.to_frame().unwrap());
    let status_at = aborted.len() - 13;
    aborted[status_at] = late_status::ABORTED;
    let ack = asm.assemble(&FramePayload::from(AckFrame { seq: 4 }).to_frame().unwrap());
    let mut dec = FrameDecoder::new();
    dec.push(&aborted);
    dec.push(&ack);
    assert_eq!(decode_all(&mut dec), vec![FramePayload::from(AckFrame { seq: 4 })]);
    assert_eq!(dec.aborted_frames(), 1);
}

#[test]
fn secure_mode_starts_after_auth_done() {
    // The server's AUTH_DONE is the last crc frame; bytes after it, even in
    // the same read, are already encrypted.
    let mut server = FrameAssembler::new();
    let done = AuthDoneFrame { global_id: 1, con_mode: ConMode::SECURE, auth_payload: Bytes::new() };
    let mut wire = server.assemble(&FramePayload::from(done.clone()).to_frame().unwrap());
    // The server's send nonce is the client's receive nonce.
    server.set_secure(SecureTx::new(&KEY, NONCE));
    let sig = AuthSignatureFrame { signature: [3; 32] };
    wire.extend(server.assemble(&FramePayload::from(sig.clone()).to_frame().unwrap()));

    let mut dec = FrameDecoder::new();
    dec.start_recording();
    dec.push(&wire);
    let first = dec.poll().unwrap().unwrap();
    assert_eq!(FramePayload::from_frame(&first), Ok(done.into()));
    let recorded = dec.take_recording();
    assert_eq!(recorded[..], wire[..wire.len() - 96]);
    dec.set_secure(SecureRx::new(&KEY, NONCE)).unwrap();
    assert_eq!(decode_all(&mut dec), vec![FramePayload::from(sig)]);
}

#[test]
fn switching_mid_frame_is_refused() {
    let mut dec = FrameDecoder::new();
    dec.push(&preamble_bytes(20, &[8]));
    assert_eq!(dec.poll(), Ok(None));
    assert_eq!(dec.set_secure(SecureRx::new(&KEY, NONCE)), Err(FrameError::MidFrame));
}

#[test]
fn wrong_keys_or_nonces_fail_authentication() {
    let (mut asm, _) = secure_pair();
    let wire = asm.assemble(&FramePayload::from(AckFrame { seq: 1 }).to_frame().unwrap());
    for rx in [SecureRx::new(&[0; 16], NONCE), SecureRx::new(&KEY, [0; 12])] {
        let mut dec = FrameDecoder::new();
        dec.set_secure(rx).unwrap();
        dec.push(&wire);
        assert_eq!(dec.poll(), Err(FrameError::BadAuthTag));
    }
    // Replaying a frame fails too: the receive nonce has moved on.
    let (_, mut dec) = secure_pair();
    dec.push(&wire);
    dec.push(&wire);
    assert!(dec.poll().unwrap().is_some());
    assert_eq!(dec.poll(), Err(FrameError::BadAuthTag));
}

#[test]
fn payload_decoding_is_strict() {
    let mut frame_bytes = FrameAssembler::new();
    let mut extra = vec![0u8; 9];
    extra[..8].copy_from_slice(&5u64.to_le_bytes());
    let mut dec = FrameDecoder::new();
    dec.push(&frame_bytes.assemble(&Frame::control(Tag::ACK, extra).unwrap()));
    let frame = dec.poll().unwrap().unwrap();
    assert!(matches!(FramePayload::from_frame(&frame), Err(FrameError::BadPayload { tag: Tag::ACK, .. })));

    let two = Frame::new(Tag::ACK, vec![Segment::new(vec![0; 8], 8), Segment::new(vec![1], 8)]).unwrap();
    assert_eq!(FramePayload::from_frame(&two), Err(FrameError::UnexpectedSegments { tag: Tag::ACK, count: 2 }));
    assert_eq!(
        FramePayload::from_frame(&Frame::control(Tag(200), vec![]).unwrap()),
        Err(FrameError::UnknownTag(Tag(200)))
    );
    let short_header = Frame::control(Tag::MESSAGE, vec![0; 40]).unwrap();
    assert!(matches!(FramePayload::from_frame(&short_header), Err(FrameError::BadPayload { .. })));
    assert!(Frame::new(Tag::ACK, vec![]).is_err());
    assert_eq!(format!("{:?} {:?}", Tag::SESSION_RECONNECT_OK, Tag(77)), "SESSION_RECONNECT_OK Tag(77)");
}
