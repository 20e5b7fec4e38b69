//! The notifying half of librbd's quiesce (ImageWatcher::notify_quiesce
//! and notify_unquiesce, as SnapshotCreateRequest uses them): before a
//! snapshot, every client with the image open is asked to quiesce its
//! applications; after it, to resume them.

use super::watcher::messages::decode_response;
use super::watcher::{client_id, AsyncRequestId, NotifyMessage, NOTIFY_TIMEOUT_SECS};
use super::ImageCtx;
use crate::Errno;

/// rbd_quiesce_notification_attempts' default.
pub const QUIESCE_NOTIFICATION_ATTEMPTS: u32 = 10;

/// Asks every watcher to quiesce; retried while some watcher does not
/// answer within the notify timeout. The first error a watcher answers
/// with (or -ETIMEDOUT after the last attempt) fails it. The request id is
/// what [`notify_unquiesce`] takes.
pub async fn notify_quiesce(ictx: &ImageCtx, attempts: u32) -> (AsyncRequestId, Result<(), Errno>) {
    let id = AsyncRequestId { client: client_id(ictx), request_id: ictx.io.dispatcher.allocate_handle() };
    let payload = NotifyMessage::Quiesce(id).to_bytes();
    let mut left = attempts.max(1);
    let result = loop {
        left -= 1;
        match ictx.io.notify(&ictx.header_object(), payload.clone(), NOTIFY_TIMEOUT_SECS).await {
            Ok((Err(Errno::ETIMEDOUT), _)) if left > 0 => continue,
            Ok((Ok(()), response)) => {
                let answers = response.acks.values().filter(|ack| !ack.is_empty());
                break answers
                    .map(|ack| decode_response(ack).unwrap_or(0))
                    .find(|&r| r < 0)
                    .map_or(Ok(()), |r| Err(Errno::from_ret(r).err().unwrap_or(Errno::EIO)));
            }
            Ok((Err(e), _)) | Err(e) => break Err(e),
        }
    };
    (id, result)
}

/// Tells the watchers the snapshot is done; errors are ignored, as librbd.
pub async fn notify_unquiesce(ictx: &ImageCtx, id: AsyncRequestId) {
    let payload = NotifyMessage::Unquiesce(id).to_bytes();
    let _ = ictx.io.notify(&ictx.header_object(), payload, NOTIFY_TIMEOUT_SECS).await;
}
