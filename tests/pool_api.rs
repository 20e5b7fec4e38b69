//! Pool-level flows on the in-memory store with a simulated clock: the
//! trash's deferment and purge by expiry, namespaces, pool statistics and
//! children across pools, as librbd's api::Trash/Namespace/Pool behave.

use rbdrs_core::cls::rbd::types::*;
use rbdrs_core::encoding::UtcTime;
use rbdrs_core::image::children::list_descendants;
use rbdrs_core::image::create::{create, CreateOptions};
use rbdrs_core::image::open::{close, open};
use rbdrs_core::image::{manage, pool, snapshot, trash, IoCtx};
use rbdrs_core::memstore::{ClassRegistry, MemStore};
use rbdrs_core::osd::ClientId;
use rbdrs_core::rados::{Dispatcher, LocalDriver};
use rbdrs_core::Errno;

const MIB: u64 = 1 << 20;
const T0: u32 = 1_763_683_200;

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
    dispatcher.set_time(UtcTime::new(T0, 0));
    let io = IoCtx::new(dispatcher.clone(), pool, "", ClientId { global_id: 77, nonce: 1 });
    Env { store, dispatcher, io }
}

impl Env {
    fn driver(&self) -> LocalDriver<'_> {
        LocalDriver::new(&self.store, self.dispatcher.clone()).shuffled(5)
    }

    fn image(&self, io: &IoCtx, name: &str, size: u64) {
        let mut opts = CreateOptions::new(size);
        opts.features = RBD_FEATURE_LAYERING | RBD_FEATURE_EXCLUSIVE_LOCK;
        self.driver().run(create(io, name, name, &opts)).unwrap().unwrap();
    }
}

fn quiet(_: u64, _: u64) {}

#[test]
fn the_trash_keeps_an_image_until_its_deferment_ends() {
    let env = env();
    let mut d = env.driver();
    env.image(&env.io, "a", 8 * MIB);
    d.run(trash::move_image(&env.io, "a", TRASH_IMAGE_SOURCE_USER, 60)).unwrap().unwrap();
    let listed = d.run(trash::list(&env.io, true)).unwrap().unwrap();
    let spec = &listed["a"];
    assert_eq!((spec.name.as_str(), spec.source, spec.state), ("a", TRASH_IMAGE_SOURCE_USER, TRASH_IMAGE_STATE_NORMAL));
    assert_eq!(spec.deferment_end_time.sec - spec.deletion_time.sec, 60);
    assert!(d.run(manage::list(&env.io)).unwrap().unwrap().is_empty());
    assert_eq!(d.run(open(&env.io, "a", None, true)).unwrap().err(), Some(Errno::ENOENT));

    // Refused before the deferment ends, unless forced; purge skips it.
    assert_eq!(d.run(trash::remove(&env.io, "a", false, &quiet)).unwrap(), Err(Errno::EPERM));
    d.run(trash::purge(&env.io, 0, &quiet)).unwrap().unwrap();
    assert_eq!(d.run(trash::list(&env.io, true)).unwrap().unwrap().len(), 1);
    // A purge "as of" a later time takes it, and reports its progress.
    let reported = std::sync::Mutex::new(Vec::new());
    let report = |done, total| reported.lock().unwrap().push((done, total));
    d.run(trash::purge(&env.io, u64::from(T0) + 61, &report)).unwrap().unwrap();
    assert_eq!(*reported.lock().unwrap(), vec![(1, 1)]);
    assert!(d.run(trash::list(&env.io, true)).unwrap().unwrap().is_empty());
    assert!(env.store.list_objects(env.io.pool, "").unwrap().iter().all(|o| !o.starts_with("rbd_header.")));

    // Once the clock passes the deferment, a plain remove works.
    env.image(&env.io, "b", MIB);
    d.run(trash::move_image(&env.io, "b", TRASH_IMAGE_SOURCE_USER, 30)).unwrap().unwrap();
    env.dispatcher.set_time(UtcTime::new(T0 + 31, 0));
    d.run(trash::remove(&env.io, "b", false, &quiet)).unwrap().unwrap();
}

#[test]
fn restore_needs_a_free_name_and_an_allowed_source() {
    let env = env();
    let mut d = env.driver();
    env.image(&env.io, "a", MIB);
    env.image(&env.io, "taken", MIB);
    d.run(trash::move_image(&env.io, "a", TRASH_IMAGE_SOURCE_USER, 0)).unwrap().unwrap();
    assert_eq!(d.run(trash::restore(&env.io, "a", "taken", trash::RESTORE_SOURCES)).unwrap(), Err(Errno::EEXIST));
    // The failed restore left the entry usable.
    assert_eq!(d.run(trash::get(&env.io, "a")).unwrap().unwrap().state, TRASH_IMAGE_STATE_NORMAL);
    assert_eq!(d.run(trash::restore(&env.io, "a", "", &[TRASH_IMAGE_SOURCE_MIRRORING])).unwrap(), Err(Errno::EINVAL));
    d.run(trash::restore(&env.io, "a", "back", trash::RESTORE_SOURCES)).unwrap().unwrap();
    let images = d.run(manage::list(&env.io)).unwrap().unwrap();
    assert_eq!(images.get("back").map(String::as_str), Some("a"));
    assert_eq!(d.run(trash::get(&env.io, "a")).unwrap(), Err(Errno::ENOENT));
}

