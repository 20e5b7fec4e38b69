//! The server side of cls_rbd (cls_rbd.cc) for the in-memory store: the
//! same omap keys and encodings on the header, directory and id objects,
//! the same checks and the same error codes. It behaves as on OSDs whose
//! required release is Nautilus or later (parent links kept normalized in
//! the header's "parent" key). Format 1 headers are not served.

mod directory;
mod feature_state;
mod header;
mod layering;
mod snapshot;
mod trash;

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use bytes::Bytes;

use super::types::{ClsRbdParent, ClsRbdSnap, RBD_FEATURE_OPERATIONS};
use crate::encoding::{encode_to_vec, Decode, DecodeError, Decoder, Encode};
use crate::memstore::{ClassMethod, ClassRegistry, MethodContext, MethodFlags};
use crate::Errno;

type Ctx<'a, 'b> = &'a mut MethodContext<'b>;
type Result<T> = core::result::Result<T, Errno>;

/// Every method this server answers, with upstream's flags.
pub const METHODS: &[(&str, MethodFlags, ClassMethod)] = &[
    // rbd_id.<name>
    ("get_id", MethodFlags::RD, directory::get_id),
    ("set_id", MethodFlags::RDWR, directory::set_id),
    // rbd_directory
    ("dir_get_id", MethodFlags::RD, directory::dir_get_id),
    ("dir_get_name", MethodFlags::RD, directory::dir_get_name),
    ("dir_list", MethodFlags::RD, directory::dir_list),
    ("dir_add_image", MethodFlags::RDWR, directory::dir_add_image),
    ("dir_remove_image", MethodFlags::RDWR, directory::dir_remove_image),
    ("dir_rename_image", MethodFlags::RDWR, directory::dir_rename_image),
    // header
    ("create", MethodFlags::RDWR, header::create),
    ("get_features", MethodFlags::RD, header::get_features),
    ("set_features", MethodFlags::RDWR, header::set_features),
    ("get_size", MethodFlags::RD, header::get_size),
    ("set_size", MethodFlags::RDWR, header::set_size),
    ("get_object_prefix", MethodFlags::RD, header::get_object_prefix),
    ("get_data_pool", MethodFlags::RD, header::get_data_pool),
    ("get_stripe_unit_count", MethodFlags::RD, header::get_stripe_unit_count),
    ("set_stripe_unit_count", MethodFlags::RDWR, header::set_stripe_unit_count),
    ("get_flags", MethodFlags::RD, header::get_flags),
    ("set_flags", MethodFlags::RDWR, header::set_flags),
    ("get_create_timestamp", MethodFlags::RD, header::get_create_timestamp),
    ("get_access_timestamp", MethodFlags::RD, header::get_access_timestamp),
    ("get_modify_timestamp", MethodFlags::RD, header::get_modify_timestamp),
    ("set_access_timestamp", MethodFlags::RDWR, header::set_access_timestamp),
    ("set_modify_timestamp", MethodFlags::RDWR, header::set_modify_timestamp),
    ("op_features_get", MethodFlags::RD, header::op_features_get),
    ("op_features_set", MethodFlags::RDWR, header::op_features_set),
    ("get_all_features", MethodFlags::RD, header::get_all_features),
    ("metadata_set", MethodFlags::RDWR, header::metadata_set),
    ("metadata_remove", MethodFlags::RDWR, header::metadata_remove),
    ("metadata_list", MethodFlags::RD, header::metadata_list),
    ("metadata_get", MethodFlags::RD, header::metadata_get),
    // snapshots
    ("get_snapcontext", MethodFlags::RD, snapshot::get_snapcontext),
    ("snapshot_add", MethodFlags::RDWR, snapshot::snapshot_add),
    ("snapshot_remove", MethodFlags::RDWR, snapshot::snapshot_remove),
    ("snapshot_rename", MethodFlags::RDWR, snapshot::snapshot_rename),
    ("snapshot_trash_add", MethodFlags::RDWR, snapshot::snapshot_trash_add),
    ("snapshot_get", MethodFlags::RD, snapshot::snapshot_get),
    ("get_snapshot_name", MethodFlags::RD, snapshot::get_snapshot_name),
    ("get_snapshot_timestamp", MethodFlags::RD, snapshot::get_snapshot_timestamp),
    ("get_protection_status", MethodFlags::RD, snapshot::get_protection_status),
    ("set_protection_status", MethodFlags::RDWR, snapshot::set_protection_status),
    ("snapshot_get_limit", MethodFlags::RD, snapshot::snapshot_get_limit),
    ("snapshot_set_limit", MethodFlags::RDWR, snapshot::snapshot_set_limit),
    // layering
    ("parent_get", MethodFlags::RD, layering::parent_get),
    ("parent_overlap_get", MethodFlags::RD, layering::parent_overlap_get),
    ("parent_attach", MethodFlags::RDWR, layering::parent_attach),
    ("parent_detach", MethodFlags::RDWR, layering::parent_detach),
    ("get_parent", MethodFlags::RD, layering::get_parent),
    ("set_parent", MethodFlags::RDWR, layering::set_parent),
    ("remove_parent", MethodFlags::RDWR, layering::remove_parent),
    ("child_attach", MethodFlags::RDWR, layering::child_attach),
    ("child_detach", MethodFlags::RDWR, layering::child_detach),
    ("children_list", MethodFlags::RD, layering::children_list),
    ("add_child", MethodFlags::RDWR, layering::add_child),
    ("remove_child", MethodFlags::RDWR, layering::remove_child),
    ("get_children", MethodFlags::RD, layering::get_children),
    // data objects
    ("copyup", MethodFlags::RDWR, layering::copyup),
    ("sparse_copyup", MethodFlags::RDWR, layering::sparse_copyup),
    // rbd_trash
    ("trash_add", MethodFlags::RDWR, trash::trash_add),
    ("trash_remove", MethodFlags::RDWR, trash::trash_remove),
    ("trash_list", MethodFlags::RD, trash::trash_list),
    ("trash_get", MethodFlags::RD, trash::trash_get),
    ("trash_state_set", MethodFlags::RDWR, trash::trash_state_set),
    // rbd_namespace
    ("namespace_add", MethodFlags::RDWR, trash::namespace_add),
    ("namespace_remove", MethodFlags::RDWR, trash::namespace_remove),
    ("namespace_list", MethodFlags::RD, trash::namespace_list),
    ("dir_state_assert", MethodFlags::RD, trash::dir_state_assert),
    ("dir_state_set", MethodFlags::RDWR, trash::dir_state_set),
    // mirroring, groups, migration: reads only
    ("mirror_mode_get", MethodFlags::RD, feature_state::mirror_mode_get),
    ("mirror_uuid_get", MethodFlags::RD, feature_state::mirror_uuid_get),
    ("mirror_image_get", MethodFlags::RD, feature_state::mirror_image_get),
    ("mirror_peer_list", MethodFlags::RD, feature_state::mirror_peer_list),
    ("group_dir_list", MethodFlags::RD, feature_state::group_dir_list),
    ("image_group_get", MethodFlags::RD, feature_state::image_group_get),
    ("migration_get", MethodFlags::RD, feature_state::migration_get),
];

