//! CRUSH: the map that places placement groups on OSDs, and the mapper
//! that computes a placement, as Ceph's src/crush does.
//!
//! - [`CrushMap::decode`] reads the encoding `ceph osd getcrushmap` writes
//!   (and an OSDMap embeds): buckets of every algorithm (uniform, list,
//!   tree, straw, straw2), rules, tunables and choose_args.
//! - [`CrushMap::do_rule`] is `crush_do_rule`: rule steps take,
//!   choose/chooseleaf firstn/indep, emit and the set_* tunables steps.
//! - [`hash`] has the rjenkins hashes; [`crush_ln`] straw2's logarithm.

pub mod hash;
mod ln;
mod map;
mod mapper;

pub use ln::crush_ln;
pub use map::{
    op, Bucket, BucketKind, ChooseArg, ChooseArgMap, CrushMap, Rule, RuleStep, Tunables, BUCKET_LIST, BUCKET_STRAW,
    BUCKET_STRAW2, BUCKET_TREE, BUCKET_UNIFORM, CRUSH_MAGIC, DEFAULT_CHOOSE_ARGS,
};
pub use mapper::{CRUSH_ITEM_NONE, CRUSH_ITEM_UNDEF};

#[cfg(test)]
mod tests;
