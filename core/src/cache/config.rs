//! The cache's options, spelled and defaulted as librbd's
//! (`src/common/options/rbd.yaml.in`), parsed from the strings a Ceph
//! configuration carries.

use alloc::string::{String, ToString};
use core::str::FromStr;
use core::time::Duration;

use crate::Errno;

const MIB: u64 = 1 << 20;

/// How writes are handled (`rbd_cache_policy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CachePolicy {
    /// Writes are acknowledged once cached and written back later
    /// (librbd's ObjectCacher with `max_dirty > 0`).
    WriteBack,
    /// Writes are acknowledged once the backend has them; reads are cached
    /// (ObjectCacher with `max_dirty = 0`).
    WriteThrough,
    /// librbd's default since Octopus (WriteAroundObjectDispatch): nothing
    /// is cached for reading; writes are acknowledged as soon as they are
    /// sent, while at most `rbd_cache_max_dirty` bytes are in flight.
    WriteAround,
}

impl CachePolicy {
    pub const fn as_str(self) -> &'static str {
        match self {
            CachePolicy::WriteBack => "writeback",
            CachePolicy::WriteThrough => "writethrough",
            CachePolicy::WriteAround => "writearound",
        }
    }
}

impl FromStr for CachePolicy {
    type Err = ();

    /// Exact values only, as Ceph checks an enum option.
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "writeback" => Ok(CachePolicy::WriteBack),
            "writethrough" => Ok(CachePolicy::WriteThrough),
            "writearound" => Ok(CachePolicy::WriteAround),
            _ => Err(()),
        }
    }
}

/// Why a configuration was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("{key}: invalid value {value:?}")]
    InvalidValue { key: &'static str, value: String },
    #[error("rbd_cache_max_dirty ({max_dirty}) exceeds rbd_cache_size ({size})")]
    MaxDirtyExceedsSize { max_dirty: u64, size: u64 },
    #[error("rbd_cache_target_dirty ({target_dirty}) exceeds rbd_cache_max_dirty ({max_dirty})")]
    TargetDirtyExceedsMaxDirty { target_dirty: u64, max_dirty: u64 },
}

impl ConfigError {
    /// Ceph refuses a bad option value with EINVAL.
    pub const fn errno(&self) -> Errno {
        Errno::EINVAL
    }
}

/// librbd's cache options. [`Default`] gives librbd's defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct CacheConfig {
    /// `rbd_cache` (true). Off: every IO passes straight through (still
    /// ordered: overlapping writes never race in the backend).
    pub enabled: bool,
    /// `rbd_cache_policy` (writearound).
    pub policy: CachePolicy,
    /// `rbd_cache_size` (32 MiB): bytes the cache may hold.
    pub size: u64,
    /// `rbd_cache_max_dirty` (24 MiB): acknowledged bytes not yet in the
    /// backend; 0 makes writeback behave as writethrough.
    pub max_dirty: u64,
    /// `rbd_cache_target_dirty` (16 MiB): dirty bytes above which
    /// writeback starts without waiting for age.
    pub target_dirty: u64,
    /// `rbd_cache_max_dirty_age` (1 s): how long data may stay dirty.
    pub max_dirty_age: Duration,
    /// `rbd_cache_writethrough_until_flush` (true): write through until the
    /// first flush proves the user sends flushes.
    pub writethrough_until_flush: bool,
    /// `rbd_cache_block_writes_upfront` (false): see
    /// [`super::ImageCache::blocks_submitter`].
    pub block_writes_upfront: bool,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            enabled: true,
            policy: CachePolicy::WriteAround,
            size: 32 * MIB,
            max_dirty: 24 * MIB,
            target_dirty: 16 * MIB,
            max_dirty_age: Duration::from_secs(1),
            writethrough_until_flush: true,
            block_writes_upfront: false,
        }
    }
}

/// QEMU's `cache=` modes for an rbd drive.
///
/// The mapping follows QEMU's `block/rbd.c` (`qemu_rbd_connect`: with
/// `BDRV_O_NOCACHE`, i.e. `cache.direct=on`, it sets `rbd_cache=false`,
/// otherwise `rbd_cache=true`) and Ceph's `doc/rbd/qemu-rbd.rst` ("QEMU
/// Cache Options": writeback is `rbd_cache = true`; writethrough is
/// `rbd_cache = true` with `rbd_cache_max_dirty = 0`; none is
/// `rbd_cache = false`). QEMU itself implements writethrough by flushing
/// after every write and `unsafe` by dropping flushes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QemuCacheMode {
    Writeback,
    Writethrough,
    None,
    DirectSync,
    Unsafe,
}

