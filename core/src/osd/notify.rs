//! A notify's result (what the OSD sends at CEPH_WATCH_EVENT_NOTIFY_COMPLETE
//! and rados_decode_notify_response reads).

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use bytes::Bytes;

use crate::encoding::{DecodeError, Decoder, Encode};
use crate::Errno;

/// What a notify returns once every watcher acked or the timeout passed:
/// each ack's payload by (gid, cookie), and the watchers that did not ack.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NotifyResponse {
    pub acks: BTreeMap<(u64, u64), Bytes>,
    pub missed: Vec<(u64, u64)>,
}

impl NotifyResponse {
    pub fn decode(payload: &[u8]) -> Result<NotifyResponse, DecodeError> {
        let mut d = Decoder::new(payload);
        let acks = d.decode()?;
        let n = d.count(16)?;
        let mut missed = Vec::with_capacity(n);
        for _ in 0..n {
            missed.push((d.u64()?, d.u64()?));
        }
        Ok(NotifyResponse { acks, missed })
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        self.acks.encode(out);
        (self.missed.len() as u32).encode(out);
        for (gid, cookie) in &self.missed {
            gid.encode(out);
            cookie.encode(out);
        }
    }

    /// The one non-empty ack: a lock owner's response. None when no owner
    /// answered; -EINVAL when two did (librbd's "duplicate lock owners").
    pub fn owner_response(&self) -> Result<Option<&Bytes>, Errno> {
        let mut answers = self.acks.values().filter(|b| !b.is_empty());
        let first = answers.next();
        match answers.next() {
            Some(_) => Err(Errno::EINVAL),
            None => Ok(first),
        }
    }
}
