use std::io::Write;
use std::time::Duration;

use rbdrs_core::image::create::{create, CreateOptions};
use rbdrs_core::image::io;
use rbdrs_core::image::open::{close, open};
use rbdrs_core::image::{snapshot, IoCtx};
use rbdrs_core::osd::ClientId;

use super::*;
use crate::runtime::Runtime;

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rbdrs-local-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

const T: Duration = Duration::from_secs(30);

fn io_ctx(runtime: &Runtime, store: &LocalStore) -> IoCtx {
    let pool = store.memstore().lookup_pool(DEFAULT_POOL).unwrap();
    IoCtx::new(runtime.dispatcher.clone(), pool, "", ClientId { global_id: 9, nonce: 1 })
}

#[test]
fn acknowledged_writes_survive_a_reopen_and_a_torn_tail() {
    let dir = temp_dir("reopen");
    {
        let store = LocalStore::open(&dir).unwrap();
        let runtime = Runtime::start(store.clone()).unwrap();
        let io = io_ctx(&runtime, &store);
        let flow = async move {
            create(&io, "disk", "d1", &CreateOptions::new(8 << 20)).await?;
            let mut ictx = open(&io, "disk", None, false).await?;
            io::write(&ictx, 4096, b"persist me").await?;
            snapshot::create(&mut ictx, "s").await?;
            io::write(&ictx, 4096, b"PERSIST ME").await?;
            // No close: the process "dies" with the lock held.
            Ok::<_, Errno>(())
        };
        runtime.block_on(flow, T).unwrap().unwrap();
        runtime.shutdown();
    }
    // A record cut short by a crash mid-append.
    let mut log = OpenOptions::new().append(true).open(dir.join(LOG)).unwrap();
    log.write_all(&[200, 0, 0, 0, 1, 2, 3]).unwrap();
    drop(log);

    let store = LocalStore::open(&dir).unwrap();
    let runtime = Runtime::start(store.clone()).unwrap();
    let io = io_ctx(&runtime, &store);
    let flow = async move {
        // The lock of the dead opener is broken, not waited on.
        let ictx = open(&io, "disk", None, false).await?;
        io::write(&ictx, 0, b"x").await?;
        let head = io::read(&ictx, 4096, 10).await?;
        let at_snap = open(&io, "disk", Some("s"), true).await?;
        let old = io::read(&at_snap, 4096, 10).await?;
        close(&ictx).await?;
        Ok::<_, Errno>((head, old))
    };
    let (head, old) = runtime.block_on(flow, T).unwrap().unwrap();
    assert_eq!(head, b"PERSIST ME");
    assert_eq!(old, b"persist me");
    runtime.shutdown();
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn one_process_shares_one_store() {
    let dir = temp_dir("share");
    let a = LocalStore::open(&dir).unwrap();
    let b = LocalStore::open(&dir).unwrap();
    assert!(Arc::ptr_eq(&a, &b));
    drop((a, b));
    let _ = std::fs::remove_dir_all(&dir);
}
