//! The client side of cls_rbd (cls_rbd_client.cc): each `foo` appends an
//! `rbd.foo` exec op with its input encoded as librbd encodes it, and
//! `foo_finish` decodes that op's output. Outputs must be consumed whole,
//! except where older OSDs answered shorter and librbd copes.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::vec::Vec;

use bytes::Bytes;

use super::feature_state::{GroupSpec, MirrorImage, MirrorPeer};
use super::types::{ChildImageSpec, ParentImageSpec, SnapshotInfo, SnapshotNamespace, TrashImageSpec};
use crate::encoding::{decode_exact, Decode, DecodeError, Decoder, Encode, UtcTime};
use crate::osd::{ObjectOperation, SnapContext, SnapId};

/// The class every method here belongs to.
pub const CLASS: &str = "rbd";

fn exec(op: &mut ObjectOperation, method: &'static str, input: Vec<u8>) {
    op.call(CLASS, method, Bytes::from(input));
}

/// Encodes the arguments in order, as the upstream `*_start` does.
macro_rules! input {
    ($($arg:expr),* $(,)?) => {{
        #[allow(unused_mut)]
        let mut bl = Vec::new();
        $(Encode::encode(&$arg, &mut bl);)*
        bl
    }};
}

/// Decodes with `body` and insists every byte was used.
fn finish<'a, T>(
    out: &'a [u8],
    body: impl FnOnce(&mut Decoder<'a>) -> Result<T, DecodeError>,
) -> Result<T, DecodeError> {
    let mut d = Decoder::new(out);
    let value = body(&mut d)?;
    d.finish()?;
    Ok(value)
}

/// What get_features answers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Features {
    pub features: u64,
    /// The enabled features this kind of open (read-only or not) must know.
    pub incompatible: u64,
}

/// What get_size answers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImageSize {
    pub order: u8,
    pub size: u64,
}

/// What get_stripe_unit_count answers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StripeUnitCount {
    pub stripe_unit: u64,
    pub stripe_count: u64,
}

/// What the legacy get_parent answers (no pool namespace).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LegacyParent {
    pub spec: ParentImageSpec,
    pub overlap: u64,
}

// ---------------------------------------------------------------- rbd_id.<name>

pub fn get_id(op: &mut ObjectOperation) {
    exec(op, "get_id", input!());
}

pub fn get_id_finish(out: &[u8]) -> Result<String, DecodeError> {
    decode_exact(out)
}

pub fn set_id(op: &mut ObjectOperation, id: &str) {
    exec(op, "set_id", input!(id));
}

// ---------------------------------------------------------------- rbd_directory

pub fn dir_add_image(op: &mut ObjectOperation, name: &str, id: &str) {
    exec(op, "dir_add_image", input!(name, id));
}

pub fn dir_remove_image(op: &mut ObjectOperation, name: &str, id: &str) {
    exec(op, "dir_remove_image", input!(name, id));
}

pub fn dir_rename_image(op: &mut ObjectOperation, src: &str, dest: &str, id: &str) {
    exec(op, "dir_rename_image", input!(src, dest, id));
}

pub fn dir_get_id(op: &mut ObjectOperation, name: &str) {
    exec(op, "dir_get_id", input!(name));
}

pub fn dir_get_id_finish(out: &[u8]) -> Result<String, DecodeError> {
    decode_exact(out)
}

pub fn dir_get_name(op: &mut ObjectOperation, id: &str) {
    exec(op, "dir_get_name", input!(id));
}

pub fn dir_get_name_finish(out: &[u8]) -> Result<String, DecodeError> {
    decode_exact(out)
}

/// Up to `max_return` images named after `start` (exclusive), by name.
pub fn dir_list(op: &mut ObjectOperation, start: &str, max_return: u64) {
    exec(op, "dir_list", input!(start, max_return));
}

/// Name -> id.
pub fn dir_list_finish(out: &[u8]) -> Result<BTreeMap<String, String>, DecodeError> {
    decode_exact(out)
}

// ---------------------------------------------------------------- header: basics

/// Creates the header (librbd's create_image). `data_pool_id` is -1
/// unless RBD_FEATURE_DATA_POOL is set.
pub fn create(op: &mut ObjectOperation, size: u64, order: u8, features: u64, object_prefix: &str, data_pool_id: i64) {
    exec(op, "create", input!(size, order, features, object_prefix, data_pool_id));
}

/// Like librbd, asks about the head (features are no longer per snapshot).
pub fn get_features(op: &mut ObjectOperation, read_only: bool) {
    exec(op, "get_features", input!(SnapId::HEAD.0, read_only));
}

