use alloc::string::ToString;
use alloc::vec;
use alloc::vec::Vec;

use bytes::Bytes;

use super::messages::{decode_response, encode_response};
use super::*;
use crate::cls::rbd::types::SnapshotNamespace;
use crate::encoding::Encode;
use crate::osd::NotifyResponse;

fn id(gid: u64, handle: u64, request_id: u64) -> AsyncRequestId {
    AsyncRequestId { client: ClientId { gid, handle }, request_id }
}

fn every_message() -> Vec<NotifyMessage> {
    use NotifyMessage as M;
    let snap = SnapRef { namespace: SnapshotNamespace::User, name: "s1".to_string(), id: id(3, 4, 5) };
    vec![
        M::AcquiredLock(ClientId { gid: 1, handle: 2 }),
        M::ReleasedLock(ClientId { gid: 1, handle: 2 }),
        M::RequestLock { client: ClientId { gid: 4123, handle: 7 }, force: true },
        M::HeaderUpdate,
        M::AsyncProgress { id: id(0, 1, 2), offset: 3, total: 4 },
        M::AsyncComplete { id: id(0, 1, 2), result: -5 },
        M::Flatten(id(9, 8, 7)),
        M::Resize { id: id(0, 1, 2), size: 123, allow_shrink: false },
        M::SnapCreate { snap: snap.clone(), flags: 1 },
        M::SnapRemove(snap.clone()),
        M::RebuildObjectMap(id(0, 1, 2)),
        M::SnapRename { snap_id: 4, snap: snap.clone() },
        M::SnapProtect(snap.clone()),
        M::SnapUnprotect(snap),
        M::Rename("new".to_string()),
        M::UpdateFeatures { features: 8, enabled: true },
        M::Migrate(id(0, 1, 2)),
        M::Sparsify { id: id(0, 1, 2), sparse_size: 4096 },
        M::Quiesce(id(0, 1, 2)),
        M::Unquiesce(id(0, 1, 2)),
    ]
}

#[test]
fn every_message_round_trips() {
    for message in every_message() {
        let bytes = message.to_bytes();
        assert_eq!(NotifyMessage::from_bytes(&bytes), Ok(message.clone()), "{message:?}");
    }
}

/// RequestLockPayload as Pacific's librbd encodes it, by hand:
/// ENCODE_START(7, 1), op u32, gid u64, handle u64, force bool.
#[test]
fn request_lock_matches_librbd_bytes() {
    let mut want = vec![7u8, 1, 21, 0, 0, 0, 2, 0, 0, 0];
    want.extend_from_slice(&4123u64.to_le_bytes());
    want.extend_from_slice(&7u64.to_le_bytes());
    want.push(0);
    let message = NotifyMessage::RequestLock { client: ClientId { gid: 4123, handle: 7 }, force: false };
    assert_eq!(&message.to_bytes()[..], &want[..]);
}

/// Older senders: a v1 AcquiredLock has no client id, and an empty payload
/// is a legacy header update.
#[test]
fn old_encodings_decode() {
    let v1 = [1u8, 1, 4, 0, 0, 0, 0, 0, 0, 0];
    assert_eq!(NotifyMessage::from_bytes(&v1), Ok(NotifyMessage::AcquiredLock(ClientId::default())));
    assert_eq!(NotifyMessage::from_bytes(&[]), Ok(NotifyMessage::HeaderUpdate));
    // An op from a newer release: known to be unknown, fields skipped.
    let future = [9u8, 1, 8, 0, 0, 0, 99, 0, 0, 0, 0xaa, 0xbb, 0xcc, 0xdd];
    assert_eq!(NotifyMessage::from_bytes(&future), Ok(NotifyMessage::Unknown(99)));
}

#[test]
fn truncated_messages_are_errors() {
    for message in every_message() {
        let bytes = message.to_bytes();
        for cut in 0..bytes.len() {
            // Envelopes shorter than the fields their op needs fail cleanly.
            let _ = NotifyMessage::from_bytes(&bytes[..cut]);
        }
    }
    assert!(NotifyMessage::from_bytes(&[7, 9, 0, 0, 0, 0]).is_err(), "compat newer than we read");
}

#[test]
fn response_round_trips() {
    assert_eq!(decode_response(&encode_response(-95)), Ok(-95));
    assert_eq!(&encode_response(0)[..], &[1, 1, 4, 0, 0, 0, 0, 0, 0, 0]);
}

