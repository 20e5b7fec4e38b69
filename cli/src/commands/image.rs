//! create, ls, info, resize, rm, mv, status, du, lock ls, pool init.

use rbdrs_client::proto::cls::rbd::types::{RBD_FEATURE_DATA_POOL, RBD_FEATURE_STRIPINGV2};
use rbdrs_client::{Errno, Image, ImageOptions, IoCtx};

use crate::args::parse_size;
use crate::output::{ctime, size, Json, Table};
use crate::{Context, Ctx, Failure};

/// Feature bits by rbd's names, in bit order.
pub const FEATURES: [(u64, &str); 12] = [
    (1, "layering"),
    (2, "striping"),
    (4, "exclusive-lock"),
    (8, "object-map"),
    (16, "fast-diff"),
    (32, "deep-flatten"),
    (64, "journaling"),
    (128, "data-pool"),
    (256, "operations"),
    (512, "migrating"),
    (1024, "non-primary"),
    (2048, "dirty-cache"),
];
const OP_FEATURES: [(u64, &str); 4] = [(1, "clone-parent"), (2, "clone-child"), (4, "group"), (8, "snap-trash")];
const FLAGS: [(u64, &str); 2] = [(1, "object-map-invalid"), (2, "fast-diff-invalid")];

fn names(bits: u64, table: &[(u64, &'static str)]) -> Vec<&'static str> {
    table.iter().filter(|(bit, _)| bits & bit != 0).map(|&(_, name)| name).collect()
}

/// `--image-feature a,b --image-feature c`.
fn feature_bits(values: &[String]) -> Result<Option<u64>, Failure> {
    if values.is_empty() {
        return Ok(None);
    }
    let mut bits = 0;
    for name in values.iter().flat_map(|v| v.split(',')).map(str::trim).filter(|n| !n.is_empty()) {
        let bit = match name.parse::<u64>() {
            Ok(n) => n,
            Err(_) => FEATURES
                .iter()
                .find(|(_, n)| *n == name)
                .map(|&(b, _)| b)
                .ok_or_else(|| Failure::usage(format!("invalid image feature '{name}'")))?,
        };
        bits |= bit;
    }
    Ok(Some(bits))
}

/// The create options rbd create, clone and import take.
pub fn image_options(ctx: &Ctx) -> Result<ImageOptions, Failure> {
    let a = ctx.args();
    let mut opts = ImageOptions { features: feature_bits(a.all("image-feature"))?, ..Default::default() };
    if let Some(format) = a.value("image-format") {
        opts.format = Some(format.parse().map_err(|_| Failure::usage(format!("invalid image format '{format}'")))?);
    }
    if let Some(order) = a.value("order") {
        opts.order = Some(order.parse().map_err(|_| Failure::usage(format!("invalid order '{order}'")))?);
    }
    if let Some(object_size) = a.value("object-size") {
        let bytes = parse_size(object_size, 1)?;
        if !bytes.is_power_of_two() || !(4096..=1 << 25).contains(&bytes) {
            return Err(Failure::usage("object size must be a power of two between 4 KiB and 32 MiB"));
        }
        opts.order = Some(u64::from(bytes.trailing_zeros()));
    }
    opts.stripe_unit = a.value("stripe-unit").map(|v| parse_size(v, 1)).transpose()?;
    opts.stripe_count =
        a.value("stripe-count").map(|v| v.parse().map_err(|_| format!("invalid stripe count '{v}'"))).transpose()?;
    opts.data_pool = a.value("data-pool").map(str::to_string);
    Ok(opts)
}

pub fn create(ctx: &Ctx) -> Result<(), Failure> {
    let spec = ctx.spec(0)?.no_snap()?;
    let bytes = parse_size(ctx.args().value("size").ok_or("must specify --size <M/G/T>".to_string())?, 1 << 20)?;
    let io = ctx.ioctx(&spec.pool, &spec.namespace)?;
    io.create_image(&spec.image, bytes, &image_options(ctx)?).or_fail(|| "create error".into())?;
    Ok(())
}

/// `pool[/namespace]` from the positional argument or the options.
fn pool_spec(ctx: &Ctx) -> (String, String) {
    let text = ctx.pool_name();
    match text.split_once('/') {
        Some((pool, ns)) => (pool.to_string(), ns.to_string()),
        None => (text.to_string(), ctx.args().value("namespace").unwrap_or("").to_string()),
    }
}

/// The pool's images by name, with their ids.
fn images(io: &IoCtx) -> Result<Vec<(String, String)>, Failure> {
    Ok(io.list_images().or_fail(|| "error listing images".into())?.into_iter().collect())
}

fn lock_type(image: &Image) -> Option<&'static str> {
    match image.lockers() {
        Ok(l) if !l.lockers.is_empty() => Some(if l.exclusive { "exclusive" } else { "shared" }),
        _ => None,
    }
}

fn parent_json(parent: &rbdrs_client::ParentSpec) -> Json {
    Json::object()
        .with("pool", &parent.pool_name)
        .with("pool_namespace", &parent.pool_namespace)
        .with("image", &parent.image_name)
        .with("snapshot", &parent.snap_name)
}

pub fn list(ctx: &Ctx) -> Result<(), Failure> {
    let (pool, namespace) = pool_spec(ctx);
    let io = ctx.ioctx(&pool, &namespace)?;
    let names = images(&io)?;
    if !ctx.args().flag("long") {
        if !ctx.print_json(|| Ok(Json::from(names.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>())))? {
            names.iter().for_each(|(n, _)| println!("{n}"));
        }
        return Ok(());
    }
    let (mut rows, mut table) = (
        Vec::new(),
        Table::new(&[
            ("NAME", false),
            ("SIZE", true),
            ("PARENT", false),
            ("FMT", true),
            ("PROT", false),
            ("LOCK", false),
        ]),
    );
    for (name, id) in &names {
        // An image removed or broken meanwhile is left out, as rbd does.
        let Ok(image) = Image::open(&io, name, None, true) else { continue };
        let lock = lock_type(&image);
        let parent = image.parent().ok().flatten();
        let head_size = image.size().unwrap_or(0);
        let mut entry = Json::object().with("image", name).with("id", id).with("size", head_size);
        if let Some(p) = &parent {
            entry = entry.with("parent", parent_json(p));
        }
        entry = entry.with("format", 2u64);
        if let Some(lock) = lock {
            entry = entry.with("lock_type", lock);
        }
        rows.push(entry);
        let parent_text = parent.as_ref().map(|p| format!("{}/{}@{}", p.pool_name, p.image_name, p.snap_name));
        table.row(vec![
            name.clone(),
            size(head_size),
            parent_text.unwrap_or_default(),
            "2".into(),
            String::new(),
            if lock == Some("exclusive") { "excl".into() } else { String::new() },
        ]);
        for snap in image.snap_details().unwrap_or_default() {
            let at_snap = image.snap_set(Some(&snap.name)).and_then(|()| image.parent());
            let snap_parent = at_snap.ok().flatten();
            let mut entry = Json::object()
                .with("image", name)
                .with("id", id)
                .with("snapshot", &snap.name)
                .with("snapshot_id", snap.id)
                .with("size", snap.size);
            if let Some(p) = &snap_parent {
                entry = entry.with("parent", parent_json(p));
            }
            rows.push(entry.with("format", 2u64).with("protected", if snap.protected { "true" } else { "false" }));
            let parent_text = snap_parent.map(|p| format!("{}/{}@{}", p.pool_name, p.image_name, p.snap_name));
            table.row(vec![
                format!("{name}@{}", snap.name),
                size(snap.size),
                parent_text.unwrap_or_default(),
                "2".into(),
                if snap.protected { "yes".into() } else { String::new() },
                String::new(),
            ]);
        }
    }
    if !ctx.print_json(|| Ok(Json::List(rows)))? && !names.is_empty() {
        print!("{}", table.render());
    }
    Ok(())
}

pub fn info(ctx: &Ctx) -> Result<(), Failure> {
    let spec = ctx.spec(0)?;
    let (_io, image) = ctx.open(&spec, true)?;
    let ictx = image.ctx().or_fail(|| "error reading the image".into())?;
    let stat = image.info().or_fail(|| "error getting image info".into())?;
    let details = image.header_details().or_fail(|| "error getting image info".into())?;
    let parent = image.parent().or_fail(|| "error getting the parent".into())?;
    let snapshot_count = ictx.snaps.len();
    let features = names(ictx.features, &FEATURES);
    let op_features = names(details.op_features, &OP_FEATURES);
    let flags = names(ictx.flags, &FLAGS);
    let striping = ictx.features & RBD_FEATURE_STRIPINGV2 != 0;
    let data_pool = match ictx.features & RBD_FEATURE_DATA_POOL != 0 {
        true => Some(ctx.rados().connection().and_then(|c| c.pool_name(ictx.data_io.pool)).unwrap_or_default()),
        false => None,
    };
    let times = [
        ("create_timestamp", ctime(u64::from(details.create_timestamp.sec))),
        ("access_timestamp", ctime(u64::from(details.access_timestamp.sec))),
        ("modify_timestamp", ctime(u64::from(details.modify_timestamp.sec))),
    ];
    let printed = ctx.print_json(|| {
        let mut j = Json::object()
            .with("name", &spec.image)
            .with("id", &ictx.id)
            .with("size", stat.size)
            .with("objects", stat.num_objects)
            .with("order", stat.order)
            .with("object_size", stat.object_size)
            .with("snapshot_count", snapshot_count);
        if let Some(pool) = &data_pool {
            j = j.with("data_pool", pool);
        }
        j = j
            .with("block_name_prefix", &stat.block_name_prefix)
            .with("format", 2u64)
            .with("features", features.clone())
            .with("op_features", op_features.clone())
            .with("flags", flags.clone());
        for (key, value) in &times {
            j = j.with(key, value);
        }
        if let Some(p) = &parent {
            let parent = Json::object()
                .with("pool", &p.pool_name)
                .with("pool_namespace", &p.pool_namespace)
                .with("image", &p.image_name)
                .with("id", &p.image_id)
                .with("snapshot", &p.snap_name)
                .with("trash", false)
                .with("overlap", p.overlap);
            j = j.with("parent", parent);
        }
        if striping {
            j = j.with("stripe_unit", ictx.layout.stripe_unit()).with("stripe_count", ictx.layout.stripe_count());
        }
        Ok(j)
    })?;
    if printed {
        return Ok(());
    }
    println!("rbd image '{}':", spec.image);
    println!("\tsize {} in {} objects", size(stat.size), stat.num_objects);
    println!("\torder {} ({} objects)", stat.order, size(stat.object_size));
    println!("\tsnapshot_count: {snapshot_count}");
    println!("\tid: {}", ictx.id);
    if let Some(pool) = &data_pool {
        println!("\tdata_pool: {pool}");
    }
    println!("\tblock_name_prefix: {}", stat.block_name_prefix);
    println!("\tformat: 2");
    println!("\tfeatures: {}", features.join(", "));
    println!("\top_features: {}", op_features.join(", "));
    println!("\tflags: {}", flags.join(", "));
    for (key, value) in &times {
        println!("\t{key}: {value}");
    }
    if let Some(p) = &parent {
        println!("\tparent: {}/{}@{}", p.pool_name, p.image_name, p.snap_name);
        println!("\toverlap: {}", size(p.overlap));
    }
    if striping {
        println!("\tstripe unit: {}", size(ictx.layout.stripe_unit()));
        println!("\tstripe count: {}", ictx.layout.stripe_count());
    }
    Ok(())
}

pub fn resize(ctx: &Ctx) -> Result<(), Failure> {
    let spec = ctx.spec(0)?.no_snap()?;
    let bytes = parse_size(ctx.args().value("size").ok_or("must specify --size <M/G/T>".to_string())?, 1 << 20)?;
    let (_io, image) = ctx.open(&spec, false)?;
    let current = image.size().or_fail(|| "error getting the size".into())?;
    if bytes < current && !ctx.args().flag("allow-shrink") {
        return Err(Failure::usage("shrinking an image is only allowed with the --allow-shrink flag"));
    }
    let progress = ctx.progress("Resizing image");
    match image.resize(bytes) {
        Ok(()) => progress.finish(),
        Err(e) => {
            progress.fail();
            return Err(e).or_fail(|| "resize error".into());
        }
    }
    image.close().or_fail(|| "error closing the image".into())
}

pub fn remove(ctx: &Ctx) -> Result<(), Failure> {
    let spec = ctx.spec(0)?.no_snap()?;
    let io = ctx.ioctx(&spec.pool, &spec.namespace)?;
    let progress = ctx.progress("Removing image");
    match io.remove_image(&spec.image) {
        Ok(()) => {
            progress.finish();
            Ok(())
        }
        Err(e) => {
            progress.fail();
            Err(e).or_fail(|| match e {
                Errno::ENOTEMPTY => "image has snapshots - these must be deleted with 'rbd snap purge' before the \
                                     image can be removed"
                    .into(),
                Errno::EBUSY => "error: image still has watchers\nThis means the image is still open or the \
                                 client using it crashed. Try again after closing/unmapping it or waiting 30s for \
                                 the crashed client to timeout"
                    .into(),
                _ => "delete error".into(),
            })
        }
    }
}

pub fn rename(ctx: &Ctx) -> Result<(), Failure> {
    let from = ctx.spec(0)?.no_snap()?;
    let to = ctx.dest_spec(1)?.no_snap()?;
    if (from.pool.as_str(), from.namespace.as_str()) != (to.pool.as_str(), to.namespace.as_str()) {
        return Err(Failure::usage("mv/rename across pools not supported"));
    }
    let io = ctx.ioctx(&from.pool, &from.namespace)?;
    io.rename_image(&from.image, &to.image).or_fail(|| "rename error".into())
}

pub fn status(ctx: &Ctx) -> Result<(), Failure> {
    let spec = ctx.spec(0)?.no_snap()?;
    let (_io, image) = ctx.open(&spec, true)?;
    let mine = image.ctx().map(|c| c.runtime.watch_handle).unwrap_or(0);
    // Our own read-only open watches too; rbd does not list itself.
    let watchers: Vec<_> = image
        .watchers()
        .or_fail(|| "error listing watchers".into())?
        .into_iter()
        .filter(|w| !(w.cookie == mine && w.client as u64 == image.connection().client.global_id))
        .collect();
    let printed = ctx.print_json(|| {
        let list = watchers
            .iter()
            .map(|w| {
                Json::object().with("address", w.address.clone()).with("client", w.client).with("cookie", w.cookie)
            })
            .collect::<Vec<_>>();
        Ok(Json::object().with("watchers", list))
    })?;
    if !printed {
        if watchers.is_empty() {
            println!("Watchers: none");
        } else {
            println!("Watchers:");
            for w in &watchers {
                println!("\twatcher={} client.{} cookie={}", w.address, w.client, w.cookie);
            }
        }
    }
    Ok(())
}

/// What rbd's du reports for the head (`snap` None) or a snapshot: with
/// fast-diff, what was written since the previous snapshot; without it,
/// everything allocated at what `image` shows (a clone's parent-backed
/// range included), whole objects, within `size`.
fn used(image: &Image, snap: Option<u64>, size: u64) -> Result<u64, Failure> {
    if let Some(bytes) =
        image.written_since_previous_snapshot(snap).or_fail(|| "error reading the object map".into())?
    {
        return Ok(bytes);
    }
    let runs = image.allocated(0, size, true).or_fail(|| "error computing disk usage".into())?;
    Ok(runs.iter().map(|&(_, len)| len).sum())
}

/// One row of `rbd du`: name, id, (snapshot, snap id), provisioned, used.
type Usage = (String, String, Option<(String, u64)>, u64, u64);

pub fn disk_usage(ctx: &Ctx) -> Result<(), Failure> {
    let (pool, namespace, only) = match ctx.positional(0) {
        Some(_) => {
            let spec = ctx.spec(0)?;
            (spec.pool.clone(), spec.namespace.clone(), Some(spec))
        }
        None => {
            let (pool, namespace) = pool_spec(ctx);
            (pool, namespace, None)
        }
    };
    let io = ctx.ioctx(&pool, &namespace)?;
    let mut entries: Vec<Usage> = Vec::new();
    for (name, id) in images(&io)? {
        if only.as_ref().is_some_and(|s| s.image != name) {
            continue;
        }
        let image = Image::open(&io, &name, None, true).or_fail(|| format!("error opening {name}"))?;
        for snap in image.snap_details().or_fail(|| "error listing snapshots".into())? {
            if only.as_ref().is_some_and(|s| s.snap.as_ref().is_some_and(|n| *n != snap.name)) {
                continue;
            }
            image.snap_set(Some(&snap.name)).or_fail(|| "error setting snapshot".into())?;
            let bytes = used(&image, Some(snap.id), snap.size)?;
            entries.push((name.clone(), id.clone(), Some((snap.name.clone(), snap.id)), snap.size, bytes));
        }
        image.snap_set(None).or_fail(|| "error setting snapshot".into())?;
        if only.as_ref().is_none_or(|s| s.snap.is_none()) {
            let provisioned = image.size().or_fail(|| "error getting the size".into())?;
            entries.push((name.clone(), id, None, provisioned, used(&image, None, provisioned)?));
        }
    }
    // rbd provisions the heads (snapshots share their image's size) but
    // counts what each snapshot holds as used.
    let total_provisioned: u64 = entries.iter().filter(|e| e.2.is_none()).map(|e| e.3).sum();
    let total_used: u64 = entries.iter().map(|e| e.4).sum();
    let printed = ctx.print_json(|| {
        let list = entries
            .iter()
            .map(|(name, id, snap, provisioned, used)| {
                let mut j = Json::object().with("name", name).with("id", id);
                if let Some((snap, snap_id)) = snap {
                    j = j.with("snapshot", snap).with("snapshot_id", *snap_id);
                }
                j.with("provisioned_size", *provisioned).with("used_size", *used)
            })
            .collect::<Vec<_>>();
        // rbd totals a pool, not one image.
        Ok(match only {
            Some(_) => Json::object().with("images", list),
            None => Json::object()
                .with("images", list)
                .with("total_provisioned_size", total_provisioned)
                .with("total_used_size", total_used),
        })
    })?;
    if !printed {
        let mut table = Table::new(&[("NAME", false), ("PROVISIONED", true), ("USED", true)]);
        for (name, _, snap, provisioned, used) in &entries {
            let label = snap.as_ref().map_or(name.clone(), |(s, _)| format!("{name}@{s}"));
            table.row(vec![label, size(*provisioned), size(*used)]);
        }
        if entries.len() > 1 {
            table.row(vec!["<TOTAL>".into(), size(total_provisioned), size(total_used)]);
        }
        print!("{}", table.render());
    }
    Ok(())
}

pub fn lock_list(ctx: &Ctx) -> Result<(), Failure> {
    let spec = ctx.spec(0)?.no_snap()?;
    let (_io, image) = ctx.open(&spec, true)?;
    let locks = image.lockers().or_fail(|| "error listing locks".into())?;
    let printed = ctx.print_json(|| {
        Ok(Json::List(
            locks
                .lockers
                .iter()
                .map(|l| Json::object().with("id", &l.cookie).with("locker", &l.locker).with("address", &l.address))
                .collect(),
        ))
    })?;
    if !printed && !locks.lockers.is_empty() {
        let kind = if locks.exclusive { "exclusive" } else { "shared" };
        let n = locks.lockers.len();
        println!(
            "There {} {n} {kind} lock{} on this image.",
            if n == 1 { "is" } else { "are" },
            if n == 1 { "" } else { "s" }
        );
        if !locks.exclusive {
            println!("Lock tag: {}", locks.tag);
        }
        let mut table = Table::new(&[("Locker", false), ("ID", false), ("Address", false)]);
        for l in &locks.lockers {
            table.row(vec![l.locker.clone(), l.cookie.clone(), l.address.clone()]);
        }
        print!("{}", table.render());
    }
    Ok(())
}

/// Makes a pool ready for images: on a cluster, tags it for rbd; on the
/// embedded store, creates it when missing.
pub fn pool_init(ctx: &Ctx) -> Result<(), Failure> {
    let pool = ctx.pool_name().to_string();
    match ctx.rados().pool_lookup(&pool) {
        Ok(_) => {}
        // The embedded store has no monitor to make pools: init makes it.
        Err(Errno::ENOENT) if ctx.rados().local_store().is_ok() => {
            ctx.rados().pool_create(&pool, None).or_fail(|| format!("error creating pool '{pool}'"))?;
        }
        Err(e) => return Err(e).or_fail(|| format!("error opening pool '{pool}'")),
    }
    // As rbd: a refusal is reported, and the exit status stays 0.
    match ctx.ioctx(&pool, "")?.rbd_pool_init(ctx.args().flag("force")) {
        Err(Errno::EPERM) => eprintln!("rbd: pool already registered to a different application."),
        Err(e) if e != Errno::EOPNOTSUPP => eprintln!("rbd: error registered application: {}", crate::strerror(e)),
        _ => {}
    }
    Ok(())
}
