//! snap create/ls/rm/purge/protect/unprotect/rollback, clone, children,
//! flatten.

use rbdrs_client::{Errno, Image, IoCtx};

use super::image::image_options;
use crate::output::{ctime, size, Json, Table};
use crate::spec::Spec;
use crate::{Context, Ctx, Failure};

/// The image of `spec` at its head, and the snapshot `spec` names.
fn open_head(ctx: &Ctx, spec: &Spec, read_only: bool) -> Result<(IoCtx, Image), Failure> {
    ctx.open(&Spec { snap: None, ..spec.clone() }, read_only)
}

/// One snapshot operation with rbd's progress line.
fn snap_op(ctx: &Ctx, what: &'static str, op: fn(&Image, &str) -> Result<(), Errno>) -> Result<(), Failure> {
    let spec = ctx.spec(0)?;
    let snap = spec.snap_name()?.to_string();
    let (_io, image) = open_head(ctx, &spec, false)?;
    let progress = ctx.progress(what);
    match op(&image, &snap) {
        Ok(()) => progress.finish(),
        Err(e) => {
            progress.fail();
            return Err(e).or_fail(|| match e {
                Errno::EBUSY if what == "Removing snap" => format!("snapshot '{snap}' is protected from removal"),
                _ => format!("failed to {} snapshot: {snap}", what.to_lowercase()),
            });
        }
    }
    image.close().or_fail(|| "error closing the image".into())
}

pub fn create(ctx: &Ctx) -> Result<(), Failure> {
    snap_op(ctx, "Creating snap", Image::snap_create)
}

pub fn remove(ctx: &Ctx) -> Result<(), Failure> {
    snap_op(ctx, "Removing snap", Image::snap_remove)
}

pub fn rollback(ctx: &Ctx) -> Result<(), Failure> {
    snap_op(ctx, "Rolling back to snapshot", Image::snap_rollback)
}

pub fn protect(ctx: &Ctx) -> Result<(), Failure> {
    let spec = ctx.spec(0)?;
    let snap = spec.snap_name()?.to_string();
    let (_io, image) = open_head(ctx, &spec, false)?;
    image.snap_protect(&snap).or_fail(|| "protecting snap failed".into())
}

pub fn unprotect(ctx: &Ctx) -> Result<(), Failure> {
    let spec = ctx.spec(0)?;
    let snap = spec.snap_name()?.to_string();
    let (_io, image) = open_head(ctx, &spec, false)?;
    image.snap_unprotect(&snap).or_fail(|| "unprotecting snap failed".into())
}

pub fn purge(ctx: &Ctx) -> Result<(), Failure> {
    let spec = ctx.spec(0)?.no_snap()?;
    let (_io, image) = ctx.open(&spec, false)?;
    let snaps = image.snap_details().or_fail(|| "error listing snapshots".into())?;
    let doomed: Vec<_> = snaps.iter().filter(|s| !s.protected).collect();
    let mut progress = ctx.progress("Removing all snapshots");
    for (i, snap) in doomed.iter().enumerate() {
        if let Err(e) = image.snap_remove(&snap.name) {
            progress.fail();
            return Err(e).or_fail(|| format!("removing snapshot '{}' failed", snap.name));
        }
        progress.update(i as u64 + 1, doomed.len() as u64);
    }
    progress.finish();
    if doomed.len() < snaps.len() {
        return Err(Errno::EBUSY).or_fail(|| "some snapshots were not removed: they are protected".into());
    }
    Ok(())
}

pub fn list(ctx: &Ctx) -> Result<(), Failure> {
    let spec = ctx.spec(0)?.no_snap()?;
    let (_io, image) = ctx.open(&spec, true)?;
    let snaps = image.snap_details().or_fail(|| "failed to list snapshots".into())?;
    let printed = ctx.print_json(|| {
        Ok(Json::List(
            snaps
                .iter()
                .map(|s| {
                    Json::object()
                        .with("id", s.id)
                        .with("name", &s.name)
                        .with("size", s.size)
                        .with("protected", if s.protected { "true" } else { "false" })
                        .with("timestamp", ctime(u64::from(s.timestamp.sec)))
                })
                .collect(),
        ))
    })?;
    if !printed && !snaps.is_empty() {
        let mut table = Table::new(&[
            ("SNAPID", true),
            ("NAME", false),
            ("SIZE", true),
            ("PROTECTED", false),
            ("TIMESTAMP", false),
        ]);
        for s in &snaps {
            table.row(vec![
                s.id.to_string(),
                s.name.clone(),
                size(s.size),
                if s.protected { "yes".into() } else { String::new() },
                ctime(u64::from(s.timestamp.sec)),
            ]);
        }
        print!("{}", table.render());
    }
    Ok(())
}

pub fn clone(ctx: &Ctx) -> Result<(), Failure> {
    let parent = ctx.spec(0)?;
    let snap = parent.snap_name()?.to_string();
    let child = ctx.dest_spec(1)?.no_snap()?;
    let parent_io = ctx.ioctx(&parent.pool, &parent.namespace)?;
    let child_io = ctx.ioctx(&child.pool, &child.namespace)?;
    child_io
        .clone_image(&parent_io, &parent.image, &snap, &child.image, &image_options(ctx)?)
        .map(drop)
        .or_fail(|| "clone error".into())
}

pub fn children(ctx: &Ctx) -> Result<(), Failure> {
    let spec = ctx.spec(0)?;
    let snap = spec.snap_name()?.to_string();
    let (_io, image) = open_head(ctx, &spec, true)?;
    let children = image.children(&snap).or_fail(|| "listing children failed".into())?;
    let mut named = Vec::new();
    for child in children {
        let io = ctx.rados().ioctx_by_id(child.pool_id).or_fail(|| "error opening the child's pool".into())?;
        io.set_namespace(&child.pool_namespace);
        let pool = io.pool_name().or_fail(|| "error naming the child's pool".into())?;
        let images = io.list_images().or_fail(|| "error listing the child's pool".into())?;
        let name = images.into_iter().find(|(_, id)| *id == child.image_id).map_or(child.image_id.clone(), |(n, _)| n);
        named.push((pool, child.pool_namespace, name));
    }
    named.sort();
    let printed = ctx.print_json(|| {
        Ok(Json::List(
            named
                .iter()
                .map(|(pool, ns, name)| {
                    Json::object().with("pool", pool).with("pool_namespace", ns).with("image", name)
                })
                .collect(),
        ))
    })?;
    if !printed {
        for (pool, ns, name) in &named {
            match ns.is_empty() {
                true => println!("{pool}/{name}"),
                false => println!("{pool}/{ns}/{name}"),
            }
        }
    }
    Ok(())
}

pub fn flatten(ctx: &Ctx) -> Result<(), Failure> {
    let spec = ctx.spec(0)?.no_snap()?;
    let (_io, image) = ctx.open(&spec, false)?;
    let progress = ctx.progress("Image flatten");
    match image.flatten() {
        Ok(()) => progress.finish(),
        Err(e) => {
            progress.fail();
            return Err(e).or_fail(|| "flatten error".into());
        }
    }
    image.close().or_fail(|| "error closing the image".into())
}
