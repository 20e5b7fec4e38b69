//! msgr2.1 frames: the preamble, segments and epilogue, in crc and secure
//! mode (src/msg/async/frames_v2.{h,cc}: FrameAssembler, rev1 paths).
//!
//! crc mode:
//! ```text
//! preamble (32) | seg0 | crc32c(seg0) if seg0 is not empty
//!               | seg1 | seg2 | seg3 | epilogue (13) if more than one segment
//! ```
//! secure mode, every `[...]` one AES-GCM operation followed by its tag:
//! ```text
//! [preamble (32) | first 48 bytes of seg0, zero-padded]
//! [rest of seg0, padded to 16]                          if seg0 is over 48 bytes
//! [seg1 | seg2 | seg3, each padded to 16 | epilogue (16)] if more than one segment
//! ```
//! The preamble has its own crc32c (seed 0) in both modes; segment crcs use
//! seed `-1`, both without Ceph's usual final inversion.

use alloc::vec::Vec;
use core::fmt;

use bytes::{Buf, BufMut, Bytes, BytesMut};

use super::secure::{SecureRx, SecureTx, BLOCK_LEN, TAG_LEN};
use crate::crc32c::ceph_crc32c;
use crate::encoding::DecodeError;
use crate::Errno;

/// A frame's type. Open: unknown tags still frame correctly, and only
/// [`super::FramePayload`] refuses them.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(pub u8);

macro_rules! tags {
    ($($name:ident = $val:expr;)*) => {
        impl Tag {
            $(pub const $name: Tag = Tag($val);)*

            /// Ceph's name for the tag, when it is one this crate knows.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($val => Some(stringify!($name)),)*
                    _ => None,
                }
            }
        }
    };
}

tags! {
    HELLO = 1;
    AUTH_REQUEST = 2;
    AUTH_BAD_METHOD = 3;
    AUTH_REPLY_MORE = 4;
    AUTH_REQUEST_MORE = 5;
    AUTH_DONE = 6;
    AUTH_SIGNATURE = 7;
    CLIENT_IDENT = 8;
    SERVER_IDENT = 9;
    IDENT_MISSING_FEATURES = 10;
    SESSION_RECONNECT = 11;
    SESSION_RESET = 12;
    SESSION_RETRY = 13;
    SESSION_RETRY_GLOBAL = 14;
    SESSION_RECONNECT_OK = 15;
    WAIT = 16;
    MESSAGE = 17;
    KEEPALIVE2 = 18;
    KEEPALIVE2_ACK = 19;
    ACK = 20;
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "Tag({})", self.0),
        }
    }
}

pub const MAX_NUM_SEGMENTS: usize = 4;
pub const PREAMBLE_LEN: usize = 32;
pub const CRC_LEN: usize = 4;
/// late_status and the crcs of segments 1 to 3.
pub const EPILOGUE_CRC_LEN: usize = 1 + 3 * CRC_LEN;
/// How much of the first segment rides in the secure-mode preamble.
pub const PREAMBLE_INLINE_LEN: usize = 48;
/// Preamble, inline buffer and tag: what starts every secure-mode frame.
pub const SECURE_HEAD_LEN: usize = PREAMBLE_LEN + PREAMBLE_INLINE_LEN + TAG_LEN;
/// late_status padded to a block, then the tag.
pub const EPILOGUE_SECURE_LEN: usize = BLOCK_LEN + TAG_LEN;
/// `segment_t::DEFAULT_ALIGNMENT` (`sizeof(void *)`): control segments,
/// message header, front and middle.
pub const DEFAULT_ALIGNMENT: u16 = 8;
/// `segment_t::PAGE_SIZE_ALIGNMENT`: a message's data segment.
pub const PAGE_SIZE_ALIGNMENT: u16 = 4096;
/// The largest segment a [`FrameDecoder`] accepts unless told otherwise.
pub const DEFAULT_MAX_SEGMENT_LEN: u32 = 16 << 20;
/// The most a decoder may be configured to accept, so that a whole frame's
/// length always fits in memory arithmetic.
pub const MAX_SEGMENT_LEN_LIMIT: u32 = 1 << 30;

/// `FRAME_LATE_STATUS_*`: one nibble says whether the sender completed
/// or aborted the frame, coded far apart so a bit flip is noticed.
pub mod late_status {
    pub const ABORTED: u8 = 0x1;
    pub const COMPLETE: u8 = 0xe;
    pub const ABORTED_MASK: u8 = 0xf;
}