/// Registers every cls_rbd method this server answers under class "rbd".
pub fn register(reg: &mut ClassRegistry) {
    for &(method, flags, handler) in METHODS {
        reg.register(super::client::CLASS, method, flags, handler);
    }
}

/// Omap listings page through this many keys at a time, as upstream does.
const RBD_MAX_KEYS_READ: u64 = 64;
const RBD_SNAP_KEY_PREFIX: &str = "snapshot_";
const RBD_SNAP_CHILDREN_KEY_PREFIX: &str = "snap_children_";

fn snapshot_key(snap_id: u64) -> String {
    format!("{RBD_SNAP_KEY_PREFIX}{snap_id:016x}")
}

fn snap_children_key(snap_id: u64) -> String {
    format!("{RBD_SNAP_CHILDREN_KEY_PREFIX}{snap_id:016x}")
}

/// A method's input. Upstream decodes with exceptions that end in -EINVAL
/// and ignores bytes left over; so does this.
struct Args<'a>(Decoder<'a>);

impl<'a> Args<'a> {
    fn new(input: &'a [u8]) -> Self {
        Args(Decoder::new(input))
    }

    fn get<T: Decode>(&mut self) -> Result<T> {
        self.0.decode().map_err(|_| Errno::EINVAL)
    }

    fn u64(&mut self) -> Result<u64> {
        self.get()
    }

    fn string(&mut self) -> Result<String> {
        self.get()
    }

    /// Decodes a trailing argument newer clients append, if present.
    fn optional<T: Decode>(&mut self) -> Result<Option<T>> {
        if self.0.is_empty() {
            Ok(None)
        } else {
            self.get().map(Some)
        }
    }
}

fn output<T: Encode + ?Sized>(value: &T) -> Result<Vec<u8>> {
    Ok(encode_to_vec(value))
}

/// read_key: decodes an omap value; what does not decode is -EIO. Like
/// upstream, bytes after the value are ignored.
fn read_key<T: Decode>(ctx: &MethodContext<'_>, key: &str) -> Result<T> {
    let bl = ctx.map_get_val(key)?;
    decode_stored(&bl)
}

fn decode_stored<T: Decode>(bl: &[u8]) -> Result<T> {
    Decoder::new(bl).decode().map_err(|_: DecodeError| Errno::EIO)
}

