//! Object classes: the methods OSDs run on RBD's objects (cls_rbd), as the
//! client calls them (encoded into [`crate::osd::OpKind::Call`] ops) and as
//! the in-memory store answers them.

pub mod rbd;