/// Why bytes are not a valid frame, or a frame not a valid payload.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    #[error("bad preamble crc: calculated {calculated:#010x}, expected {expected:#010x}")]
    BadPreambleCrc { calculated: u32, expected: u32 },
    #[error("bad number of segments {0}")]
    BadSegmentCount(u8),
    #[error("last segment empty")]
    LastSegmentEmpty,
    #[error("segment {index} of {len} bytes is over the {max}-byte limit")]
    SegmentTooLong { index: usize, len: u32, max: u32 },
    #[error("bad crc of segment {index}: calculated {calculated:#010x}, expected {expected:#010x}")]
    BadSegmentCrc { index: usize, calculated: u32, expected: u32 },
    #[error("bad late_status {0:#04x}")]
    BadLateStatus(u8),
    #[error("bad auth tag")]
    BadAuthTag,
    #[error("a frame has 1 to 4 segments of at most 4 GiB each")]
    BadSegments,
    #[error("secure mode must start between frames")]
    MidFrame,
    #[error("unknown frame tag {0:?}")]
    UnknownTag(Tag),
    #[error("{tag:?} frame with {count} segments")]
    UnexpectedSegments { tag: Tag, count: usize },
    #[error("{tag:?} frame payload: {error}")]
    BadPayload { tag: Tag, error: DecodeError },
}

impl FrameError {
    /// A connection fails on any of these; callers that surface it as an
    /// errno report a malformed message.
    pub fn errno(&self) -> Errno {
        Errno::EBADMSG
    }
}

/// One segment: its bytes and the alignment the sender asks the receiver
/// to place them at (a hint for zero-copy buffers; carried, not enforced).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub data: Bytes,
    pub align: u16,
}

impl Segment {
    pub fn new(data: impl Into<Bytes>, align: u16) -> Self {
        Segment { data: data.into(), align }
    }
}

/// A frame before assembly or after disassembly: a tag and one to four
/// segments (control frames use one; MESSAGE header, front, middle, data).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    tag: Tag,
    segments: Vec<Segment>,
}

impl Frame {
    /// A frame of 1 to [`MAX_NUM_SEGMENTS`] segments of at most 4 GiB.
    pub fn new(tag: Tag, segments: Vec<Segment>) -> Result<Self, FrameError> {
        let sizes_ok = segments.iter().all(|s| u32::try_from(s.data.len()).is_ok());
        if segments.is_empty() || segments.len() > MAX_NUM_SEGMENTS || !sizes_ok {
            return Err(FrameError::BadSegments);
        }
        Ok(Frame { tag, segments })
    }

    /// A control frame: one segment at the default alignment.
    pub fn control(tag: Tag, payload: impl Into<Bytes>) -> Result<Self, FrameError> {
        Frame::new(tag, alloc::vec![Segment::new(payload, DEFAULT_ALIGNMENT)])
    }

    pub fn tag(&self) -> Tag {
        self.tag
    }

    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Segment `index`'s bytes; a segment the frame does not carry is empty,
    /// as MessageFrame::Decode treats it.
    pub fn segment(&self, index: usize) -> &[u8] {
        self.segments.get(index).map_or(&[], |s| &s.data[..])
    }

    pub fn into_segments(self) -> Vec<Segment> {
        self.segments
    }

    /// Trailing empty segments are not sent (calc_num_segments); one always is.
    fn num_segments(&self) -> usize {
        self.segments.iter().rposition(|s| !s.data.is_empty()).map_or(1, |last| last + 1)
    }
}

/// One segment's entry in the preamble.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SegmentDesc {
    pub len: u32,
    pub align: u16,
}

/// `preamble_block_t`: tag, segment count, four `{le32 length, le16
/// alignment}`, two reserved bytes and a crc32c (seed 0) of the 28 before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Preamble {
    pub tag: Tag,
    pub num_segments: u8,
    pub segments: [SegmentDesc; MAX_NUM_SEGMENTS],
}

impl Preamble {
    fn for_frame(frame: &Frame) -> Self {
        let num = frame.num_segments();
        let mut segments = [SegmentDesc::default(); MAX_NUM_SEGMENTS];
        for (desc, seg) in segments.iter_mut().zip(&frame.segments[..num]) {
            // Frame::new bounded every length by u32.
            *desc = SegmentDesc { len: seg.data.len() as u32, align: seg.align };
        }
        Preamble { tag: frame.tag, num_segments: num as u8, segments }
    }

