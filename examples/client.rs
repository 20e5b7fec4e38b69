//! The Rust API in a page: on the embedded store (or the cluster that
//! ceph.conf names), create an image, write and read it, snapshot it,
//! clone the snapshot and flatten the clone, then clean up.
//!
//!     cargo run -p rbdrs-examples --bin client -- [STORE_DIR]
//!
//! With no directory it uses the cluster from CEPH_CONF / ceph.conf.

use std::process::ExitCode;

use rbdrs_client::{Errno, Image, ImageOptions, Rados};

fn run(store: Option<String>) -> Result<(), Errno> {
    let rados = Rados::new(None); // client.admin, CEPH_ARGS applied
    {
        let mut config = rados.config()?;
        match &store {
            Some(dir) => config.set("rbdrs_local_store", dir)?,
            None => config.read_file(None)?,
        }
    }
    rados.connect()?;
    let io = rados.ioctx("rbd")?;

    let options = ImageOptions { order: Some(22), ..Default::default() };
    io.create_image("example", 64 << 20, &options)?;
    let image = Image::open(&io, "example", None, false)?;
    image.write(0, b"written through rbdrs_client")?;
    image.write_same(8 << 20, 1 << 20, &[0xab; 512])?;
    image.flush()?;

    image.snap_create("v1")?;
    image.write(0, b"changed after the snapshot ")?;
    image.snap_protect("v1")?;
    io.clone_image(&io, "example", "v1", "example-clone", &ImageOptions::default())?;

    // The clone shows the snapshot, not the head.
    let clone = Image::open(&io, "example-clone", None, false)?;
    assert_eq!(clone.read(0, 28)?, b"written through rbdrs_client");
    clone.flatten()?;
    println!("clone {:?}: {} bytes, parent {:?}", "example-clone", clone.size()?, clone.parent()?);

    // Async IO: a Task is a future any executor can await; here we wait.
    let pending: Vec<_> = (0..8u64).map(|i| clone.write_async(i << 20, vec![i as u8; 4096])).collect();
    for task in pending {
        task.wait(std::time::Duration::from_secs(30))?;
    }
    clone.close()?;

    for snap in image.snap_list()? {
        println!("snapshot {} (id {}): {} bytes", snap.name, snap.id, snap.size);
    }
    println!("images: {:?}", io.list_images()?.keys().collect::<Vec<_>>());
    io.remove_image("example-clone")?;
    image.snap_unprotect("v1")?;
    image.snap_remove("v1")?;
    image.close()?;
    io.remove_image("example")
}

fn main() -> ExitCode {
    match run(std::env::args().nth(1)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("client example failed: {e}");
            ExitCode::FAILURE
        }
    }
}