/// OSDs before Luminous answered without the incompatible mask; it is 0 then.
pub fn get_features_finish(out: &[u8]) -> Result<Features, DecodeError> {
    finish(out, |d| {
        let features = d.u64()?;
        let incompatible = if d.is_empty() { 0 } else { d.u64()? };
        Ok(Features { features, incompatible })
    })
}

pub fn set_features(op: &mut ObjectOperation, features: u64, mask: u64) {
    exec(op, "set_features", input!(features, mask));
}

pub fn get_size(op: &mut ObjectOperation, snap_id: SnapId) {
    exec(op, "get_size", input!(snap_id.0));
}

pub fn get_size_finish(out: &[u8]) -> Result<ImageSize, DecodeError> {
    finish(out, |d| Ok(ImageSize { order: d.u8()?, size: d.u64()? }))
}

pub fn set_size(op: &mut ObjectOperation, size: u64) {
    exec(op, "set_size", input!(size));
}

pub fn get_object_prefix(op: &mut ObjectOperation) {
    exec(op, "get_object_prefix", input!());
}

pub fn get_object_prefix_finish(out: &[u8]) -> Result<String, DecodeError> {
    decode_exact(out)
}

pub fn get_data_pool(op: &mut ObjectOperation) {
    exec(op, "get_data_pool", input!());
}

/// The data pool id, or -1 when data lives in the header's pool.
pub fn get_data_pool_finish(out: &[u8]) -> Result<i64, DecodeError> {
    decode_exact(out)
}

pub fn get_stripe_unit_count(op: &mut ObjectOperation) {
    exec(op, "get_stripe_unit_count", input!());
}

pub fn get_stripe_unit_count_finish(out: &[u8]) -> Result<StripeUnitCount, DecodeError> {
    finish(out, |d| Ok(StripeUnitCount { stripe_unit: d.u64()?, stripe_count: d.u64()? }))
}

pub fn set_stripe_unit_count(op: &mut ObjectOperation, stripe_unit: u64, stripe_count: u64) {
    exec(op, "set_stripe_unit_count", input!(stripe_unit, stripe_count));
}

pub fn get_flags(op: &mut ObjectOperation, snap_id: SnapId) {
    exec(op, "get_flags", input!(snap_id.0));
}

pub fn get_flags_finish(out: &[u8]) -> Result<u64, DecodeError> {
    decode_exact(out)
}

pub fn set_flags(op: &mut ObjectOperation, snap_id: SnapId, flags: u64, mask: u64) {
    exec(op, "set_flags", input!(flags, mask, snap_id.0));
}

pub fn get_create_timestamp(op: &mut ObjectOperation) {
    exec(op, "get_create_timestamp", input!());
}

pub fn get_create_timestamp_finish(out: &[u8]) -> Result<UtcTime, DecodeError> {
    decode_exact(out)
}

pub fn get_access_timestamp(op: &mut ObjectOperation) {
    exec(op, "get_access_timestamp", input!());
}

pub fn get_access_timestamp_finish(out: &[u8]) -> Result<UtcTime, DecodeError> {
    decode_exact(out)
}

pub fn get_modify_timestamp(op: &mut ObjectOperation) {
    exec(op, "get_modify_timestamp", input!());
}

pub fn get_modify_timestamp_finish(out: &[u8]) -> Result<UtcTime, DecodeError> {
    decode_exact(out)
}

pub fn set_access_timestamp(op: &mut ObjectOperation) {
    exec(op, "set_access_timestamp", input!());
}

pub fn set_modify_timestamp(op: &mut ObjectOperation) {
    exec(op, "set_modify_timestamp", input!());
}

pub fn op_features_get(op: &mut ObjectOperation) {
    exec(op, "op_features_get", input!());
}

pub fn op_features_get_finish(out: &[u8]) -> Result<u64, DecodeError> {
    decode_exact(out)
}

pub fn op_features_set(op: &mut ObjectOperation, op_features: u64, mask: u64) {
    exec(op, "op_features_set", input!(op_features, mask));
}

pub fn get_all_features(op: &mut ObjectOperation) {
    exec(op, "get_all_features", input!());
}

pub fn get_all_features_finish(out: &[u8]) -> Result<u64, DecodeError> {
    decode_exact(out)
}

// ---------------------------------------------------------------- snapshots

pub fn get_snapcontext(op: &mut ObjectOperation) {
    exec(op, "get_snapcontext", input!());
}

