//! librbd's ImageWatcher: what an open image says on its header watch and
//! how it answers what peers say there. [`react`] decides, from one
//! notification and this open's state, what to ack and what to do next;
//! the client's watcher flow sends the ack and does it.

pub mod messages;
pub mod proxy;

use alloc::string::String;

use bytes::Bytes;

pub use messages::{AsyncRequestId, ClientId, NotifyMessage, SnapRef};

use super::{ImageCtx, ImageRuntime};
use crate::Errno;

/// How long a notify waits for every watcher's ack (librbd's
/// Notifier::NOTIFY_TIMEOUT, 5 s).
pub const NOTIFY_TIMEOUT_SECS: u32 = 5;

/// What to do after acking a notification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Nothing,
    /// A peer asked for the exclusive lock and we said yes: flush and let go.
    ReleaseLock,
    /// A peer proxied an operation to us, the lock owner: run it with
    /// [`run_proxied`] and report as `report` says.
    Run {
        op: ProxiedOp,
        report: Report,
    },
}

/// An operation librbd proxies to the lock owner that this owner runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProxiedOp {
    SnapCreate(String),
    SnapRemove(String),
    SnapRename { snap_id: u64, name: String },
    SnapProtect(String),
    SnapUnprotect(String),
    Resize { size: u64, allow_shrink: bool },
    Flatten,
    RebuildObjectMap,
    Sparsify { sparse_size: u64 },
}

/// How the requester learns the outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Report {
    /// The ack (already [`Reaction::ack`], ResponseMessage(0)) said it
    /// started; an AsyncComplete notification with this id says how it
    /// ended.
    Complete(AsyncRequestId),
    /// The ack itself carries the result: hold it until the operation is
    /// done (`Reaction::ack` is empty and not to be sent).
    Ack,
}

/// The operation a proxied request asks for, if this owner runs it.
fn proxied(message: &NotifyMessage) -> Option<(ProxiedOp, Option<AsyncRequestId>)> {
    use NotifyMessage as M;
    let user = |snap: &SnapRef| snap.namespace == crate::cls::rbd::types::SnapshotNamespace::User;
    let async_id = |id: &AsyncRequestId| (*id != AsyncRequestId::default()).then_some(*id);
    Some(match message {
        M::SnapCreate { snap, .. } if user(snap) => (ProxiedOp::SnapCreate(snap.name.clone()), async_id(&snap.id)),
        M::SnapRemove(snap) if user(snap) => (ProxiedOp::SnapRemove(snap.name.clone()), async_id(&snap.id)),
        M::SnapRename { snap_id, snap } => {
            (ProxiedOp::SnapRename { snap_id: *snap_id, name: snap.name.clone() }, async_id(&snap.id))
        }
        M::SnapProtect(snap) if user(snap) => (ProxiedOp::SnapProtect(snap.name.clone()), async_id(&snap.id)),
        M::SnapUnprotect(snap) if user(snap) => (ProxiedOp::SnapUnprotect(snap.name.clone()), async_id(&snap.id)),
        M::Resize { id, size, allow_shrink } => {
            (ProxiedOp::Resize { size: *size, allow_shrink: *allow_shrink }, async_id(id))
        }
        M::Flatten(id) => (ProxiedOp::Flatten, async_id(id)),
        M::RebuildObjectMap(id) => (ProxiedOp::RebuildObjectMap, async_id(id)),
        M::Sparsify { id, sparse_size } => (ProxiedOp::Sparsify { sparse_size: *sparse_size }, async_id(id)),
        _ => return None,
    })
}