    /// The segments actually present.
    pub fn present(&self) -> &[SegmentDesc] {
        &self.segments[..usize::from(self.num_segments).min(MAX_NUM_SEGMENTS)]
    }

    /// FrameAssembler::fill_preamble.
    pub fn encode(&self) -> [u8; PREAMBLE_LEN] {
        let mut out = [0u8; PREAMBLE_LEN];
        out[0] = self.tag.0;
        out[1] = self.num_segments;
        for (i, desc) in self.segments.iter().enumerate() {
            let at = 2 + i * 6;
            out[at..at + 4].copy_from_slice(&desc.len.to_le_bytes());
            out[at + 4..at + 6].copy_from_slice(&desc.align.to_le_bytes());
        }
        let crc = ceph_crc32c(0, &out[..PREAMBLE_LEN - CRC_LEN]);
        out[PREAMBLE_LEN - CRC_LEN..].copy_from_slice(&crc.to_le_bytes());
        out
    }

    /// FrameAssembler::disassemble_preamble: crc first, then the count and
    /// the rule that a multi-segment frame does not end in an empty one.
    pub fn decode(bytes: &[u8; PREAMBLE_LEN]) -> Result<Self, FrameError> {
        let calculated = ceph_crc32c(0, &bytes[..PREAMBLE_LEN - CRC_LEN]);
        let expected = le32(&bytes[PREAMBLE_LEN - CRC_LEN..]);
        if calculated != expected {
            return Err(FrameError::BadPreambleCrc { calculated, expected });
        }
        let num_segments = bytes[1];
        if num_segments == 0 || usize::from(num_segments) > MAX_NUM_SEGMENTS {
            return Err(FrameError::BadSegmentCount(num_segments));
        }
        let mut segments = [SegmentDesc::default(); MAX_NUM_SEGMENTS];
        for (i, desc) in segments.iter_mut().enumerate() {
            let at = 2 + i * 6;
            *desc = SegmentDesc { len: le32(&bytes[at..at + 4]), align: le16(&bytes[at + 4..at + 6]) };
        }
        let preamble = Preamble { tag: Tag(bytes[0]), num_segments, segments };
        if num_segments > 1 && preamble.present().last().is_some_and(|d| d.len == 0) {
            return Err(FrameError::LastSegmentEmpty);
        }
        Ok(preamble)
    }
}

fn le32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

fn le16(b: &[u8]) -> u16 {
    u16::from_le_bytes([b[0], b[1]])
}

fn padded(len: usize) -> usize {
    len.div_ceil(BLOCK_LEN) * BLOCK_LEN
}

/// crc32c of a segment as the frames carry it (`bufferlist::crc32c(-1)`).
fn segment_crc(data: &[u8]) -> u32 {
    ceph_crc32c(!0, data)
}

/// Turns frames into bytes for the wire. Starts in crc mode; after AUTH_DONE
/// selects secure mode, [`FrameAssembler::set_secure`] switches it.
#[derive(Debug, Default)]
pub struct FrameAssembler {
    tx: Option<SecureTx>,
}

impl FrameAssembler {
    pub fn new() -> Self {
        FrameAssembler::default()
    }

    pub fn set_secure(&mut self, tx: SecureTx) {
        self.tx = Some(tx);
    }

    pub fn is_secure(&self) -> bool {
        self.tx.is_some()
    }

    /// The frame's on-wire bytes (FrameAssembler::assemble_frame, rev1).
    pub fn assemble(&mut self, frame: &Frame) -> Vec<u8> {
        let preamble = Preamble::for_frame(frame);
        let segments = &frame.segments[..usize::from(preamble.num_segments)];
        match &mut self.tx {
            None => assemble_crc(&preamble, segments),
            Some(tx) => assemble_secure(tx, &preamble, segments),
        }
    }
}

/// asm_crc_rev1.
fn assemble_crc(preamble: &Preamble, segments: &[Segment]) -> Vec<u8> {
    let body: usize = segments.iter().map(|s| s.data.len()).sum();
    let mut out = Vec::with_capacity(PREAMBLE_LEN + CRC_LEN + body + EPILOGUE_CRC_LEN);
    out.extend_from_slice(&preamble.encode());
    let first = &segments[0].data;
    if !first.is_empty() {
        out.extend_from_slice(first);
        out.extend_from_slice(&segment_crc(first).to_le_bytes());
    }
    if segments.len() == 1 {
        return out;
    }
    let mut epilogue = [0u8; EPILOGUE_CRC_LEN];
    epilogue[0] = late_status::COMPLETE;
    for (i, seg) in segments.iter().enumerate().skip(1) {
        out.extend_from_slice(&seg.data);
        let at = 1 + (i - 1) * CRC_LEN;
        epilogue[at..at + CRC_LEN].copy_from_slice(&segment_crc(&seg.data).to_le_bytes());
    }
    out.extend_from_slice(&epilogue);
    out
}

