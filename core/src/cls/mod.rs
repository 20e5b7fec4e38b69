//! Object classes: the methods OSDs run on RBD's objects (cls_rbd), as the
//! client calls them (encoded into [`crate::osd::OpKind::Call`] ops) and as
//! the in-memory store answers them.

pub mod lock;
pub mod rbd;

use crate::memstore::ClassRegistry;

/// Registers every class this library serves, for a store that must
/// answer like an OSD with cls_rbd and cls_lock loaded.
pub fn register_all(reg: &mut ClassRegistry) {
    rbd::server::register(reg);
    rbd::object_map::register(reg);
    lock::server::register(reg);
}