/// Runs an operation a peer proxied to this owner, as librbd's
/// execute_* would: the caller writes the cache back (and drops it before
/// a shrink) first, and keeps the refreshed state this leaves.
pub async fn run_proxied(ictx: &mut super::ImageCtx, op: &ProxiedOp) -> Result<(), Errno> {
    use super::{manage, snapshot};
    match op {
        ProxiedOp::SnapCreate(name) => snapshot::create(ictx, name).await.map(drop),
        ProxiedOp::SnapRemove(name) => snapshot::remove(ictx, name).await,
        ProxiedOp::SnapRename { snap_id, name } => {
            let from = ictx.snaps.get(snap_id).map(|s| s.name.clone()).ok_or(Errno::ENOENT)?;
            snapshot::rename(ictx, &from, name).await
        }
        ProxiedOp::SnapProtect(name) => snapshot::protect(ictx, name).await,
        ProxiedOp::SnapUnprotect(name) => snapshot::unprotect(ictx, name).await,
        ProxiedOp::Resize { size, allow_shrink } => {
            if !allow_shrink && *size < ictx.size {
                return Err(Errno::EINVAL);
            }
            manage::resize(ictx, *size).await
        }
        ProxiedOp::Flatten => manage::flatten(ictx).await,
        ProxiedOp::RebuildObjectMap => {
            super::features::rebuild_object_map(ictx).await?;
            super::open::refresh(ictx).await
        }
        ProxiedOp::Sparsify { sparse_size } => super::features::sparsify(ictx, *sparse_size).await,
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reaction {
    /// The ack's payload: empty for "heard", a ResponseMessage when this
    /// open owns the lock and answers as its owner.
    pub ack: Bytes,
    pub action: Action,
    /// What was heard, None when the payload did not decode (it is acked,
    /// and otherwise ignored).
    pub message: Option<NotifyMessage>,
}

/// Answers one notification, as librbd's handle_payload does. `me` is this
/// open's ClientId (global id, watch handle).
pub fn react(runtime: &ImageRuntime, me: ClientId, payload: &[u8]) -> Reaction {
    use NotifyMessage as M;
    let Ok(message) = NotifyMessage::from_bytes(payload) else {
        return Reaction { ack: Bytes::new(), action: Action::Nothing, message: None };
    };
    let owner = runtime.lock_owned();
    // Operations a peer proxies to the lock owner: run them here, as
    // librbd's owner does (none of our own: they come back as ours).
    if let Some((op, id)) = owner.then(|| proxied(&message)).flatten() {
        let (ack, action) = match id {
            Some(id) if id.client != me => {
                (messages::encode_response(0), Action::Run { op, report: Report::Complete(id) })
            }
            Some(_) => (Bytes::new(), Action::Nothing),
            None => (Bytes::new(), Action::Run { op, report: Report::Ack }),
        };
        return Reaction { ack, action, message: Some(message) };
    }
    let (ack, action) = match &message {
        M::HeaderUpdate => {
            runtime.note_header_update();
            (Bytes::new(), Action::Nothing)
        }
        M::AcquiredLock(client) => {
            runtime.note_owner(client.is_valid().then_some(*client));
            (Bytes::new(), Action::Nothing)
        }
        M::ReleasedLock(_) => {
            runtime.note_owner(None);
            (Bytes::new(), Action::Nothing)
        }
        // How the owner ran what this open asked of it.
        M::AsyncComplete { id, result } if id.client == me => {
            runtime.requests.complete(*id, *result);
            (Bytes::new(), Action::Nothing)
        }
        M::AsyncProgress { id, offset, total } if id.client == me => {
            runtime.requests.progress(*id);
            // The requester's callback hears the owner's progress; it
            // cannot stop the owner.
            let _ = runtime.started(*offset, *total);
            (Bytes::new(), Action::Nothing)
        }
        // An application that took the lock keeps it (StandardPolicy);
        // otherwise it is given up when asked (AutomaticPolicy).
        M::RequestLock { client, .. } if *client != me && owner && runtime.lock_kept() => {
            (messages::encode_response(Errno::EROFS.to_ret()), Action::Nothing)
        }
        M::RequestLock { client, .. } if *client != me && owner => (messages::encode_response(0), Action::ReleaseLock),
        // The rest it does not run. Saying so makes the peer ask for the
        // lock and run them itself (librbd's C_InvokeAsyncRequest on
        // -EOPNOTSUPP); so does a request newer than this code (metadata
        // updates), which librbd's owner answers the same way. Silence
        // would have the peer ask again forever.
        M::Unknown(_)
        | M::Flatten(_)
        | M::Resize { .. }
        | M::SnapCreate { .. }
        | M::SnapRemove(_)
        | M::RebuildObjectMap(_)
        | M::SnapRename { .. }
        | M::SnapProtect(_)
        | M::SnapUnprotect(_)
        | M::Rename(_)
        | M::UpdateFeatures { .. }
        | M::Migrate(_)
        | M::Sparsify { .. }
            if owner =>
        {
            (messages::encode_response(Errno::EOPNOTSUPP.to_ret()), Action::Nothing)
        }
        _ => (Bytes::new(), Action::Nothing),
    };
    Reaction { ack, action, message: Some(message) }
}

/// This open's name on the watch.
pub fn client_id(ictx: &ImageCtx) -> ClientId {
    ClientId { gid: ictx.io.client.global_id, handle: ictx.runtime.watch_handle }
}

/// Tells peers the header changed (after a snapshot, resize, flatten...),
/// without waiting for their acks.
pub fn announce_header_update(ictx: &ImageCtx) {
    ictx.io.notify_detached(&ictx.header_object(), NotifyMessage::HeaderUpdate.to_bytes(), NOTIFY_TIMEOUT_SECS);
}

/// How often [`rewatch`] tries before it gives up on an unreachable OSD.
const REWATCH_TRIES: u32 = 60;

/// Registers the header watch again after the OSD lost it (librbd's
/// Watcher::rewatch, same handle so the lock cookie still names us): each
/// second while the OSD does not answer; given up at once when the header
/// is gone or this client is blocklisted. What peers announced meanwhile
/// was missed, so the image reads its header again before its next IO.
pub async fn rewatch(ictx: &ImageCtx) -> Result<(), Errno> {
    let mut tries = 0;
    loop {
        ictx.runtime.note_header_update();
        match super::exclusive_lock::watch(ictx).await {
            Ok(()) => return Ok(()),
            Err(e) if e == Errno::ENOENT || e == Errno::EBLOCKLISTED || tries >= REWATCH_TRIES => return Err(e),
            Err(_) => {
                tries += 1;
                ictx.io.dispatcher.sleep(core::time::Duration::from_secs(1)).await;
            }
        }
    }
}

/// What the lock owner said to a RequestLock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockRequest {
    /// It agreed and will announce the release.
    Agreed,
    /// Nobody answered as owner: ask again (librbd's -ETIMEDOUT).
    NoAnswer,
    /// The store delivered it to nobody (every watcher missed it at
    /// once, as the embedded store reports): asking again cannot help.
    Undeliverable,
}

/// Asks the lock owner to hand the lock over; -EROFS when it refuses.
pub async fn request_lock(ictx: &ImageCtx) -> Result<LockRequest, Errno> {
    let message = NotifyMessage::RequestLock { client: client_id(ictx), force: false };
    let (result, response) = ictx.io.notify(&ictx.header_object(), message.to_bytes(), NOTIFY_TIMEOUT_SECS).await?;
    match result {
        Ok(()) | Err(Errno::ETIMEDOUT) => {}
        Err(e) => return Err(e),
    }
    match response.owner_response()? {
        Some(answer) => match messages::decode_response(answer) {
            Ok(r) if r >= 0 => Ok(LockRequest::Agreed),
            Ok(r) => Err(Errno::from_ret(r).err().unwrap_or(Errno::EIO)),
            Err(_) => Ok(LockRequest::NoAnswer),
        },
        None if result.is_ok() && response.acks.is_empty() && !response.missed.is_empty() => {
            Ok(LockRequest::Undeliverable)
        }
        None => Ok(LockRequest::NoAnswer),
    }
}

#[cfg(test)]
mod tests;
