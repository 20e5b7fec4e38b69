//! Monitor commands the library itself sends, in the JSON `ceph` sends.

use alloc::format;
use alloc::string::String;
use alloc::vec;

use bytes::Bytes;

use super::{Dispatcher, PoolRequest, Reply, Request};
use crate::Errno;

/// A JSON string literal of `text`.
pub fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// rados_blocklist_add: the OSDs refuse `addr` (`ip:port/nonce`) from now
/// on, for `expire_seconds` (0: the monitor's default, an hour). What
/// librbd does to a dead lock owner before breaking its lock, so that a
/// client that only seemed dead cannot write after all.
pub async fn blocklist_add(dispatcher: &Dispatcher, addr: &str, expire_seconds: u32) -> Result<(), Errno> {
    let expire = match expire_seconds {
        0 => String::new(),
        n => format!(", \"expire\": {n}.0"),
    };
    let cmd = format!(r#"{{"prefix": "osd blocklist", "blocklistop": "add", "addr": {}{expire}}}"#, json_string(addr));
    let request = Request::Pool(PoolRequest::MonCommand { cmd: vec![cmd], input: Bytes::new() });
    match dispatcher.submit(request).await {
        Reply::Command { result, .. } if result >= 0 => Ok(()),
        Reply::Command { result, .. } => Err(Errno::from_ret(result).err().unwrap_or(Errno::EIO)),
        _ => Err(Errno::EIO),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_for_json() {
        assert_eq!(json_string("127.0.0.1:0/42"), r#""127.0.0.1:0/42""#);
        assert_eq!(json_string("a\"b\\c\n"), r#""a\"b\\c\u000a""#);
    }
}
