//! The image layer's API as librbd's users meet it, on the in-memory store:
//! the refusals librbd makes (with its error codes) and the operations fsx
//! does not reach.

use rbdrs_core::cls::rbd::client as cls;
use rbdrs_core::cls::rbd::types::*;
use rbdrs_core::encoding::UtcTime;
use rbdrs_core::image::create::{create, CreateOptions};
use rbdrs_core::image::io::{self, CompareOutcome};
use rbdrs_core::image::open::{close, open, set_snap};
use rbdrs_core::image::{manage, snapshot, IoCtx};
use rbdrs_core::memstore::{ClassRegistry, MemStore};
use rbdrs_core::naming;
use rbdrs_core::osd::{ClientId, ObjectOperation};
use rbdrs_core::rados::{join_all, Dispatcher, LocalDriver};
use rbdrs_core::Errno;

struct Env {
    store: MemStore,
    dispatcher: Dispatcher,
    io: IoCtx,
}

fn env() -> Env {
    let mut classes = ClassRegistry::default();
    rbdrs_core::cls::register_all(&mut classes);
    let store = MemStore::with_classes(classes);
    let pool = store.create_pool("rbd").unwrap();
    let dispatcher = Dispatcher::new();
    dispatcher.set_time(UtcTime::new(1_763_683_200, 0));
    let io = IoCtx::new(dispatcher.clone(), pool, "", ClientId { global_id: 77, nonce: 1 });
    Env { store, dispatcher, io }
}

impl Env {
    fn driver(&self) -> LocalDriver<'_> {
        LocalDriver::new(&self.store, self.dispatcher.clone()).shuffled(9)
    }
}

const MIB: u64 = 1 << 20;

#[test]
fn unsupported_features_refuse_writers_but_not_readers() {
    let env = env();
    let mut d = env.driver();
    // A header as a newer librbd writes it, with journaling on.
    let features = RBD_FEATURE_LAYERING | RBD_FEATURE_EXCLUSIVE_LOCK | RBD_FEATURE_JOURNALING;
    let flow = async {
        let mut op = ObjectOperation::new();
        op.create(true);
        cls::set_id(&mut op, "j1");
        env.io.exec(&naming::id_object("journaled"), op).await?;
        let mut op = ObjectOperation::new();
        cls::create(&mut op, 4 * MIB, 22, features, "rbd_data.j1", -1);
        env.io.exec(&naming::header_object("j1"), op).await?;
        let rw = open(&env.io, "journaled", None, false).await.err();
        let ro = open(&env.io, "journaled", None, true).await?;
        let data = io::read(&ro, 0, 4096).await?;
        Ok::<_, Errno>((rw, data, io::write(&ro, 0, b"x").await.err()))
    };
    let (rw, data, ro_write) = d.run(flow).unwrap().unwrap();
    assert_eq!(rw, Some(Errno::ENOSYS));
    assert_eq!(data, vec![0; 4096]);
    assert_eq!(ro_write, Some(Errno::EROFS));
}

#[test]
fn creation_is_validated_as_librbd_does() {
    let env = env();
    let mut d = env.driver();
    let mut bad_order = CreateOptions::new(MIB);
    bad_order.order = 26;
    let mut half_striping = CreateOptions::new(MIB);
    half_striping.stripe_unit = 65536;
    let mut map_without_lock = CreateOptions::new(MIB);
    map_without_lock.features = RBD_FEATURE_LAYERING | RBD_FEATURE_OBJECT_MAP;
    assert_eq!(d.run(create(&env.io, "a", "a", &bad_order)).unwrap(), Err(Errno::EDOM));
    assert_eq!(d.run(create(&env.io, "b", "b", &half_striping)).unwrap(), Err(Errno::EINVAL));
    assert_eq!(d.run(create(&env.io, "c", "c", &map_without_lock)).unwrap(), Err(Errno::EINVAL));
    assert_eq!(d.run(create(&env.io, "ok", "ok", &CreateOptions::new(MIB))).unwrap(), Ok(()));
    assert_eq!(d.run(create(&env.io, "ok", "ok", &CreateOptions::new(MIB))).unwrap(), Err(Errno::EEXIST));
    assert_eq!(d.run(manage::list(&env.io)).unwrap().unwrap().keys().collect::<Vec<_>>(), ["ok"]);
}