impl FromStr for QemuCacheMode {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "writeback" => Ok(QemuCacheMode::Writeback),
            "writethrough" => Ok(QemuCacheMode::Writethrough),
            "none" => Ok(QemuCacheMode::None),
            "directsync" => Ok(QemuCacheMode::DirectSync),
            "unsafe" => Ok(QemuCacheMode::Unsafe),
            _ => Err(()),
        }
    }
}

impl CacheConfig {
    /// Sets one option from its librbd name and string value. Returns
    /// whether `key` is a cache option at all (others are left to their
    /// owners). Call [`CacheConfig::validate`] once all are set.
    pub fn set(&mut self, key: &str, value: &str) -> Result<bool, ConfigError> {
        // Ceph accepts spaces and dashes for underscores in option names.
        let key: String = key.trim().chars().map(|c| if c == ' ' || c == '-' { '_' } else { c }).collect();
        let value = value.trim();
        match key.as_str() {
            "rbd_cache" => self.enabled = parse_bool("rbd_cache", value)?,
            "rbd_cache_policy" => {
                self.policy = value.parse().map_err(|()| invalid("rbd_cache_policy", value))?;
            }
            "rbd_cache_size" => self.size = parse_size("rbd_cache_size", value)?,
            "rbd_cache_max_dirty" => self.max_dirty = parse_size("rbd_cache_max_dirty", value)?,
            "rbd_cache_target_dirty" => self.target_dirty = parse_size("rbd_cache_target_dirty", value)?,
            "rbd_cache_max_dirty_age" => self.max_dirty_age = parse_seconds("rbd_cache_max_dirty_age", value)?,
            "rbd_cache_writethrough_until_flush" => {
                self.writethrough_until_flush = parse_bool("rbd_cache_writethrough_until_flush", value)?;
            }
            "rbd_cache_block_writes_upfront" => {
                self.block_writes_upfront = parse_bool("rbd_cache_block_writes_upfront", value)?;
            }
            // An ObjectCacher knob for its per-object bookkeeping; this cache
            // keeps no objects, so the value is only checked.
            "rbd_cache_max_dirty_object" => {
                parse_size("rbd_cache_max_dirty_object", value)?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The defaults overridden by `pairs` (options of other subsystems are
    /// ignored), validated.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self, ConfigError> {
        let mut config = CacheConfig::default();
        for (key, value) in pairs {
            config.set(key, value)?;
        }
        config.validate()?;
        Ok(config)
    }

    /// The constraints librbd documents for these options (rbd.yaml.in:
    /// max_dirty "must be less than rbd_cache_size", target_dirty "must be
    /// less than rbd_cache_max_dirty"); equality is allowed. ObjectCacher
    /// itself does not check them; a cache built from a config that fails
    /// here would misbehave, so [`super::ImageCache::new`] refuses it.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.max_dirty > self.size {
            return Err(ConfigError::MaxDirtyExceedsSize { max_dirty: self.max_dirty, size: self.size });
        }
        if self.target_dirty > self.max_dirty {
            return Err(ConfigError::TargetDirtyExceedsMaxDirty {
                target_dirty: self.target_dirty,
                max_dirty: self.max_dirty,
            });
        }
        Ok(())
    }

    /// Applies a QEMU drive cache mode over this configuration, as QEMU and
    /// the Ceph docs map them (see [`QemuCacheMode`]). QEMU's setting wins
    /// over the Ceph configuration.
    pub fn apply_qemu_cache_mode(&mut self, mode: QemuCacheMode) {
        match mode {
            QemuCacheMode::Writeback | QemuCacheMode::Unsafe => self.enabled = true,
            QemuCacheMode::Writethrough => {
                self.enabled = true;
                self.max_dirty = 0;
                // Keeps target <= max_dirty valid.
                self.target_dirty = 0;
            }
            QemuCacheMode::None | QemuCacheMode::DirectSync => self.enabled = false,
        }
    }
}

fn invalid(key: &'static str, value: &str) -> ConfigError {
    ConfigError::InvalidValue { key, value: value.to_string() }
}

/// Ceph's strict_strtob: "true"/"false" in any case, or an integer.
fn parse_bool(key: &'static str, value: &str) -> Result<bool, ConfigError> {
    if value.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if value.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        value.parse::<i64>().map(|n| n != 0).map_err(|_| invalid(key, value))
    }
}

