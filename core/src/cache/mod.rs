//! librbd's client-side cache.

mod config;

pub use config::{CacheConfig, CachePolicy, ConfigError, QemuCacheMode};