#[test]
fn many_ios_in_flight_complete_in_any_order() {
    let env = env();
    let mut d = env.driver();
    d.run(create(&env.io, "busy", "b1", &CreateOptions::new(8 * MIB))).unwrap().unwrap();
    let ictx = d.run(open(&env.io, "busy", None, false)).unwrap().unwrap();
    let chunks: Vec<Vec<u8>> = (0..64u8).map(|i| vec![i; 128 * 1024]).collect();
    let writes = join_all(chunks.iter().enumerate().map(|(i, c)| io::write(&ictx, i as u64 * 128 * 1024, c)));
    let results = d.run(writes).unwrap();
    assert!(results.iter().all(|r| *r == Ok(128 * 1024)));
    let all = d.run(io::read(&ictx, 0, 8 * MIB)).unwrap().unwrap();
    assert!(all.chunks(128 * 1024).enumerate().all(|(i, c)| c.iter().all(|&b| b == i as u8)));
    // The writer took the exclusive lock, as librbd's default features ask.
    assert!(ictx.runtime.lock_owned());
    d.run(close(&ictx)).unwrap().unwrap();
    assert!(!ictx.runtime.lock_owned());
}

/// Two opens whose notifications the store cannot deliver (the embedded
/// store has no peers to deliver to): the second writer hears at once
/// that the lock is busy instead of asking until its wait runs out; the
/// first keeps writing; once it closes, the second takes the lock.
#[test]
fn a_second_writer_of_the_embedded_store_gets_ebusy_then_the_lock() {
    let env = env();
    let mut d = env.driver();
    d.run(create(&env.io, "two", "t2", &CreateOptions::new(8 * MIB))).unwrap().unwrap();
    let a = d.run(open(&env.io, "two", None, false)).unwrap().unwrap();
    let b = d.run(open(&env.io, "two", None, false)).unwrap().unwrap();
    assert_eq!(d.run(io::write(&a, 0, b"first")).unwrap(), Ok(5));
    assert_eq!(d.run(io::write(&b, 0, b"second")).unwrap(), Err(Errno::EBUSY));
    assert!(!b.runtime.lock_owned());
    assert_eq!(d.run(io::write(&a, 8, b"again")).unwrap(), Ok(5));
    d.run(close(&a)).unwrap().unwrap();
    assert_eq!(d.run(io::write(&b, 0, b"second")).unwrap(), Ok(6));
    assert_eq!(d.run(io::read(&b, 0, 13)).unwrap().unwrap(), b"second\0\0again");
    d.run(close(&b)).unwrap().unwrap();
}

/// An open whose header watch the OSD dropped watches again under the same
/// handle (its lock cookie still names it), and rereads the header before
/// its next IO; a header that is gone ends the retries at once.
#[test]
fn a_lost_header_watch_is_registered_again() {
    use rbdrs_core::image::{exclusive_lock, watcher, watchers};
    let env = env();
    let mut d = env.driver();
    d.run(create(&env.io, "lost", "tl", &CreateOptions::new(8 * MIB))).unwrap().unwrap();
    let a = d.run(open(&env.io, "lost", None, false)).unwrap().unwrap();
    d.run(exclusive_lock::unwatch(&a)).unwrap().unwrap();
    assert!(d.run(watchers::list(&a)).unwrap().unwrap().is_empty());
    let seen = a.runtime.header_version();
    d.run(watcher::rewatch(&a)).unwrap().unwrap();
    let listed = d.run(watchers::list(&a)).unwrap().unwrap();
    assert_eq!(listed.iter().map(|w| w.cookie).collect::<Vec<_>>(), [a.runtime.watch_handle]);
    assert!(a.runtime.header_version() > seen, "what peers said meanwhile was missed");

    d.run(manage::remove(&env.io, "lost")).unwrap().unwrap_err();
    let mut op = ObjectOperation::new();
    op.remove();
    d.run(env.io.exec(&a.header_object(), op)).unwrap().unwrap();
    assert_eq!(d.run(watcher::rewatch(&a)).unwrap(), Err(Errno::ENOENT));
}

