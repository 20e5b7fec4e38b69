//! `mon_host` as librados reads it (MonMap::build_initial, init_with_ips
//! and _add_ambiguous_addr): monitors separated by `,`, `;` or spaces,
//! each an address vector `[v2:ip:port,v1:ip:port]`, a prefixed address
//! `v2:ip:port`, or a bare `ip`, `ip:port`, `[ipv6]:port` or DNS name.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::net::{IpAddr, Ipv6Addr, SocketAddr};

use crate::Errno;

/// `CEPH_MON_PORT_IANA`: msgr2's default.
pub const MON_PORT_V2: u16 = 3300;
/// `CEPH_MON_PORT_LEGACY`: msgr1's.
pub const MON_PORT_V1: u16 = 6789;

/// One monitor from `mon_host`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MonTarget {
    /// A msgr2 address to connect to.
    V2(SocketAddr),
    /// A DNS name: the std side resolves it and connects to `port`
    /// (msgr2) on each address.
    Unresolved { host: String, port: u16 },
    /// Only a msgr1 address was given; we cannot speak msgr1.
    V1Only(String),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Proto {
    Any,
    V1,
    V2,
}

/// Parses `mon_host`. Malformed text is -EINVAL, an empty list -ENOENT.
pub fn parse_mon_host(text: &str) -> Result<Vec<MonTarget>, Errno> {
    let mut out = Vec::new();
    for entry in split_top(text, |c| c == ',' || c == ';' || c.is_whitespace()) {
        if let Some(inner) = entry.strip_prefix('[').and_then(|e| e.strip_suffix(']')) {
            if inner.starts_with("v1:") || inner.starts_with("v2:") {
                out.push(parse_vec(inner)?);
                continue;
            }
        }
        out.push(parse_one(entry)?);
    }
    if out.is_empty() {
        return Err(Errno::ENOENT);
    }
    Ok(out)
}

/// The msgr2 addresses among `targets` (unresolved names left out);
/// -EOPNOTSUPP when every monitor is msgr1-only.
pub fn msgr2_addrs(targets: &[MonTarget]) -> Result<Vec<SocketAddr>, Errno> {
    let addrs: Vec<SocketAddr> = targets
        .iter()
        .filter_map(|t| match t {
            MonTarget::V2(a) => Some(*a),
            _ => None,
        })
        .collect();
    if addrs.is_empty() && targets.iter().all(|t| matches!(t, MonTarget::V1Only(_))) {
        return Err(Errno::EOPNOTSUPP);
    }
    Ok(addrs)
}

