//! What msgr2 frames carry: the `*Frame` payloads of frames_v2.h. A control
//! frame is one segment holding its fields in Ceph's encoding (with the
//! MSG_ADDR2 and SERVER_NAUTILUS features that msgr2 assumes for frames); a
//! MESSAGE frame is a `ceph_msg_header2` and the message's front, middle and
//! data segments.
//!
//! Every payload encodes and decodes, so tests and fakes can play either
//! end; a client sends HELLO, AUTH_REQUEST(_MORE), AUTH_SIGNATURE,
//! CLIENT_IDENT, SESSION_RECONNECT, KEEPALIVE2, ACK and MESSAGE. Unlike
//! upstream, decoding refuses trailing bytes and extra segments.

use alloc::vec::Vec;

use bytes::Bytes;

use super::frames::{Frame, FrameError, Segment, Tag, DEFAULT_ALIGNMENT, MAX_NUM_SEGMENTS, PAGE_SIZE_ALIGNMENT};
use super::types::{ConMode, EntityAddr, EntityAddrvec, EntityType, MsgHeader2};
use crate::encoding::{decode_exact, encode_to_vec, Decode, DecodeError, Decoder, Encode, UtcTime};

/// One byte on the wire: every type Ceph defines fits.
impl Encode for EntityType {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.0 as u8);
    }
}

impl Decode for EntityType {
    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        d.u8().map(|t| EntityType(u32::from(t)))
    }
}

impl Encode for ConMode {
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
    }
}

impl Decode for ConMode {
    const MIN_LEN: usize = 4;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        d.u32().map(ConMode)
    }
}