#[test]
fn namespaces_are_busy_while_they_hold_images() {
    let env = env();
    let mut d = env.driver();
    d.run(pool::namespace_create(&env.io, "ns")).unwrap().unwrap();
    assert_eq!(d.run(pool::namespace_create(&env.io, "ns")).unwrap(), Err(Errno::EEXIST));
    assert!(d.run(pool::namespace_exists(&env.io, "ns")).unwrap().unwrap());
    assert!(!d.run(pool::namespace_exists(&env.io, "other")).unwrap().unwrap());
    let ns = env.io.with_pool(env.io.pool, "ns");
    env.image(&ns, "img", MIB);
    assert_eq!(d.run(pool::namespace_remove(&env.io, "ns")).unwrap(), Err(Errno::EBUSY));
    // The refusal put the directory back: images can still be added.
    env.image(&ns, "img2", MIB);
    d.run(manage::remove(&ns, "img")).unwrap().unwrap();
    d.run(manage::remove(&ns, "img2")).unwrap().unwrap();
    d.run(pool::namespace_remove(&env.io, "ns")).unwrap().unwrap();
    assert_eq!(d.run(pool::namespace_list(&env.io)).unwrap().unwrap(), Vec::<String>::new());
    assert_eq!(env.store.list_objects(env.io.pool, "ns").unwrap(), Vec::<String>::new());
}

#[test]
fn stats_count_heads_and_the_largest_snapshot() {
    let env = env();
    let mut d = env.driver();
    env.image(&env.io, "a", 4 * MIB);
    env.image(&env.io, "b", 2 * MIB);
    let flow = async {
        let mut ictx = open(&env.io, "a", None, false).await?;
        snapshot::create(&mut ictx, "s").await?;
        manage::resize(&mut ictx, MIB).await?;
        close(&ictx).await
    };
    d.run(flow).unwrap().unwrap();
    d.run(trash::move_image(&env.io, "b", TRASH_IMAGE_SOURCE_USER, 0)).unwrap().unwrap();
    let ids: Vec<String> = d.run(manage::list(&env.io)).unwrap().unwrap().into_values().collect();
    let stats = d.run(pool::image_stats(&env.io, &ids)).unwrap().unwrap();
    assert_eq!(
        stats,
        pool::ImageStats { images: 1, provisioned_bytes: MIB, max_provisioned_bytes: 4 * MIB, snapshots: 1 }
    );
    let trashed: Vec<String> = d.run(trash::list(&env.io, false)).unwrap().unwrap().into_keys().collect();
    let stats = d.run(pool::image_stats(&env.io, &trashed)).unwrap().unwrap();
    assert_eq!((stats.images, stats.provisioned_bytes), (1, 2 * MIB));
}

#[test]
fn children_are_found_in_every_pool_and_named_from_the_trash() {
    let env = env();
    let mut d = env.driver();
    let other = env.store.create_pool("other").unwrap();
    let other_io = env.io.with_pool(other, "");
    env.image(&env.io, "parent", 4 * MIB);
    let flow = async {
        let mut parent = open(&env.io, "parent", None, false).await?;
        snapshot::create(&mut parent, "s").await?;
        let mut opts = CreateOptions::new(0);
        opts.features = RBD_FEATURE_LAYERING;
        manage::clone(&parent, "s", &other_io, "child", "c1", &opts).await?;
        manage::clone(&parent, "s", &env.io, "child2", "c2", &opts).await?;
        let child = open(&other_io, "child", None, false).await?;
        let mut child = child;
        snapshot::create(&mut child, "g").await?;
        manage::clone(&child, "g", &env.io, "grandchild", "g1", &opts).await?;
        close(&child).await?;
        close(&parent).await
    };
    d.run(flow).unwrap().unwrap();
    d.run(trash::move_image(&env.io, "child2", TRASH_IMAGE_SOURCE_USER, 0)).unwrap().unwrap();
    let flow = async {
        let parent = open(&env.io, "parent", Some("s"), true).await?;
        let direct = list_descendants(&parent, Some(1)).await?;
        let all = list_descendants(&parent, None).await?;
        close(&parent).await?;
        Ok::<_, Errno>((direct, all))
    };
    let (direct, all) = d.run(flow).unwrap().unwrap();
    let names = |list: &[rbdrs_core::image::children::LinkedImage]| {
        list.iter().map(|c| (c.pool_name.clone(), c.image_name.clone(), c.trash)).collect::<Vec<_>>()
    };
    assert_eq!(names(&direct), vec![("other".into(), "child".into(), false), ("rbd".into(), "child2".into(), true)]);
    assert_eq!(
        names(&all),
        vec![
            ("other".into(), "child".into(), false),
            ("rbd".into(), "child2".into(), true),
            ("rbd".into(), "grandchild".into(), false),
        ]
    );
}