#[test]
fn snapshots_protect_clone_and_refuse_what_librbd_refuses() {
    let env = env();
    let mut d = env.driver();
    d.run(create(&env.io, "base", "p1", &CreateOptions::new(4 * MIB))).unwrap().unwrap();
    let mut base = d.run(open(&env.io, "base", None, false)).unwrap().unwrap();
    d.run(io::write(&base, 0, b"golden")).unwrap().unwrap();
    d.run(snapshot::create(&mut base, "gold")).unwrap().unwrap();
    assert_eq!(d.run(snapshot::create(&mut base, "gold")).unwrap(), Err(Errno::EEXIST));
    d.run(snapshot::protect(&mut base, "gold")).unwrap().unwrap();
    assert_eq!(d.run(snapshot::protect(&mut base, "gold")).unwrap(), Err(Errno::EBUSY));
    assert_eq!(d.run(snapshot::remove(&mut base, "gold")).unwrap(), Err(Errno::EBUSY));
    d.run(manage::clone(&base, "gold", &env.io, "child", "c1", &CreateOptions::new(0))).unwrap().unwrap();
    let gold = rbdrs_core::image::open::snap_by_name(&base, "gold").unwrap();
    let children = d.run(snapshot::children(&base, gold)).unwrap().unwrap();
    assert_eq!(children.iter().map(|c| c.image_id.as_str()).collect::<Vec<_>>(), ["c1"]);
    assert_eq!(d.run(snapshot::unprotect(&mut base, "gold")).unwrap(), Err(Errno::EBUSY));

    // The clone reads the snapshot, not the parent's later writes.
    d.run(io::write(&base, 0, b"CHANGE")).unwrap().unwrap();
    let mut child = d.run(open(&env.io, "child", None, false)).unwrap().unwrap();
    assert_eq!(child.parent_info.as_ref().map(|p| p.overlap), Some(4 * MIB));
    assert_eq!(d.run(io::read(&child, 0, 6)).unwrap().unwrap(), b"golden");

    // Reading an image opened at a snapshot: writes are refused.
    set_snap(&mut base, Some("gold")).unwrap();
    assert_eq!(d.run(io::read(&base, 0, 6)).unwrap().unwrap(), b"golden");
    assert_eq!(d.run(io::write(&base, 0, b"x")).unwrap(), Err(Errno::EROFS));
    set_snap(&mut base, None).unwrap();

    // Compare-and-write may not cross an object, and reports mismatches.
    let object = child.layout.object_size();
    assert_eq!(d.run(io::compare_and_write(&child, object - 2, b"abcd", b"wxyz")).unwrap(), Err(Errno::EINVAL));
    let outcome = d.run(io::compare_and_write(&child, 0, b"goldXn", b"silver")).unwrap().unwrap();
    assert_eq!(outcome, CompareOutcome::Mismatch { offset: 4 });
    let outcome = d.run(io::compare_and_write(&child, 0, b"golden", b"silver")).unwrap().unwrap();
    assert_eq!(outcome, CompareOutcome::Written);

    // Flatten detaches; then the parent snapshot can go.
    d.run(manage::flatten(&mut child)).unwrap().unwrap();
    assert!(child.parent_info.is_none());
    // What an owner reports to a peer it flattens for: every object (of
    // the 4 MiB overlap) done.
    assert_eq!(child.runtime.progress(), (1, 1));
    assert_eq!(d.run(io::read(&child, 0, 6)).unwrap().unwrap(), b"silver");
    d.run(snapshot::unprotect(&mut base, "gold")).unwrap().unwrap();
    d.run(snapshot::remove(&mut base, "gold")).unwrap().unwrap();

    // Remove: refused while open elsewhere or with snapshots.
    assert_eq!(d.run(manage::remove(&env.io, "base")).unwrap(), Err(Errno::EBUSY));
    d.run(close(&base)).unwrap().unwrap();
    d.run(manage::remove(&env.io, "base")).unwrap().unwrap();
    assert_eq!(d.run(open(&env.io, "base", None, true)).unwrap().err(), Some(Errno::ENOENT));
}

#[test]
fn rename_moves_the_name_not_the_data() {
    let env = env();
    let mut d = env.driver();
    d.run(create(&env.io, "old", "r1", &CreateOptions::new(MIB))).unwrap().unwrap();
    let ictx = d.run(open(&env.io, "old", None, false)).unwrap().unwrap();
    d.run(io::write(&ictx, 100, b"kept")).unwrap().unwrap();
    d.run(close(&ictx)).unwrap().unwrap();
    d.run(create(&env.io, "taken", "r2", &CreateOptions::new(MIB))).unwrap().unwrap();
    assert_eq!(d.run(manage::rename(&env.io, "old", "taken")).unwrap(), Err(Errno::EEXIST));
    d.run(manage::rename(&env.io, "old", "new")).unwrap().unwrap();
    let renamed = d.run(open(&env.io, "new", None, true)).unwrap().unwrap();
    assert_eq!(d.run(io::read(&renamed, 100, 4)).unwrap().unwrap(), b"kept");
    let names: Vec<String> = d.run(manage::list(&env.io)).unwrap().unwrap().into_keys().collect();
    assert_eq!(names, ["new", "taken"]);
}
