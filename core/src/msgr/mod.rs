//! The messenger v2 wire protocol (msgr2.1), sans IO (src/msg/async/
//! ProtocolV2.cc; the kernel's net/ceph/messenger_v2.c).
//!
//! - [`banner`]: the `"ceph v2\n"` banner and msgr2 feature negotiation.
//! - [`types`]: entity types, addresses and `ceph_msg_header2`.

pub mod banner;
pub mod types;

pub use banner::{Banner, BannerError};
pub use types::{AddrType, ConMode, EntityAddr, EntityAddrvec, EntityType, MsgHeader2, Sockaddr};
