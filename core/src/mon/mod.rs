//! The client's monitor session, sans IO (librados' MonClient):
//!
//! - [`addrs`]: `mon_host` parsing.
//! - [`monmap`]: the monitor map, as far as a client reads it.
//! - [`messages`]: the monitor messages (subscribe, maps, versions, pool
//!   ops, MAuth) as message fronts.
//! - [`pool_stats`]: MGetPoolStats and the `pool_stat_t` librados reads.
//! - [`tell`]: one-shot connections to one monitor (commands, MPing).
//! - [`client`]: [`MonClient`], which hunts for a monitor over
//!   [`crate::msgr::Connection`]s, keeps the session, subscribes to maps
//!   and answers requests. OSDMaps are handed up undecoded.

pub mod addrs;
pub mod client;
pub mod messages;
pub mod monmap;
pub mod pool_stats;
pub mod tell;

pub use addrs::{msgr2_addrs, parse_mon_host, MonTarget, MON_PORT_V1, MON_PORT_V2};
pub use client::{ConnId, MonAction, MonClient, MonClientConfig, MonEvent, OsdMaps};
pub use monmap::{MonInfo, MonMap};

#[cfg(test)]
mod tests;
