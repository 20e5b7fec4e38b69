//! cls_rbd: the object class holding RBD's metadata.
//!
//! - [`types`]: the encoded structs both sides share (cls_rbd.h,
//!   cls_rbd_types.h) and the feature, flag and status constants.
//! - [`client`]: what librbd's cls_rbd_client.cc does: each method appends
//!   an exec op with its input encoded, and `*_finish` decodes the output.
//! - [`server`]: what cls_rbd.cc does on an OSD, registered into a
//!   [`crate::memstore::ClassRegistry`] so the in-memory store answers it.
//!
//! Objects: `rbd_id.<name>` (get_id/set_id), `rbd_directory` (dir_*),
//! `rbd_header.<id>` (everything else), `rbd_children` (legacy clones).

pub mod client;
pub mod feature_state;
pub mod object_map;
pub mod server;
pub mod types;

#[cfg(test)]
mod tests;
