//! cls_rbd: RBD's object class.

pub mod copyup;
pub mod object_map;