#[test]
fn notify_response_names_the_owner() {
    let mut response = NotifyResponse::default();
    response.acks.insert((1, 10), Bytes::new());
    assert_eq!(response.owner_response(), Ok(None));
    response.acks.insert((2, 20), encode_response(0));
    response.missed.push((3, 30));
    let mut bytes = Vec::new();
    response.encode(&mut bytes);
    let decoded = NotifyResponse::decode(&bytes).unwrap();
    assert_eq!(decoded, response);
    assert_eq!(decoded.owner_response(), Ok(Some(&encode_response(0))));
    response.acks.insert((4, 40), encode_response(0));
    assert_eq!(response.owner_response(), Err(Errno::EINVAL));
}

fn owned_runtime() -> ImageRuntime {
    let runtime = ImageRuntime::new(7);
    runtime.set_lock_owned(true);
    runtime
}

const ME: ClientId = ClientId { gid: 100, handle: 7 };
const PEER: ClientId = ClientId { gid: 200, handle: 3 };

#[test]
fn owner_agrees_to_release_when_asked() {
    let runtime = owned_runtime();
    let ask = NotifyMessage::RequestLock { client: PEER, force: false }.to_bytes();
    let reaction = react(&runtime, ME, &ask);
    assert_eq!(reaction.action, Action::ReleaseLock);
    assert_eq!(decode_response(&reaction.ack), Ok(0));
    // Our own request echoed back, or a request while not owning: heard only.
    let mine = NotifyMessage::RequestLock { client: ME, force: false }.to_bytes();
    assert_eq!(react(&runtime, ME, &mine).action, Action::Nothing);
    // An application that took the lock itself keeps it.
    runtime.keep_lock(true);
    let reaction = react(&runtime, ME, &ask);
    assert_eq!((reaction.action, decode_response(&reaction.ack)), (Action::Nothing, Ok(Errno::EROFS.to_ret())));
    let idle = ImageRuntime::new(7);
    let reaction = react(&idle, ME, &ask);
    assert_eq!((reaction.action, reaction.ack.is_empty()), (Action::Nothing, true));
}

#[test]
fn the_owner_runs_what_peers_proxy_to_it() {
    let runtime = owned_runtime();
    let peer_id = id(200, 3, 1);
    let snap = SnapRef { namespace: SnapshotNamespace::User, name: "s1".to_string(), id: peer_id };
    // Pacific's requests carry an id: acked as started, completed by
    // an AsyncComplete notification.
    let create = NotifyMessage::SnapCreate { snap: snap.clone(), flags: 0 };
    let reaction = react(&runtime, ME, &create.to_bytes());
    assert_eq!(decode_response(&reaction.ack), Ok(0));
    let run = Action::Run { op: ProxiedOp::SnapCreate("s1".to_string()), report: Report::Complete(peer_id) };
    assert_eq!(reaction.action, run);
    // Older senders' (no id): acked with the result once it ran.
    let old = SnapRef { id: AsyncRequestId::default(), ..snap };
    let reaction = react(&runtime, ME, &NotifyMessage::SnapProtect(old).to_bytes());
    assert_eq!(reaction.action, Action::Run { op: ProxiedOp::SnapProtect("s1".to_string()), report: Report::Ack });
    let rebuild = react(&runtime, ME, &NotifyMessage::RebuildObjectMap(peer_id).to_bytes());
    assert_eq!(rebuild.action, Action::Run { op: ProxiedOp::RebuildObjectMap, report: Report::Complete(peer_id) });
    let sparsify = NotifyMessage::Sparsify { id: peer_id, sparse_size: 4096 }.to_bytes();
    let op = ProxiedOp::Sparsify { sparse_size: 4096 };
    assert_eq!(react(&runtime, ME, &sparsify).action, Action::Run { op, report: Report::Complete(peer_id) });
    // What this owner does not run is turned back: the peer takes the lock.
    let features = NotifyMessage::UpdateFeatures { features: 8, enabled: true }.to_bytes();
    assert_eq!(decode_response(&react(&runtime, ME, &features).ack), Ok(Errno::EOPNOTSUPP.to_ret()));
    let newer = NotifyMessage::Unknown(20).to_bytes();
    assert_eq!(decode_response(&react(&runtime, ME, &newer).ack), Ok(Errno::EOPNOTSUPP.to_ret()));
    // Only the owner answers: others' acks stay empty.
    let idle = react(&ImageRuntime::new(7), ME, &create.to_bytes());
    assert_eq!((idle.ack.is_empty(), idle.action), (true, Action::Nothing));
}