macro_rules! control_frames {
    ($(
        $(#[$doc:meta])*
        $variant:ident($name:ident) = $tag:ident { $($(#[$fdoc:meta])* $field:ident: $ty:ty,)* }
    )*) => {
        $(
            $(#[$doc])*
            #[derive(Clone, Debug, PartialEq, Eq)]
            pub struct $name {
                $($(#[$fdoc])* pub $field: $ty,)*
            }

            impl $name {
                pub const TAG: Tag = Tag::$tag;
            }

            impl Encode for $name {
                #[allow(unused_variables)]
                fn encode(&self, out: &mut Vec<u8>) {
                    $(self.$field.encode(out);)*
                }
            }

            impl Decode for $name {
                #[allow(unused_variables)]
                fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
                    Ok($name { $($field: d.decode()?,)* })
                }
            }

            impl From<$name> for FramePayload {
                fn from(frame: $name) -> Self {
                    FramePayload::$variant(frame)
                }
            }
        )*

        /// Any frame's payload, by tag.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum FramePayload {
            $($variant($name),)*
            Message(MessageFrame),
        }

        impl FramePayload {
            pub fn tag(&self) -> Tag {
                match self {
                    $(FramePayload::$variant(_) => Tag::$tag,)*
                    FramePayload::Message(_) => Tag::MESSAGE,
                }
            }

            /// The frame to hand to a [`super::FrameAssembler`].
            pub fn to_frame(&self) -> Result<Frame, FrameError> {
                match self {
                    $(FramePayload::$variant(p) => Frame::control(Tag::$tag, encode_to_vec(p)),)*
                    FramePayload::Message(m) => m.to_frame(),
                }
            }

            /// Reads a decoded frame's payload according to its tag.
            pub fn from_frame(frame: &Frame) -> Result<Self, FrameError> {
                let tag = frame.tag();
                if tag == Tag::MESSAGE {
                    return MessageFrame::from_frame(frame).map(FramePayload::Message);
                }
                let count = frame.segments().len();
                if count != 1 {
                    return match tag.name() {
                        Some(_) => Err(FrameError::UnexpectedSegments { tag, count }),
                        None => Err(FrameError::UnknownTag(tag)),
                    };
                }
                let payload = frame.segment(0);
                let bad = |error| FrameError::BadPayload { tag, error };
                match tag {
                    $(Tag::$tag => decode_exact(payload).map(FramePayload::$variant).map_err(bad),)*
                    _ => Err(FrameError::UnknownTag(tag)),
                }
            }
        }
    };
}

control_frames! {
    /// Sent by both ends right after the banners.
    Hello(HelloFrame) = HELLO {
        entity_type: EntityType,
        /// The address the sender sees the receiver at.
        peer_addr: EntityAddr,
    }
    /// The client's first auth message.
    AuthRequest(AuthRequestFrame) = AUTH_REQUEST {
        /// `CEPH_AUTH_*` (1 none, 2 cephx).
        method: u32,
        /// `CEPH_CON_MODE_*` values in order of preference.
        preferred_modes: Vec<u32>,
        auth_payload: Bytes,
    }
    /// The server refuses the method or modes and lists what it allows.
    AuthBadMethod(AuthBadMethodFrame) = AUTH_BAD_METHOD {
        method: u32,
        /// A negative errno.
        result: i32,
        allowed_methods: Vec<u32>,
        allowed_modes: Vec<u32>,
    }
    AuthReplyMore(AuthReplyMoreFrame) = AUTH_REPLY_MORE {
        auth_payload: Bytes,
    }
    AuthRequestMore(AuthRequestMoreFrame) = AUTH_REQUEST_MORE {
        auth_payload: Bytes,
    }
    /// Auth succeeded; frames after this one use `con_mode`.
    AuthDone(AuthDoneFrame) = AUTH_DONE {
        global_id: u64,
        con_mode: ConMode,
        auth_payload: Bytes,
    }
    /// HMAC-SHA256 over the bytes the other end sent before auth finished.
    AuthSignature(AuthSignatureFrame) = AUTH_SIGNATURE {
        /// `sha256_digest_t`: 32 bytes, no length prefix.
        signature: [u8; 32],
    }
    ClientIdent(ClientIdentFrame) = CLIENT_IDENT {
        addrs: EntityAddrvec,
        target_addr: EntityAddr,
        gid: i64,
        global_seq: u64,
        supported_features: u64,
        required_features: u64,
        flags: u64,
        cookie: u64,
    }
    ServerIdent(ServerIdentFrame) = SERVER_IDENT {
        addrs: EntityAddrvec,
        gid: i64,
        global_seq: u64,
        supported_features: u64,
        required_features: u64,
        flags: u64,
        cookie: u64,
    }
    /// The server lacks features the client requires.
    IdentMissingFeatures(IdentMissingFeaturesFrame) = IDENT_MISSING_FEATURES {
        features: u64,
    }
    SessionReconnect(ReconnectFrame) = SESSION_RECONNECT {
        addrs: EntityAddrvec,
        client_cookie: u64,
        server_cookie: u64,
        global_seq: u64,
        connect_seq: u64,
        msg_seq: u64,
    }
    SessionReset(ResetFrame) = SESSION_RESET {
        full: bool,
    }
    SessionRetry(RetryFrame) = SESSION_RETRY {
        connect_seq: u64,
    }
    SessionRetryGlobal(RetryGlobalFrame) = SESSION_RETRY_GLOBAL {
        global_seq: u64,
    }
    SessionReconnectOk(ReconnectOkFrame) = SESSION_RECONNECT_OK {
        msg_seq: u64,
    }
    /// An empty payload: back off, the other end is connecting to us.
    Wait(WaitFrame) = WAIT {}
    Keepalive2(KeepAliveFrame) = KEEPALIVE2 {
        timestamp: UtcTime,
    }
    Keepalive2Ack(KeepAliveFrameAck) = KEEPALIVE2_ACK {
        timestamp: UtcTime,
    }
    Ack(AckFrame) = ACK {
        seq: u64,
    }
}

/// A MESSAGE frame: header, then front, middle and data (either may be
/// empty). Segment lengths travel in the preamble, not the header.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MessageFrame {
    pub header: MsgHeader2,
    pub front: Bytes,
    pub middle: Bytes,
    pub data: Bytes,
}

impl MessageFrame {
    pub const TAG: Tag = Tag::MESSAGE;

    /// MessageFrame::Encode; the assembler drops trailing empty segments.
    pub fn to_frame(&self) -> Result<Frame, FrameError> {
        Frame::new(
            Tag::MESSAGE,
            alloc::vec![
                Segment::new(encode_to_vec(&self.header), DEFAULT_ALIGNMENT),
                Segment::new(self.front.clone(), DEFAULT_ALIGNMENT),
                Segment::new(self.middle.clone(), DEFAULT_ALIGNMENT),
                Segment::new(self.data.clone(), PAGE_SIZE_ALIGNMENT),
            ],
        )
    }

    /// MessageFrame::Decode: missing segments are empty.
    pub fn from_frame(frame: &Frame) -> Result<Self, FrameError> {
        let tag = frame.tag();
        if tag != Tag::MESSAGE {
            return Err(FrameError::UnknownTag(tag));
        }
        let count = frame.segments().len();
        if count == 0 || count > MAX_NUM_SEGMENTS {
            return Err(FrameError::UnexpectedSegments { tag, count });
        }
        let header = decode_exact(frame.segment(0)).map_err(|error| FrameError::BadPayload { tag, error })?;
        let segment = |i: usize| frame.segments().get(i).map_or_else(Bytes::new, |s| s.data.clone());
        Ok(MessageFrame { header, front: segment(1), middle: segment(2), data: segment(3) })
    }
}

impl From<MessageFrame> for FramePayload {
    fn from(frame: MessageFrame) -> Self {
        FramePayload::Message(frame)
    }
}
