//! What an embedded store answers in a monitor's place: the capacity
//! programs size themselves by (rados_cluster_stat, and the `df` command
//! Cinder asks), from the filesystem holding the store. Other monitor
//! commands stay -EOPNOTSUPP: there is no cluster to change.

use std::fmt::Write;
use std::path::Path;

use bytes::Bytes;
use rbdrs_core::memstore::MemStore;
use rbdrs_core::rados::{json_string, Reply};

use crate::json::string_field;
use rbdrs_core::Errno;

/// Bytes on the filesystem, left on it, and used by the store itself.
struct Space {
    total: u64,
    avail: u64,
    used: u64,
}

fn space(dir: &Path, used: u64) -> Result<Space, Errno> {
    let (total, avail) = crate::sys::filesystem_space(dir).ok_or(Errno::EIO)?;
    Ok(Space { total, avail, used })
}

/// rados_cluster_stat: kb, kb_used, kb_avail, num_objects.
pub fn cluster_stat(dir: &Path, used: u64, mem: &MemStore) -> Result<[u64; 4], Errno> {
    let space = space(dir, used)?;
    let objects = mem.list_pools().iter().filter_map(|(id, _)| mem.pool_stat(*id).ok()).map(|s| s.sum[1] as u64).sum();
    Ok([space.total >> 10, space.used.div_ceil(1024), space.avail >> 10, objects])
}

/// A monitor command's reply: `df` as the monitor formats it, the rest
/// -EOPNOTSUPP.
pub fn command(dir: &Path, used: u64, mem: &MemStore, cmd: &[String]) -> Reply {
    let text = cmd.concat();
    let reply = match string_field(&text, "prefix").as_deref() {
        Some("df") => space(dir, used).map(|space| df(&space, mem, string_field(&text, "format").as_deref())),
        _ => Err(Errno::EOPNOTSUPP),
    };
    match reply {
        Ok(output) => Reply::Command { result: 0, status: String::new(), output: Bytes::from(output) },
        Err(e) => Reply::Command { result: e.to_ret(), status: String::new(), output: Bytes::new() },
    }
}

/// One pool's line of `df`: name, id, stored bytes, objects.
fn pools(mem: &MemStore) -> Vec<(String, i64, u64, u64)> {
    let mut pools: Vec<_> = mem
        .list_pools()
        .into_iter()
        .filter_map(|(id, name)| mem.pool_stat(id).ok().map(|s| (name, id, s.sum[0] as u64, s.sum[1] as u64)))
        .collect();
    pools.sort_by_key(|p| p.1);
    pools
}

fn df(space: &Space, mem: &MemStore, format: Option<&str>) -> String {
    let used_ratio = ratio(space.used, space.total);
    let mut out = String::new();
    if matches!(format, Some("json" | "json-pretty")) {
        // The keys the monitor's `df` gives; one "OSD", one replica.
        let _ = write!(
            out,
            r#"{{"stats":{{"total_bytes":{t},"total_avail_bytes":{a},"total_used_bytes":{u},"total_used_raw_bytes":{u},"total_used_raw_ratio":{used_ratio},"num_osds":1,"num_per_pool_osds":1,"num_per_pool_omap_osds":1}},"stats_by_class":{{}},"pools":["#,
            t = space.total,
            a = space.avail,
            u = space.used,
        );
        for (i, (name, id, stored, objects)) in pools(mem).iter().enumerate() {
            let _ = write!(
                out,
                r#"{}{{"name":{},"id":{id},"stats":{{"stored":{stored},"objects":{objects},"kb_used":{},"bytes_used":{stored},"percent_used":{},"max_avail":{}}}}}"#,
                if i == 0 { "" } else { "," },
                json_string(name),
                stored.div_ceil(1024),
                ratio(*stored, stored + space.avail),
                space.avail,
            );
        }
        out.push_str("]}\n");
    } else {
        let _ = writeln!(
            out,
            "--- RAW STORAGE ---\nTOTAL {} {} {} {:.2}",
            space.total,
            space.avail,
            space.used,
            used_ratio * 100.0
        );
        let _ = writeln!(out, "--- POOLS ---\nPOOL ID OBJECTS USED MAX AVAIL");
        for (name, id, stored, objects) in pools(mem) {
            let _ = writeln!(out, "{name} {id} {objects} {stored} {}", space.avail);
        }
    }
    out
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn df_counts_pools_and_the_filesystem() {
        let mem = MemStore::new();
        mem.create_pool("rbd").unwrap();
        let dir = std::env::temp_dir();
        let Reply::Command { result: 0, output, .. } =
            command(&dir, 4096, &mem, &[r#"{"prefix": "df", "format": "json"}"#.into()])
        else {
            panic!("df failed");
        };
        let text = String::from_utf8(output.to_vec()).unwrap();
        assert!(text.contains(r#""total_used_bytes":4096"#), "{text}");
        assert!(text.contains(r#""pools":[{"name":"rbd","id":"#), "{text}");
        let [kb, kb_used, kb_avail, objects] = cluster_stat(&dir, 4096, &mem).unwrap();
        assert!(kb > 0 && kb_avail <= kb && kb_used == 4 && objects == 0);
        let Reply::Command { result, .. } = command(&dir, 0, &mem, &[r#"{"prefix": "osd pool ls"}"#.into()]) else {
            panic!("not a command reply");
        };
        assert_eq!(result, Errno::EOPNOTSUPP.to_ret());
    }
}