#[test]
fn announcements_update_what_the_open_knows() {
    let runtime = ImageRuntime::new(7);
    let before = (runtime.header_version(), runtime.peer_events());
    react(&runtime, ME, &NotifyMessage::HeaderUpdate.to_bytes());
    assert_eq!(runtime.header_version(), before.0 + 1);
    react(&runtime, ME, &NotifyMessage::AcquiredLock(PEER).to_bytes());
    assert_eq!(runtime.owner(), Some(PEER));
    react(&runtime, ME, &NotifyMessage::ReleasedLock(PEER).to_bytes());
    assert_eq!(runtime.owner(), None);
    assert_eq!(runtime.peer_events(), before.1 + 2);
}

#[test]
fn garbage_is_acked_and_ignored() {
    let runtime = owned_runtime();
    let reaction = react(&runtime, ME, &[0xff, 0x01, 0x02]);
    assert_eq!(reaction, Reaction { ack: Bytes::new(), action: Action::Nothing, message: None });
    assert!(runtime.lock_owned());
}

#[test]
fn a_release_waits_for_writers_under_the_lock() {
    use core::future::Future;
    use core::task::{Context, Poll, Waker};
    let runtime = alloc::sync::Arc::new(owned_runtime());
    // set_lock_owned counted the acquirer as the first user: this is it.
    let writer = super::super::LockUse(Some(runtime.clone()));
    let mut cx = Context::from_waker(Waker::noop());
    let mut release = core::pin::pin!(runtime.begin_release());
    assert_eq!(release.as_mut().poll(&mut cx), Poll::Pending);
    assert_eq!(release.as_mut().poll(&mut cx), Poll::Pending);
    drop(writer);
    assert_eq!(release.as_mut().poll(&mut cx), Poll::Ready(true));
    // New writers wait until it is gone.
    let mut acquire = core::pin::pin!(runtime.begin_acquire());
    assert_eq!(acquire.as_mut().poll(&mut cx), Poll::Pending);
    runtime.set_lock_owned(false);
    assert_eq!(acquire.as_mut().poll(&mut cx), Poll::Ready(true));
}

#[test]
fn encoded_client_id_is_gid_then_handle() {
    let mut out = Vec::new();
    ClientId { gid: 1, handle: 2 }.encode(&mut out);
    assert_eq!(out, [1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]);
}

/// What a requester sends, an owner reads back as the same operation,
/// under the requester's id.
#[test]
fn requests_sent_to_the_owner_are_what_the_owner_runs() {
    let runtime = owned_runtime();
    let requester = id(200, 3, 9);
    let ops = [
        ProxiedOp::SnapCreate("s".to_string()),
        ProxiedOp::SnapRemove("s".to_string()),
        ProxiedOp::SnapRename { snap_id: 4, name: "t".to_string() },
        ProxiedOp::SnapProtect("s".to_string()),
        ProxiedOp::SnapUnprotect("s".to_string()),
        ProxiedOp::Resize { size: 1 << 30, allow_shrink: false },
        ProxiedOp::Flatten,
    ];
    for op in ops {
        let sent = op.message(requester).to_bytes();
        assert_eq!(react(&runtime, ME, &sent).action, Action::Run { op, report: Report::Complete(requester) });
    }
}

/// The owner's reports reach the request of ours they name, not others'.
#[test]
fn async_reports_reach_the_waiting_request() {
    use core::future::Future;
    use core::task::{Context, Poll, Waker};
    let runtime = ImageRuntime::new(7);
    let mine = runtime.requests.start(ME);
    let mut cx = Context::from_waker(Waker::noop());
    let mut next = core::pin::pin!(runtime.requests.next(mine, 0));
    assert!(next.as_mut().poll(&mut cx).is_pending());
    let progress = NotifyMessage::AsyncProgress { id: mine, offset: 1, total: 2 }.to_bytes();
    assert_eq!(react(&runtime, ME, &progress).action, Action::Nothing);
    assert_eq!(next.as_mut().poll(&mut cx), Poll::Ready(Err(1)));
    let theirs = AsyncRequestId { client: PEER, request_id: mine.request_id };
    react(&runtime, ME, &NotifyMessage::AsyncComplete { id: theirs, result: -5 }.to_bytes());
    let mut next = core::pin::pin!(runtime.requests.next(mine, 1));
    assert!(next.as_mut().poll(&mut cx).is_pending());
    react(&runtime, ME, &NotifyMessage::AsyncComplete { id: mine, result: -17 }.to_bytes());
    assert_eq!(next.as_mut().poll(&mut cx), Poll::Ready(Ok(-17)));
}