/// Like librbd, refuses a context whose ids are not strictly descending
/// and at most the seq.
pub fn get_snapcontext_finish(out: &[u8]) -> Result<SnapContext, DecodeError> {
    let snapc: SnapContext = decode_exact(out)?;
    if !snapc.is_valid() {
        return Err(DecodeError::Invalid("snap context"));
    }
    Ok(snapc)
}

pub fn snapshot_add(op: &mut ObjectOperation, snap_id: SnapId, name: &str, namespace: &SnapshotNamespace) {
    exec(op, "snapshot_add", input!(name, snap_id.0, namespace));
}

pub fn snapshot_remove(op: &mut ObjectOperation, snap_id: SnapId) {
    exec(op, "snapshot_remove", input!(snap_id.0));
}

pub fn snapshot_rename(op: &mut ObjectOperation, snap_id: SnapId, dst_name: &str) {
    exec(op, "snapshot_rename", input!(snap_id.0, dst_name));
}

/// Moves a snapshot to the trash namespace (it stays until its clones go).
pub fn snapshot_trash_add(op: &mut ObjectOperation, snap_id: SnapId) {
    exec(op, "snapshot_trash_add", input!(snap_id.0));
}

pub fn snapshot_get(op: &mut ObjectOperation, snap_id: SnapId) {
    exec(op, "snapshot_get", input!(snap_id.0));
}

pub fn snapshot_get_finish(out: &[u8]) -> Result<SnapshotInfo, DecodeError> {
    decode_exact(out)
}

pub fn get_snapshot_name(op: &mut ObjectOperation, snap_id: SnapId) {
    exec(op, "get_snapshot_name", input!(snap_id.0));
}

pub fn get_snapshot_name_finish(out: &[u8]) -> Result<String, DecodeError> {
    decode_exact(out)
}

pub fn get_snapshot_timestamp(op: &mut ObjectOperation, snap_id: SnapId) {
    exec(op, "get_snapshot_timestamp", input!(snap_id.0));
}

pub fn get_snapshot_timestamp_finish(out: &[u8]) -> Result<UtcTime, DecodeError> {
    decode_exact(out)
}

pub fn get_protection_status(op: &mut ObjectOperation, snap_id: SnapId) {
    exec(op, "get_protection_status", input!(snap_id.0));
}

/// One of the RBD_PROTECTION_STATUS_* values (not checked, as in librbd).
pub fn get_protection_status_finish(out: &[u8]) -> Result<u8, DecodeError> {
    decode_exact(out)
}

pub fn set_protection_status(op: &mut ObjectOperation, snap_id: SnapId, status: u8) {
    exec(op, "set_protection_status", input!(snap_id.0, status));
}

pub fn snapshot_get_limit(op: &mut ObjectOperation) {
    exec(op, "snapshot_get_limit", input!());
}

/// u64::MAX when no limit is set.
pub fn snapshot_get_limit_finish(out: &[u8]) -> Result<u64, DecodeError> {
    decode_exact(out)
}

/// u64::MAX removes the limit.
pub fn snapshot_set_limit(op: &mut ObjectOperation, limit: u64) {
    exec(op, "snapshot_set_limit", input!(limit));
}

// ---------------------------------------------------------------- layering

pub fn parent_get(op: &mut ObjectOperation) {
    exec(op, "parent_get", input!());
}

/// A spec that does not `exists()` means no parent.
pub fn parent_get_finish(out: &[u8]) -> Result<ParentImageSpec, DecodeError> {
    decode_exact(out)
}

pub fn parent_overlap_get(op: &mut ObjectOperation, snap_id: SnapId) {
    exec(op, "parent_overlap_get", input!(snap_id.0));
}

/// None when that revision of the image has no parent.
pub fn parent_overlap_get_finish(out: &[u8]) -> Result<Option<u64>, DecodeError> {
    decode_exact(out)
}

pub fn parent_attach(op: &mut ObjectOperation, spec: &ParentImageSpec, overlap: u64, reattach: bool) {
    exec(op, "parent_attach", input!(spec, overlap, reattach));
}

pub fn parent_detach(op: &mut ObjectOperation) {
    exec(op, "parent_detach", input!());
}

/// Legacy: the parent as of `snap_id`; refused (-EXDEV) for a parent in
/// another pool namespace.
pub fn get_parent(op: &mut ObjectOperation, snap_id: SnapId) {
    exec(op, "get_parent", input!(snap_id.0));
}

