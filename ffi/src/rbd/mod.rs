//! librbd's C API: image handles (rbd_image_t) and what runs on them.

pub mod admin;
mod completion;
pub mod features;
pub mod image;
pub mod image_info;
pub mod io;
pub mod iterate;
pub mod lock;
pub mod metadata;
pub mod open_ext;
pub mod progress;
pub mod snap;
// Pool-level: trash, namespaces, pool metadata/config/stats, copies, children.
pub mod children;
pub mod copy;
pub mod pool;
pub mod snap_ext;
pub mod trash;

use crate::types::*;
use std::collections::VecDeque;
use std::ffi::c_void;
use std::fs::File;
use std::io::Write;
use std::mem::ManuallyDrop;
use std::os::fd::FromRawFd;
use std::sync::{Arc, Mutex};

use rbdrs_client::proto::Errno;

use crate::handle::{self, c_handle, Magic};

pub use completion::Completion;

/// EVENT_TYPE_PIPE / EVENT_TYPE_EVENTFD for rbd_set_image_notification.
pub const EVENT_TYPE_PIPE: i32 = 1;
pub const EVENT_TYPE_EVENTFD: i32 = 2;

/// Completions waiting for rbd_poll_io_events, and how to tell the caller.
#[derive(Debug, Default)]
pub struct Events {
    notify: Mutex<Option<(i32, i32)>>,
    queue: Mutex<VecDeque<usize>>,
}

impl Events {
    /// Queues a finished completion when the caller polls for them, and
    /// signals its fd once per completion.
    fn push(&self, handle: *mut c_void) {
        let Ok(notify) = self.notify.lock() else {
            return;
        };
        let Some((fd, kind)) = *notify else { return };
        if let Ok(mut queue) = self.queue.lock() {
            queue.push_back(handle as usize);
        }
        // SAFETY: the caller gave us this fd to signal and keeps it open;
        // ManuallyDrop leaves it open.
        let file = ManuallyDrop::new(unsafe { File::from_raw_fd(fd) });
        let _ = match kind {
            EVENT_TYPE_EVENTFD => (&*file).write_all(&1u64.to_ne_bytes()),
            _ => (&*file).write_all(b"i"),
        };
    }

    fn pop(&self) -> Option<*mut c_void> {
        self.queue.lock().ok()?.pop_front().map(|p| p as *mut c_void)
    }
}

/// rbd_image_t: an open image and the poll queue C may ask for.
pub struct Image {
    magic: Magic,
    pub image: rbdrs_client::Image,
    pub events: Arc<Events>,
}

c_handle!(Image, 0x7262_6472_7369_6d67); // "rbdrsimg"

impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Image").finish_non_exhaustive()
    }
}

impl std::ops::Deref for Image {
    type Target = rbdrs_client::Image;

    fn deref(&self) -> &rbdrs_client::Image {
        &self.image
    }
}

impl Image {
    fn give(image: rbdrs_client::Image) -> rbd_image_t {
        handle::give(Image { magic: Magic::of::<Image>(), image, events: Default::default() })
    }
}

/// Borrows an image handle.
///
/// # Safety
/// `ptr` is NULL or an rbd_image_t from rbd_open not yet closed.
pub(crate) unsafe fn image<'a>(ptr: rbd_image_t) -> Result<&'a Image, Errno> {
    // SAFETY: forwarded contract.
    unsafe { handle::borrow(ptr) }
}

mod cstring;
pub mod group;
pub mod migration;
pub mod mirror;
pub mod mirror_image;
pub mod quiesce;
mod token;
