//! LIST_WATCHERS output (obj_list_watch_response_t of watch_item_t).

use alloc::vec::Vec;

use crate::cls::lock::{EntityAddr, EntityName};
use crate::encoding::{encode_versioned, Decode, DecodeError, Decoder, Encode};

/// One watch on an object: who, with which cookie.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchItem {
    pub name: EntityName,
    pub cookie: u64,
    pub timeout_seconds: u32,
    pub addr: EntityAddr,
}

impl Encode for WatchItem {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_versioned(out, 2, 1, |out| {
            self.name.encode(out);
            self.cookie.encode(out);
            self.timeout_seconds.encode(out);
            self.addr.encode(out);
        });
    }
}

impl Decode for WatchItem {
    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        d.versioned(2, |d, version| {
            let name = d.decode()?;
            let cookie = d.u64()?;
            let timeout_seconds = d.u32()?;
            // v1 had no address.
            let addr = if version >= 2 { d.decode()? } else { EntityAddr::blank_ipv4(EntityAddr::TYPE_NONE, 0) };
            Ok(WatchItem { name, cookie, timeout_seconds, addr })
        })
    }
}

/// The whole reply: a versioned list of watch items.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListWatchersOut {
    pub entries: Vec<WatchItem>,
}

impl Encode for ListWatchersOut {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_versioned(out, 1, 1, |out| {
            (self.entries.len() as u32).encode(out);
            self.entries.iter().for_each(|e| e.encode(out));
        });
    }
}

impl Decode for ListWatchersOut {
    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        d.versioned(1, |d, _| {
            let count = d.count(6)?;
            let mut entries = Vec::with_capacity(count);
            for _ in 0..count {
                entries.push(d.decode()?);
            }
            Ok(ListWatchersOut { entries })
        })
    }
}
