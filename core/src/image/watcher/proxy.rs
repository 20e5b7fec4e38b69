//! The requester's half of librbd's proxied operations (Operations'
//! invoke_async_request): an operation on an image whose exclusive lock
//! another client holds goes to that owner, which runs it and reports the
//! result, instead of taking the lock away from a writer.

use alloc::collections::BTreeMap;
use core::future::Future;
use core::sync::atomic::{AtomicU64, Ordering};
use core::task::{Poll, Waker};
use core::time::Duration;

use super::messages::{self, AsyncRequestId, ClientId, NotifyMessage, SnapRef};
use super::{client_id, ProxiedOp, NOTIFY_TIMEOUT_SECS};
use crate::cls::rbd::types::{SnapshotNamespace, RBD_FEATURE_EXCLUSIVE_LOCK};
use crate::image::ImageCtx;
use crate::Errno;

/// How long a requester waits for the owner's next word on a started
/// request (librbd's rbd_request_timed_out_seconds).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How often an owner that is letting the lock go is asked again.
const RESTARTS: u32 = 3;

/// What became of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Proxied {
    /// The owner ran it: its result.
    Done(Result<(), Errno>),
    /// Nobody else holds the lock, or its owner does not run this
    /// operation (-EOPNOTSUPP) or did not answer: run it here, under the
    /// lock, as librbd then does.
    RunHere,
}

/// The requests this open sent to an owner and waits on, by id.
#[derive(Debug, Default)]
pub struct AsyncRequests {
    next: AtomicU64,
    pending: spin::Mutex<BTreeMap<AsyncRequestId, Pending>>,
}

#[derive(Debug, Default)]
struct Pending {
    result: Option<i32>,
    /// Progress reports heard: each restarts the requester's timeout.
    progress: u64,
    waker: Option<Waker>,
}

impl AsyncRequests {
    pub(crate) fn start(&self, client: ClientId) -> AsyncRequestId {
        let id = AsyncRequestId { client, request_id: self.next.fetch_add(1, Ordering::Relaxed) + 1 };
        self.pending.lock().insert(id, Pending::default());
        id
    }

    fn end(&self, id: AsyncRequestId) {
        self.pending.lock().remove(&id);
    }

    /// The owner's AsyncComplete for one of ours.
    pub(crate) fn complete(&self, id: AsyncRequestId, result: i32) {
        self.update(id, |p| p.result = Some(result));
    }

    /// The owner's AsyncProgress for one of ours.
    pub(crate) fn progress(&self, id: AsyncRequestId) {
        self.update(id, |p| p.progress += 1);
    }

    fn update(&self, id: AsyncRequestId, change: impl FnOnce(&mut Pending)) {
        let waker = self.pending.lock().get_mut(&id).and_then(|p| {
            change(p);
            p.waker.take()
        });
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// The result once it comes, or Err(progress) once progress past
    /// `seen` is reported.
    pub(crate) async fn next(&self, id: AsyncRequestId, seen: u64) -> Result<i32, u64> {
        core::future::poll_fn(|cx| {
            let mut pending = self.pending.lock();
            let Some(p) = pending.get_mut(&id) else { return Poll::Ready(Ok(Errno::ECANCELED.to_ret())) };
            if let Some(result) = p.result {
                return Poll::Ready(Ok(result));
            }
            if p.progress != seen {
                return Poll::Ready(Err(p.progress));
            }
            p.waker = Some(cx.waker().clone());
            Poll::Pending
        })
        .await
    }
}

impl ProxiedOp {
    /// The request librbd's owner understands, under `id`.
    pub(crate) fn message(&self, id: AsyncRequestId) -> NotifyMessage {
        let snap = |name: &str| SnapRef { namespace: SnapshotNamespace::User, name: name.into(), id };
        match self {
            ProxiedOp::SnapCreate(name) => NotifyMessage::SnapCreate { snap: snap(name), flags: 0 },
            ProxiedOp::SnapRemove(name) => NotifyMessage::SnapRemove(snap(name)),
            ProxiedOp::SnapRename { snap_id, name } => {
                NotifyMessage::SnapRename { snap_id: *snap_id, snap: snap(name) }
            }
            ProxiedOp::SnapProtect(name) => NotifyMessage::SnapProtect(snap(name)),
            ProxiedOp::SnapUnprotect(name) => NotifyMessage::SnapUnprotect(snap(name)),
            ProxiedOp::Resize { size, allow_shrink } => {
                NotifyMessage::Resize { id, size: *size, allow_shrink: *allow_shrink }
            }
            ProxiedOp::Flatten => NotifyMessage::Flatten(id),
            ProxiedOp::RebuildObjectMap => NotifyMessage::RebuildObjectMap(id),
            ProxiedOp::Sparsify { sparse_size } => NotifyMessage::Sparsify { id, sparse_size: *sparse_size },
        }
    }