/// read_key with -ENOENT as None.
fn read_key_opt<T: Decode>(ctx: &MethodContext<'_>, key: &str) -> Result<Option<T>> {
    match read_key(ctx, key) {
        Ok(value) => Ok(Some(value)),
        Err(Errno::ENOENT) => Ok(None),
        Err(e) => Err(e),
    }
}

fn write_key<T: Encode + ?Sized>(ctx: Ctx<'_, '_>, key: &str, value: &T) -> Result<()> {
    ctx.map_set_val(key, Bytes::from(encode_to_vec(value)))
}

/// remove_key: a key already gone is fine.
fn remove_key(ctx: Ctx<'_, '_>, key: &str) -> Result<()> {
    match ctx.map_remove_key(key) {
        Err(Errno::ENOENT) => Ok(()),
        r => r,
    }
}

fn check_exists(ctx: &MethodContext<'_>) -> Result<()> {
    ctx.stat().map(|_| ())
}

/// image::require_feature: -ENOEXEC unless every bit of `need` is set (or
/// when the header has no features at all, as format 1 images).
fn require_feature(ctx: &MethodContext<'_>, need: u64) -> Result<()> {
    match read_key::<u64>(ctx, "features") {
        Ok(features) if features & need == need => Ok(()),
        Ok(_) | Err(Errno::ENOENT) => Err(Errno::ENOEXEC),
        Err(e) => Err(e),
    }
}

/// image::snapshot::iterate: every snapshot record, in id order. A record
/// that does not decode fails the walk with -EIO; so does `f`'s error.
fn iterate_snapshots<'c>(
    ctx: &mut MethodContext<'c>,
    mut f: impl FnMut(&mut MethodContext<'c>, &ClsRbdSnap) -> Result<()>,
) -> Result<()> {
    let mut last_read = String::from(RBD_SNAP_KEY_PREFIX);
    loop {
        let (vals, more) = ctx.map_get_vals(&last_read, RBD_SNAP_KEY_PREFIX, RBD_MAX_KEYS_READ)?;
        for bl in vals.values() {
            let snap: ClsRbdSnap = decode_stored(bl)?;
            f(ctx, &snap)?;
        }
        match vals.into_keys().next_back() {
            Some(last) if more => last_read = last,
            _ => return Ok(()),
        }
    }
}

/// image::snapshot::write: moves a pre-Nautilus parent copy out of the
/// record into the header's "parent" key (keeping only the overlap), then
/// stores the record.
fn write_snapshot(ctx: Ctx<'_, '_>, key: &str, mut snap: ClsRbdSnap) -> Result<()> {
    if snap.parent.exists() {
        let on_disk: ClsRbdParent = read_key_opt(ctx, "parent")?.unwrap_or_default();
        if !on_disk.exists() {
            let parent = ClsRbdParent { head_overlap: None, ..snap.parent.clone() };
            write_key(ctx, "parent", &parent)?;
        }
        snap.parent_overlap = snap.parent.head_overlap;
        snap.parent = ClsRbdParent::default();
    }
    write_key(ctx, key, &snap)
}

/// image::set_op_features: updates the masked op features and keeps
/// RBD_FEATURE_OPERATIONS set exactly when any is.
fn set_op_features(ctx: Ctx<'_, '_>, op_features: u64, mask: u64) -> Result<()> {
    let orig_features: u64 = read_key(ctx, "features")?;
    let orig_op_features: u64 = read_key_opt(ctx, "op_features")?.unwrap_or(0);
    let op_features = (orig_op_features & !mask) | (op_features & mask);
    if op_features == orig_op_features {
        return Ok(());
    }
    let features = if op_features == 0 {
        remove_key(ctx, "op_features")?;
        orig_features & !RBD_FEATURE_OPERATIONS
    } else {
        write_key(ctx, "op_features", &op_features)?;
        orig_features | RBD_FEATURE_OPERATIONS
    };
    if features != orig_features {
        write_key(ctx, "features", &features)?;
    }
    Ok(())
}

/// Collects an omap range the way upstream's listing loops do: pages of
/// `page` keys after `start_after` within `prefix`, until `want` entries or
/// the end. Returns the raw keys.
fn list_prefixed(
    ctx: &MethodContext<'_>,
    start_after: &str,
    prefix: &str,
    want: u64,
    page: impl Fn(u64) -> u64,
) -> Result<BTreeMap<String, Bytes>> {
    let mut out = BTreeMap::new();
    let mut last_read = String::from(start_after);
    let mut more = true;
    while more && (out.len() as u64) < want {
        let (vals, m) = ctx.map_get_vals(&last_read, prefix, page(want - out.len() as u64))?;
        more = m;
        let Some(last) = vals.keys().next_back().cloned() else {
            break;
        };
        for (k, v) in vals {
            if out.len() as u64 >= want {
                break;
            }
            out.insert(k, v);
        }
        last_read = last;
    }
    Ok(out)
}