pub fn get_parent_finish(out: &[u8]) -> Result<LegacyParent, DecodeError> {
    finish(out, |d| {
        let spec = ParentImageSpec {
            pool_id: d.i64()?,
            pool_namespace: String::new(),
            image_id: d.string()?,
            snap_id: SnapId(d.u64()?),
        };
        Ok(LegacyParent { spec, overlap: d.u64()? })
    })
}

/// Legacy set_parent; its encoding has no room for a pool namespace.
pub fn set_parent(op: &mut ObjectOperation, pool_id: i64, image_id: &str, snap_id: SnapId, overlap: u64) {
    exec(op, "set_parent", input!(pool_id, image_id, snap_id.0, overlap));
}

pub fn remove_parent(op: &mut ObjectOperation) {
    exec(op, "remove_parent", input!());
}

/// On the parent's header: records a clone of `snap_id`.
pub fn child_attach(op: &mut ObjectOperation, snap_id: SnapId, child: &ChildImageSpec) {
    exec(op, "child_attach", input!(snap_id.0, child));
}

pub fn child_detach(op: &mut ObjectOperation, snap_id: SnapId, child: &ChildImageSpec) {
    exec(op, "child_detach", input!(snap_id.0, child));
}

pub fn children_list(op: &mut ObjectOperation, snap_id: SnapId) {
    exec(op, "children_list", input!(snap_id.0));
}

pub fn children_list_finish(out: &[u8]) -> Result<BTreeSet<ChildImageSpec>, DecodeError> {
    decode_exact(out)
}

/// On `rbd_children` (legacy clones): records `child_id` as a clone of the
/// parent snapshot.
pub fn add_child(op: &mut ObjectOperation, pool_id: i64, image_id: &str, snap_id: SnapId, child_id: &str) {
    exec(op, "add_child", input!(pool_id, image_id, snap_id.0, child_id));
}

pub fn remove_child(op: &mut ObjectOperation, pool_id: i64, image_id: &str, snap_id: SnapId, child_id: &str) {
    exec(op, "remove_child", input!(pool_id, image_id, snap_id.0, child_id));
}

pub fn get_children(op: &mut ObjectOperation, pool_id: i64, image_id: &str, snap_id: SnapId) {
    exec(op, "get_children", input!(pool_id, image_id, snap_id.0));
}

/// Child image ids.
pub fn get_children_finish(out: &[u8]) -> Result<BTreeSet<String>, DecodeError> {
    decode_exact(out)
}

// ---------------------------------------------------------------- metadata

pub fn metadata_set(op: &mut ObjectOperation, data: &BTreeMap<String, Bytes>) {
    exec(op, "metadata_set", input!(data));
}

pub fn metadata_remove(op: &mut ObjectOperation, key: &str) {
    exec(op, "metadata_remove", input!(key));
}

/// Up to `max_return` keys after `start` (exclusive); 0 means 64.
pub fn metadata_list(op: &mut ObjectOperation, start: &str, max_return: u64) {
    exec(op, "metadata_list", input!(start, max_return));
}

pub fn metadata_list_finish(out: &[u8]) -> Result<BTreeMap<String, Bytes>, DecodeError> {
    decode_exact(out)
}

pub fn metadata_get(op: &mut ObjectOperation, key: &str) {
    exec(op, "metadata_get", input!(key));
}

/// The value's bytes (librbd reads them into a string).
pub fn metadata_get_finish(out: &[u8]) -> Result<Bytes, DecodeError> {
    decode_exact(out)
}

// ---------------------------------------------------------------- data objects

/// Writes `data` at offset 0 unless the object exists (copy-on-write).
pub fn copyup(op: &mut ObjectOperation, data: Bytes) {
    op.call(CLASS, "copyup", data);
}

/// Like copyup, with only the allocated extents (offset -> length) of the
/// parent's data, back to back in `data`.
pub fn sparse_copyup(op: &mut ObjectOperation, extent_map: &BTreeMap<u64, u64>, data: &[u8]) {
    exec(op, "sparse_copyup", input!(extent_map, data));
}

// ---------------------------------------------------------------- rbd_trash

pub fn trash_add(op: &mut ObjectOperation, id: &str, spec: &TrashImageSpec) {
    exec(op, "trash_add", input!(id, spec));
}

pub fn trash_remove(op: &mut ObjectOperation, id: &str) {
    exec(op, "trash_remove", input!(id));
}

/// Up to `max_return` entries with ids after `start` (exclusive).
pub fn trash_list(op: &mut ObjectOperation, start: &str, max_return: u64) {
    exec(op, "trash_list", input!(start, max_return));
}