/// Splits at separators outside brackets, dropping empty pieces.
fn split_top(text: &str, sep: impl Fn(char) -> bool) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in text.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            c if depth == 0 && sep(c) => {
                parts.push(&text[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts.into_iter().filter(|p| !p.is_empty()).collect()
}

/// `[v2:..,v1:..]`: the monitor's v2 address if it has one.
fn parse_vec(inner: &str) -> Result<MonTarget, Errno> {
    let mut v1 = None;
    for part in split_top(inner, |c| c == ',') {
        match parse_one(part)? {
            MonTarget::V1Only(s) => v1 = v1.or(Some(s)),
            other => return Ok(other),
        }
    }
    v1.map(MonTarget::V1Only).ok_or(Errno::EINVAL)
}

fn parse_one(text: &str) -> Result<MonTarget, Errno> {
    let (proto, rest) = if let Some(r) = text.strip_prefix("v2:") {
        (Proto::V2, r)
    } else if let Some(r) = text.strip_prefix("v1:") {
        (Proto::V1, r)
    } else {
        (Proto::Any, text)
    };
    let (host, port) = split_host_port(rest)?;
    // librados: "v1:" or the legacy port 6789 is msgr1; a bare address on
    // any other port is tried with msgr2 (libvirt passes `ip:port` of the
    // msgr2 port); without a port we try msgr2 on 3300, as it does first.
    let v2_port = match (proto, port) {
        (Proto::V2, p) => p.unwrap_or(MON_PORT_V2),
        (_, None) => MON_PORT_V2,
        (Proto::Any, Some(p)) if p != MON_PORT_V1 => p,
        (_, Some(_)) => return Ok(MonTarget::V1Only(text.to_string())),
    };
    if let Some(ip) = host.ip {
        return Ok(MonTarget::V2(SocketAddr::new(ip, v2_port)));
    }
    Ok(MonTarget::Unresolved { host: host.name.to_string(), port: v2_port })
}

struct Host<'a> {
    ip: Option<IpAddr>,
    name: &'a str,
}

fn split_host_port(text: &str) -> Result<(Host<'_>, Option<u16>), Errno> {
    let parse_port = |p: &str| p.parse::<u16>().map_err(|_| Errno::EINVAL);
    if let Some(rest) = text.strip_prefix('[') {
        let (ip, after) = rest.split_once(']').ok_or(Errno::EINVAL)?;
        let ip: Ipv6Addr = ip.parse().map_err(|_| Errno::EINVAL)?;
        let port = match after {
            "" => None,
            p => Some(parse_port(p.strip_prefix(':').ok_or(Errno::EINVAL)?)?),
        };
        return Ok((Host { ip: Some(IpAddr::V6(ip)), name: "" }, port));
    }
    // A bare IPv6 address has several colons and no port.
    if text.matches(':').count() > 1 {
        let ip: Ipv6Addr = text.parse().map_err(|_| Errno::EINVAL)?;
        return Ok((Host { ip: Some(IpAddr::V6(ip)), name: "" }, None));
    }
    let (host, port) = match text.split_once(':') {
        Some((h, p)) => (h, Some(parse_port(p)?)),
        None => (text, None),
    };
    if host.is_empty() || port == Some(0) {
        return Err(Errno::EINVAL);
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok((Host { ip: Some(ip), name: host }, port));
    }
    let valid = host.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    if !valid {
        return Err(Errno::EINVAL);
    }
    Ok((Host { ip: None, name: host }, port))
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::Ipv4Addr;

    fn v2(ip: [u8; 4], port: u16) -> MonTarget {
        MonTarget::V2(SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port))
    }

    #[test]
    fn addrvecs_prefixes_and_bare_addresses() {
        let got = parse_mon_host("[v2:1.2.3.4:3300,v1:1.2.3.4:6789] v2:5.6.7.8:3301;9.9.9.9,10.0.0.1:3300").unwrap();
        assert_eq!(
            got,
            [v2([1, 2, 3, 4], 3300), v2([5, 6, 7, 8], 3301), v2([9, 9, 9, 9], 3300), v2([10, 0, 0, 1], 3300)]
        );
        // The v2 address wins wherever it is in the vector.
        assert_eq!(parse_mon_host("[v1:1.2.3.4:6789,v2:1.2.3.4:3300]").unwrap(), [v2([1, 2, 3, 4], 3300)]);
    }

    #[test]
    fn msgr1_only_monitors() {
        let got = parse_mon_host("1.2.3.4:6789, [v1:5.6.7.8:6789]").unwrap();
        assert_eq!(got, [MonTarget::V1Only("1.2.3.4:6789".into()), MonTarget::V1Only("v1:5.6.7.8:6789".into())]);
        assert_eq!(msgr2_addrs(&got), Err(Errno::EOPNOTSUPP));
        // No port: librados would try both; we try msgr2 on 3300.
        assert_eq!(parse_mon_host("v1:1.2.3.4").unwrap(), [v2([1, 2, 3, 4], 3300)]);
    }

    #[test]
    fn ipv6_and_names() {
        let got = parse_mon_host("[::1]:3300 [v2:[fe80::1]:3301,v1:[fe80::1]:6789] ::2 mon-a.example.com mon-b:3300")
            .unwrap();
        assert_eq!(got[0], MonTarget::V2("[::1]:3300".parse().unwrap()));
        assert_eq!(got[1], MonTarget::V2("[fe80::1]:3301".parse().unwrap()));
        assert_eq!(got[2], MonTarget::V2("[::2]:3300".parse().unwrap()));
        assert_eq!(got[3], MonTarget::Unresolved { host: "mon-a.example.com".into(), port: 3300 });
        assert_eq!(got[4], MonTarget::Unresolved { host: "mon-b".into(), port: 3300 });
        assert_eq!(msgr2_addrs(&got).unwrap().len(), 3);
    }

    #[test]
    fn malformed_lists() {
        for bad in ["1.2.3.4:x", "[::1", "[v2:1.2.3.4:99999]", "host:0", "a/b", "[v2:]"] {
            assert_eq!(parse_mon_host(bad), Err(Errno::EINVAL), "{bad}");
        }
        assert_eq!(parse_mon_host(" ,; "), Err(Errno::ENOENT));
    }
}
