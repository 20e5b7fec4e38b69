//! The release floors of a cluster (rados_get_min_compatible_client and
//! rados_get_min_compatible_osd), as ceph_release_t numbers them.

use rbdrs_core::Errno;

use crate::json::string_field;
use crate::Rados;

/// ceph_release_t's names, by number.
const RELEASES: [&str; 19] = [
    "unknown",
    "argonaut",
    "bobtail",
    "cuttlefish",
    "dumpling",
    "emperor",
    "firefly",
    "giant",
    "hammer",
    "infernalis",
    "jewel",
    "kraken",
    "luminous",
    "mimic",
    "nautilus",
    "octopus",
    "pacific",
    "quincy",
    "reef",
];

fn release_number(name: &str) -> Result<i8, Errno> {
    RELEASES.iter().position(|r| *r == name).map(|n| n as i8).ok_or(Errno::EINVAL)
}

/// The three floors from `osd dump`'s JSON: the oldest client release
/// the map's features allow, the oldest it requires, and the release
/// its OSDs must run.
fn parse_floors(json: &str) -> Result<[i8; 3], Errno> {
    let field = |key| string_field(json, key).ok_or(Errno::EBADMSG).and_then(|name| release_number(&name));
    Ok([field("min_compat_client")?, field("require_min_compat_client")?, field("require_osd_release")?])
}

impl Rados {
    /// min_compat_client, require_min_compat_client and
    /// require_osd_release of the cluster's OSDMap, from the monitor's
    /// `osd dump` (librados reads them from its own copy of the map,
    /// whose OSD-only part librbdrs does not decode). -EOPNOTSUPP on the
    /// embedded store, which has no OSDs.
    pub fn release_floors(&self) -> Result<[i8; 3], Errno> {
        let out = self.mon_command(&[r#"{"prefix": "osd dump", "format": "json"}"#.to_string()], &[])?;
        if out.result < 0 {
            return Err(Errno::from_ret(out.result).err().unwrap_or(Errno::EIO));
        }
        parse_floors(&String::from_utf8_lossy(&out.output))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floors_are_read_by_release_name() {
        let dump = r#"{"epoch":9,"require_min_compat_client":"luminous","min_compat_client":"jewel","require_osd_release":"pacific"}"#;
        assert_eq!(parse_floors(dump), Ok([10, 12, 16]));
        assert_eq!(parse_floors(r#"{"min_compat_client":"jewel"}"#), Err(Errno::EBADMSG));
        let odd = r#"{"require_min_compat_client":"luminous","min_compat_client":"tomorrow","require_osd_release":"pacific"}"#;
        assert_eq!(parse_floors(odd), Err(Errno::EINVAL));
    }
}
