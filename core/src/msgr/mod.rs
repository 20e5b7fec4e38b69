//! The messenger v2 wire protocol (msgr2.1), sans IO: the banner, frames in
//! crc and secure mode, and the frame payloads (src/msg/async/ProtocolV2.cc,
//! frames_v2, crypto_onwire; the kernel's net/ceph/messenger_v2.c).
//!
//! - [`banner`]: the `"ceph v2\n"` banner and msgr2 feature negotiation.
//! - [`frames`]: [`Tag`], [`Frame`], [`FrameAssembler`] (frames to bytes)
//!   and [`FrameDecoder`] (bytes to frames, for untrusted input).
//! - [`secure`]: AES-128-GCM per direction, keyed by the auth layer.
//! - [`payload`]: the control frames and MESSAGE as typed values.
//! - [`types`]: entity types, addresses and `ceph_msg_header2`.
//!
//! - [`connection`]: one client connection's state machine (who sends
//!   what when), lossy like librados'.
//! - [`features`]: Ceph's feature bits and what a client advertises.

pub mod banner;
pub mod connection;
pub mod features;
pub mod frames;
pub mod payload;
pub mod secure;
pub mod types;

pub use banner::{Banner, BannerError};
pub use connection::{ConnAuth, ConnEvent, Connection, ConnectionConfig, Message};
pub use frames::{Frame, FrameAssembler, FrameDecoder, FrameError, Preamble, Segment, Tag};
pub use payload::{FramePayload, HelloFrame, MessageFrame};
pub use secure::{SecureRx, SecureTx};
pub use types::{AddrType, ConMode, EntityAddr, EntityAddrvec, EntityType, MsgHeader2, Sockaddr};

#[cfg(test)]
mod tests;