/// Ceph's strict_iecstrtoll: digits, then an optional unit of K, M, G, T,
/// P or E (powers of 1024, optionally followed by `i` or `B`) or B.
fn parse_size(key: &'static str, value: &str) -> Result<u64, ConfigError> {
    let split = value.find(|c: char| !c.is_ascii_digit()).unwrap_or(value.len());
    let (digits, unit) = value.split_at(split);
    let number: u64 = digits.parse().map_err(|_| invalid(key, value))?;
    let shift = match unit.as_bytes() {
        [] | [b'B'] => 0,
        [prefix] | [prefix, b'i' | b'B'] => match prefix {
            b'K' => 10,
            b'M' => 20,
            b'G' => 30,
            b'T' => 40,
            b'P' => 50,
            b'E' => 60,
            _ => return Err(invalid(key, value)),
        },
        _ => return Err(invalid(key, value)),
    };
    if number > u64::MAX >> shift {
        return Err(invalid(key, value));
    }
    Ok(number << shift)
}

/// A float option in seconds; negative, infinite or NaN values are refused.
fn parse_seconds(key: &'static str, value: &str) -> Result<Duration, ConfigError> {
    let seconds: f64 = value.parse().map_err(|_| invalid(key, value))?;
    Duration::try_from_secs_f64(seconds).map_err(|_| invalid(key, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_librbds() {
        let c = CacheConfig::default();
        assert!(c.enabled && c.writethrough_until_flush && !c.block_writes_upfront);
        assert_eq!(c.policy, CachePolicy::WriteAround);
        assert_eq!((c.size, c.max_dirty, c.target_dirty), (32 * MIB, 24 * MIB, 16 * MIB));
        assert_eq!(c.max_dirty_age, Duration::from_secs(1));
        assert_eq!(c.validate(), Ok(()));
    }

    #[test]
    fn parses_ceph_spellings() {
        let c = CacheConfig::from_pairs([
            ("rbd cache", "TRUE"),
            ("rbd-cache-policy", "writeback"),
            ("rbd_cache_size", "64M"),
            ("rbd_cache_max_dirty", "48Mi"),
            ("rbd_cache_target_dirty", "1048576"),
            ("rbd_cache_max_dirty_age", "0.5"),
            ("rbd_cache_writethrough_until_flush", "0"),
            ("rbd_cache_block_writes_upfront", "1"),
            ("rbd_default_features", "61"),
        ])
        .unwrap();
        assert_eq!(c.policy, CachePolicy::WriteBack);
        assert_eq!((c.size, c.max_dirty, c.target_dirty), (64 * MIB, 48 * MIB, MIB));
        assert_eq!(c.max_dirty_age, Duration::from_millis(500));
        assert!(!c.writethrough_until_flush && c.block_writes_upfront);
    }

    #[test]
    fn refuses_bad_values_and_limits() {
        let mut c = CacheConfig::default();
        for (key, value) in [
            ("rbd_cache", "maybe"),
            ("rbd_cache_policy", "WriteBack"),
            ("rbd_cache_size", "12X"),
            ("rbd_cache_size", "-1"),
            ("rbd_cache_size", "99999999999999E"),
            ("rbd_cache_size", "1Bi"),
            ("rbd_cache_max_dirty_age", "-1"),
            ("rbd_cache_max_dirty_age", "NaN"),
        ] {
            assert!(matches!(c.set(key, value), Err(ConfigError::InvalidValue { .. })), "{key}={value}");
        }
        assert_eq!(c.set("rbd_readahead_max_bytes", "0"), Ok(false));
        assert_eq!(
            CacheConfig::from_pairs([("rbd_cache_max_dirty", "33M")]),
            Err(ConfigError::MaxDirtyExceedsSize { max_dirty: 33 * MIB, size: 32 * MIB })
        );
        let err = CacheConfig::from_pairs([("rbd_cache_target_dirty", "25M")]).unwrap_err();
        assert_eq!(err, ConfigError::TargetDirtyExceedsMaxDirty { target_dirty: 25 * MIB, max_dirty: 24 * MIB });
        assert_eq!(err.errno(), Errno::EINVAL);
    }

    #[test]
    fn qemu_modes() {
        let mut c = CacheConfig::default();
        c.apply_qemu_cache_mode("none".parse().unwrap());
        assert!(!c.enabled);
        c.apply_qemu_cache_mode(QemuCacheMode::Writethrough);
        assert!(c.enabled && c.max_dirty == 0 && c.validate().is_ok());
        c.apply_qemu_cache_mode(QemuCacheMode::DirectSync);
        assert!(!c.enabled);
        c.apply_qemu_cache_mode(QemuCacheMode::Writeback);
        assert!(c.enabled);
        assert!("bogus".parse::<QemuCacheMode>().is_err());
    }
}
