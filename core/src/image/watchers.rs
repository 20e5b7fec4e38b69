//! Who watches an image's header (list_watchers): the open clients.

use alloc::vec::Vec;

use super::ImageCtx;
use crate::cls::lock::EntityAddr;
use crate::encoding::decode_exact;
use crate::osd::{ListWatchersOut, ObjectOperation, OpKind};
use crate::Errno;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Watcher {
    /// The client's entity number (client.<n>).
    pub client: i64,
    pub cookie: u64,
    pub addr: EntityAddr,
}

pub async fn list(ictx: &ImageCtx) -> Result<Vec<Watcher>, Errno> {
    let mut op = ObjectOperation::new();
    op.push(OpKind::ListWatchers);
    let reply = ictx.io.read_head(&ictx.header_object(), op).await?;
    let out: ListWatchersOut = decode_exact(reply.out(0)?).map_err(|_| Errno::EBADMSG)?;
    Ok(out.entries.into_iter().map(|w| Watcher { client: w.name.num, cookie: w.cookie, addr: w.addr }).collect())
}