/// asm_secure_rev1.
fn assemble_secure(tx: &mut SecureTx, preamble: &Preamble, segments: &[Segment]) -> Vec<u8> {
    let first = &segments[0].data;
    let inline = first.len().min(PREAMBLE_INLINE_LEN);
    let mut out = Vec::with_capacity(SECURE_HEAD_LEN + segments.iter().map(|s| padded(s.data.len())).sum::<usize>());
    out.extend_from_slice(&preamble.encode());
    out.extend_from_slice(&first[..inline]);
    out.resize(PREAMBLE_LEN + PREAMBLE_INLINE_LEN, 0);
    let tag = tx.seal(&mut out);
    out.extend_from_slice(&tag);

    if first.len() > PREAMBLE_INLINE_LEN {
        let start = out.len();
        out.extend_from_slice(&first[PREAMBLE_INLINE_LEN..]);
        out.resize(start + padded(first.len()) - PREAMBLE_INLINE_LEN, 0);
        let tag = tx.seal(&mut out[start..]);
        out.extend_from_slice(&tag);
    }
    if segments.len() == 1 {
        return out;
    }
    let start = out.len();
    for seg in &segments[1..] {
        out.extend_from_slice(&seg.data);
        out.resize(out.len() + padded(seg.data.len()) - seg.data.len(), 0);
    }
    out.push(late_status::COMPLETE);
    out.resize(out.len() + BLOCK_LEN - 1, 0);
    let tag = tx.seal(&mut out[start..]);
    out.extend_from_slice(&tag);
    out
}

/// Where the decoder is within the current frame.
#[derive(Clone, Debug)]
enum RxState {
    /// Waiting for the preamble (crc) or the whole secure head.
    Head,
    /// Head checked; waiting for the rest. `inline` holds the decrypted
    /// inline buffer in secure mode.
    Rest { preamble: Preamble, inline: [u8; PREAMBLE_INLINE_LEN] },
}

/// Turns received bytes into frames. Push bytes as they arrive, then poll
/// until it returns `Ok(None)`. It never panics on input, allocates only
/// for bytes actually pushed, refuses segments over its limit as soon as the
/// preamble announces them, and stays failed after the first error, since a
/// msgr2 stream cannot resynchronise.
#[derive(Debug)]
pub struct FrameDecoder {
    buf: BytesMut,
    state: RxState,
    rx: Option<SecureRx>,
    max_segment_len: u32,
    failed: Option<FrameError>,
    aborted_frames: u64,
    recording: Option<Vec<u8>>,
}

impl Default for FrameDecoder {
    fn default() -> Self {
        FrameDecoder::new()
    }
}

impl FrameDecoder {
    /// A crc-mode decoder with the default segment limit.
    pub fn new() -> Self {
        FrameDecoder {
            buf: BytesMut::new(),
            state: RxState::Head,
            rx: None,
            max_segment_len: DEFAULT_MAX_SEGMENT_LEN,
            failed: None,
            aborted_frames: 0,
            recording: None,
        }
    }

    /// Sets the largest segment accepted, capped at [`MAX_SEGMENT_LEN_LIMIT`].
    pub fn with_max_segment_len(mut self, max: u32) -> Self {
        self.max_segment_len = max.min(MAX_SEGMENT_LEN_LIMIT);
        self
    }

    /// Switches to secure mode for the frames after the current one. Call it
    /// right after polling AUTH_DONE; bytes already pushed are then read as
    /// secure frames.
    pub fn set_secure(&mut self, rx: SecureRx) -> Result<(), FrameError> {
        if !matches!(self.state, RxState::Head) {
            return Err(FrameError::MidFrame);
        }
        self.rx = Some(rx);
        Ok(())
    }

    pub fn is_secure(&self) -> bool {
        self.rx.is_some()
    }

    pub fn push(&mut self, data: &[u8]) {
        if self.failed.is_none() {
            self.buf.extend_from_slice(data);
        }
    }