/// Image id -> its trash entry.
pub fn trash_list_finish(out: &[u8]) -> Result<BTreeMap<String, TrashImageSpec>, DecodeError> {
    decode_exact(out)
}

pub fn trash_get(op: &mut ObjectOperation, id: &str) {
    exec(op, "trash_get", input!(id));
}

pub fn trash_get_finish(out: &[u8]) -> Result<TrashImageSpec, DecodeError> {
    decode_exact(out)
}

/// Moves the entry to `state` if it is in `expect` (-ESTALE otherwise,
/// unless it is in `state` already).
pub fn trash_state_set(op: &mut ObjectOperation, id: &str, state: u8, expect: u8) {
    exec(op, "trash_state_set", input!(id, state, expect));
}

// ---------------------------------------------------------------- rbd_namespace

pub fn namespace_add(op: &mut ObjectOperation, name: &str) {
    exec(op, "namespace_add", input!(name));
}

pub fn namespace_remove(op: &mut ObjectOperation, name: &str) {
    exec(op, "namespace_remove", input!(name));
}

pub fn namespace_list(op: &mut ObjectOperation, start: &str, max_return: u64) {
    exec(op, "namespace_list", input!(start, max_return));
}

/// The names, in order (upstream's std::list<string>).
pub fn namespace_list_finish(out: &[u8]) -> Result<Vec<String>, DecodeError> {
    decode_exact(out)
}

/// DirectoryState: READY (0) or ADD_DISABLED (1), on a namespace's rbd_directory.
pub fn dir_state_set(op: &mut ObjectOperation, state: u8) {
    exec(op, "dir_state_set", input!(state));
}

pub fn dir_state_assert(op: &mut ObjectOperation, state: u8) {
    exec(op, "dir_state_assert", input!(state));
}

// ---------------------------------------------------------------- mirroring, groups, migration
// librbdrs reads these to answer truthfully; it never turns the features on.

/// On `rbd_mirroring`; -ENOENT there means mirroring was never enabled
/// (librbd reads that as MIRROR_MODE_DISABLED).
pub fn mirror_mode_get(op: &mut ObjectOperation) {
    exec(op, "mirror_mode_get", input!());
}

/// One of the MIRROR_MODE_* values.
pub fn mirror_mode_get_finish(out: &[u8]) -> Result<u32, DecodeError> {
    decode_exact(out)
}

/// On `rbd_mirroring`; -ENOENT when the pool has no mirror uuid.
pub fn mirror_uuid_get(op: &mut ObjectOperation) {
    exec(op, "mirror_uuid_get", input!());
}

pub fn mirror_uuid_get_finish(out: &[u8]) -> Result<String, DecodeError> {
    decode_exact(out)
}

/// On `rbd_mirroring`: the image's record; -ENOENT when it has none.
pub fn mirror_image_get(op: &mut ObjectOperation, image_id: &str) {
    exec(op, "mirror_image_get", input!(image_id));
}

pub fn mirror_image_get_finish(out: &[u8]) -> Result<MirrorImage, DecodeError> {
    decode_exact(out)
}

/// On `rbd_group_directory`: up to `max_return` groups named after `start`.
pub fn group_dir_list(op: &mut ObjectOperation, start: &str, max_return: u64) {
    exec(op, "group_dir_list", input!(start, max_return));
}

/// Name -> id.
pub fn group_dir_list_finish(out: &[u8]) -> Result<BTreeMap<String, String>, DecodeError> {
    decode_exact(out)
}

/// On the header: the image's group (an invalid spec when none).
pub fn image_group_get(op: &mut ObjectOperation) {
    exec(op, "image_group_get", input!());
}

pub fn image_group_get_finish(out: &[u8]) -> Result<GroupSpec, DecodeError> {
    decode_exact(out)
}

/// On the header: the migration record; -EINVAL when the image is not
/// migrating. librbdrs only looks at whether it succeeds.
pub fn migration_get(op: &mut ObjectOperation) {
    exec(op, "migration_get", input!());
}

/// On `rbd_mirroring`: every peer (-ENOENT when mirroring never ran).
pub fn mirror_peer_list(op: &mut ObjectOperation) {
    exec(op, "mirror_peer_list", input!());
}

/// A vector<MirrorPeer>.
pub fn mirror_peer_list_finish(out: &[u8]) -> Result<Vec<MirrorPeer>, DecodeError> {
    finish(out, |d| (0..d.count(<MirrorPeer as Decode>::MIN_LEN)?).map(|_| d.decode()).collect())
}