    /// Snapshot management may be asked of an open that reads a snapshot.
    fn permits_snapshot(&self) -> bool {
        // A snapshot's object map is rebuilt here: the owner would rebuild
        // the head's.
        !matches!(
            self,
            ProxiedOp::Resize { .. } | ProxiedOp::Flatten | ProxiedOp::RebuildObjectMap | ProxiedOp::Sparsify { .. }
        )
    }
}

/// Sends `op` to the lock owner when another client holds the lock, and
/// waits for its result: at most [`REQUEST_TIMEOUT`] between the owner's
/// reports, then -ETIMEDOUT. A result means the header changed: this open
/// rereads it before its next IO.
pub async fn to_owner(ictx: &ImageCtx, op: &ProxiedOp) -> Result<Proxied, Errno> {
    let refused_here = ictx.read_only || (!op.permits_snapshot() && !ictx.snap_id.is_head());
    if ictx.features & RBD_FEATURE_EXCLUSIVE_LOCK == 0 || refused_here || ictx.runtime.lock_owned() {
        return Ok(Proxied::RunHere);
    }
    if !crate::image::exclusive_lock::held_by_another(ictx).await? {
        return Ok(Proxied::RunHere);
    }
    for _ in 0..RESTARTS {
        let id = ictx.runtime.requests.start(client_id(ictx));
        let answer = ask(ictx, op, id).await;
        let result = match answer {
            Ok(Some(0)) => wait(ictx, id).await,
            Ok(Some(r)) => r,
            Ok(None) => Errno::EOPNOTSUPP.to_ret(),
            Err(e) => e.to_ret(),
        };
        ictx.runtime.requests.end(id);
        match Errno::from_ret(result) {
            Ok(_) => {
                ictx.runtime.note_header_update();
                return Ok(Proxied::Done(Ok(())));
            }
            Err(Errno::EOPNOTSUPP) => return Ok(Proxied::RunHere),
            // The owner is letting the lock go: ask again, then whoever has it.
            Err(Errno::ERESTART) => {
                ictx.io.dispatcher.sleep(Duration::from_secs(1)).await;
            }
            Err(e) => return Ok(Proxied::Done(Err(e))),
        }
    }
    Ok(Proxied::RunHere)
}

/// The owner's first answer: Some(0) when it started the request, None
/// when no owner answered.
async fn ask(ictx: &ImageCtx, op: &ProxiedOp, id: AsyncRequestId) -> Result<Option<i32>, Errno> {
    let message = op.message(id).to_bytes();
    let (_, response) = ictx.io.notify(&ictx.header_object(), message, NOTIFY_TIMEOUT_SECS).await?;
    match response.owner_response()? {
        Some(answer) => Ok(Some(messages::decode_response(answer).map_err(|_| Errno::EBADMSG)?)),
        None => Ok(None),
    }
}

/// Waits for the owner's AsyncComplete of `id`.
async fn wait(ictx: &ImageCtx, id: AsyncRequestId) -> i32 {
    let mut seen = 0;
    loop {
        let mut next = core::pin::pin!(ictx.runtime.requests.next(id, seen));
        let mut timeout = core::pin::pin!(ictx.io.dispatcher.sleep(REQUEST_TIMEOUT));
        let heard = core::future::poll_fn(|cx| match next.as_mut().poll(cx) {
            Poll::Ready(heard) => Poll::Ready(Some(heard)),
            Poll::Pending => timeout.as_mut().poll(cx).map(|_| None),
        })
        .await;
        match heard {
            Some(Ok(result)) => return result,
            Some(Err(progress)) => seen = progress,
            None => return Errno::ETIMEDOUT.to_ret(),
        }
    }
}