    /// Bytes pushed but not yet consumed by a frame.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// How many more bytes the next step needs (0 when a poll can progress
    /// or the decoder has failed): a driver can read exactly that much.
    pub fn needed(&self) -> usize {
        if self.failed.is_some() {
            return 0;
        }
        let want = match &self.state {
            RxState::Head => self.head_len(),
            RxState::Rest { preamble, .. } => self.rest_len(preamble),
        };
        want.saturating_sub(self.buf.len())
    }

    /// Frames the sender aborted (late_status ABORTED) and this dropped.
    pub fn aborted_frames(&self) -> u64 {
        self.aborted_frames
    }

    /// Starts keeping a copy of every on-wire byte consumed from now on:
    /// the pre-auth record an AUTH_SIGNATURE is computed over.
    pub fn start_recording(&mut self) {
        self.recording = Some(Vec::new());
    }

    /// Stops recording and returns what was recorded.
    pub fn take_recording(&mut self) -> Vec<u8> {
        self.recording.take().unwrap_or_default()
    }

    /// The next complete frame, `Ok(None)` if more bytes are needed.
    pub fn poll(&mut self) -> Result<Option<Frame>, FrameError> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        let result = self.poll_inner();
        if let Err(error) = &result {
            self.failed = Some(error.clone());
            self.buf = BytesMut::new();
        }
        result
    }

    fn head_len(&self) -> usize {
        if self.rx.is_some() {
            SECURE_HEAD_LEN
        } else {
            PREAMBLE_LEN
        }
    }

    /// What follows the head, from the preamble's lengths (all already
    /// checked against the limit, so the sums cannot overflow).
    fn rest_len(&self, preamble: &Preamble) -> usize {
        let segs = preamble.present();
        let first = segs[0].len as usize;
        let others = &segs[1..];
        if self.rx.is_some() {
            let first_rest = match padded(first) {
                p if p > PREAMBLE_INLINE_LEN => p - PREAMBLE_INLINE_LEN + TAG_LEN,
                _ => 0,
            };
            let tail = match others.is_empty() {
                true => 0,
                false => others.iter().map(|d| padded(d.len as usize)).sum::<usize>() + EPILOGUE_SECURE_LEN,
            };
            first_rest + tail
        } else {
            let first_rest = if first > 0 { first + CRC_LEN } else { 0 };
            let tail = match others.is_empty() {
                true => 0,
                false => others.iter().map(|d| d.len as usize).sum::<usize>() + EPILOGUE_CRC_LEN,
            };
            first_rest + tail
        }
    }

    fn take(&mut self, len: usize) -> BytesMut {
        let bytes = self.buf.split_to(len);
        if let Some(record) = &mut self.recording {
            record.extend_from_slice(&bytes);
        }
        bytes
    }

    fn poll_inner(&mut self) -> Result<Option<Frame>, FrameError> {
        loop {
            match self.state.clone() {
                RxState::Head => {
                    let head_len = self.head_len();
                    if self.buf.len() < head_len {
                        return Ok(None);
                    }
                    let mut head = self.take(head_len);
                    if let Some(rx) = &mut self.rx {
                        let (sealed, tag) = head.split_at_mut(head_len - TAG_LEN);
                        let tag: &[u8; TAG_LEN] = (&*tag).try_into().map_err(|_| FrameError::BadAuthTag)?;
                        rx.open(sealed, tag).map_err(|_| FrameError::BadAuthTag)?;
                    }
                    let mut preamble_bytes = [0u8; PREAMBLE_LEN];
                    preamble_bytes.copy_from_slice(&head[..PREAMBLE_LEN]);
                    let preamble = Preamble::decode(&preamble_bytes)?;
                    for (index, desc) in preamble.present().iter().enumerate() {
                        if desc.len > self.max_segment_len {
                            return Err(FrameError::SegmentTooLong { index, len: desc.len, max: self.max_segment_len });
                        }
                    }
                    let mut inline = [0u8; PREAMBLE_INLINE_LEN];
                    if self.rx.is_some() {
                        inline.copy_from_slice(&head[PREAMBLE_LEN..PREAMBLE_LEN + PREAMBLE_INLINE_LEN]);
                    }
                    self.state = RxState::Rest { preamble, inline };
                }
                RxState::Rest { preamble, inline } => {
                    let rest_len = self.rest_len(&preamble);
                    if self.buf.len() < rest_len {
                        return Ok(None);
                    }
                    let rest = self.take(rest_len);
                    self.state = RxState::Head;
                    let frame = match &mut self.rx {
                        None => disassemble_crc(&preamble, rest)?,
                        Some(rx) => disassemble_secure(rx, &preamble, &inline, rest)?,
                    };
                    match frame {
                        Some(frame) => return Ok(Some(frame)),
                        None => self.aborted_frames += 1,
                    }
                }
            }
        }
    }
}

/// check_epilogue_late_status: `Ok(true)` to dispatch, `Ok(false)` to drop.
fn check_late_status(status: u8) -> Result<bool, FrameError> {
    match status & late_status::ABORTED_MASK {
        late_status::COMPLETE => Ok(true),
        late_status::ABORTED => Ok(false),
        _ => Err(FrameError::BadLateStatus(status)),
    }
}

fn check_crc(index: usize, data: &[u8], expected: u32) -> Result<(), FrameError> {
    let calculated = segment_crc(data);
    if calculated != expected {
        return Err(FrameError::BadSegmentCrc { index, calculated, expected });
    }
    Ok(())
}

/// disasm_first_crc_rev1 and disasm_remaining_crc_rev1. `None`: aborted.
fn disassemble_crc(preamble: &Preamble, mut rest: BytesMut) -> Result<Option<Frame>, FrameError> {
    let descs = preamble.present();
    let mut segments = Vec::with_capacity(descs.len());
    let first_len = descs[0].len as usize;
    let first = rest.split_to(first_len).freeze();
    if first_len > 0 {
        let expected = rest.get_u32_le();
        check_crc(0, &first, expected)?;
    }
    segments.push(Segment { data: first, align: descs[0].align });
    if descs.len() == 1 {
        return Ok(Some(Frame { tag: preamble.tag, segments }));
    }
    for desc in &descs[1..] {
        segments.push(Segment { data: rest.split_to(desc.len as usize).freeze(), align: desc.align });
    }
    let status = rest.get_u8();
    for index in 1..MAX_NUM_SEGMENTS {
        let expected = rest.get_u32_le();
        match segments.get(index) {
            Some(seg) => check_crc(index, &seg.data, expected)?,
            // Both upstream senders zero the slots of absent segments; the
            // kernel insists on it, and so does this, to catch bit flips.
            None if expected != 0 => return Err(FrameError::BadSegmentCrc { index, calculated: 0, expected }),
            None => {}
        }
    }
    Ok(check_late_status(status)?.then_some(Frame { tag: preamble.tag, segments }))
}

/// disasm_first_secure_rev1 and disasm_remaining_secure_rev1.
fn disassemble_secure(
    rx: &mut SecureRx,
    preamble: &Preamble,
    inline: &[u8; PREAMBLE_INLINE_LEN],
    mut rest: BytesMut,
) -> Result<Option<Frame>, FrameError> {
    let descs = preamble.present();
    let first_len = descs[0].len as usize;
    let first = if padded(first_len) > PREAMBLE_INLINE_LEN {
        let mut sealed = rest.split_to(padded(first_len) - PREAMBLE_INLINE_LEN + TAG_LEN);
        open(rx, &mut sealed)?;
        let mut first = BytesMut::with_capacity(first_len);
        first.put_slice(inline);
        first.put_slice(&sealed[..first_len - PREAMBLE_INLINE_LEN]);
        first.freeze()
    } else {
        Bytes::copy_from_slice(&inline[..first_len])
    };
    let mut segments = Vec::with_capacity(descs.len());
    segments.push(Segment { data: first, align: descs[0].align });
    if descs.len() == 1 {
        return Ok(Some(Frame { tag: preamble.tag, segments }));
    }
    open(rx, &mut rest)?;
    for desc in &descs[1..] {
        let mut data = rest.split_to(padded(desc.len as usize));
        data.truncate(desc.len as usize);
        segments.push(Segment { data: data.freeze(), align: desc.align });
    }
    Ok(check_late_status(rest[0])?.then_some(Frame { tag: preamble.tag, segments }))
}

/// Checks and decrypts `sealed` (ciphertext then tag); leaves the plaintext.
fn open(rx: &mut SecureRx, sealed: &mut BytesMut) -> Result<(), FrameError> {
    let tag_at = sealed.len().checked_sub(TAG_LEN).ok_or(FrameError::BadAuthTag)?;
    let (text, tag) = sealed.split_at_mut(tag_at);
    let tag: &[u8; TAG_LEN] = (&*tag).try_into().map_err(|_| FrameError::BadAuthTag)?;
    rx.open(text, tag).map_err(|_| FrameError::BadAuthTag)?;
    sealed.truncate(tag_at);
    Ok(())
}
