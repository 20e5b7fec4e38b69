//! The subcommands, found by their words as rbd finds them.

mod bench;
mod image;
mod snap;
mod transfer;

use crate::{Ctx, Failure};

pub type Command = fn(&Ctx) -> Result<(), Failure>;

const TABLE: &[(&[&str], Command)] = &[
    (&["create"], image::create),
    (&["list"], image::list),
    (&["ls"], image::list),
    (&["info"], image::info),
    (&["resize"], image::resize),
    (&["remove"], image::remove),
    (&["rm"], image::remove),
    (&["rename"], image::rename),
    (&["mv"], image::rename),
    (&["status"], image::status),
    (&["disk-usage"], image::disk_usage),
    (&["du"], image::disk_usage),
    (&["lock", "list"], image::lock_list),
    (&["lock", "ls"], image::lock_list),
    (&["pool", "init"], image::pool_init),
    (&["snap", "create"], snap::create),
    (&["snap", "add"], snap::create),
    (&["snap", "list"], snap::list),
    (&["snap", "ls"], snap::list),
    (&["snap", "remove"], snap::remove),
    (&["snap", "rm"], snap::remove),
    (&["snap", "purge"], snap::purge),
    (&["snap", "protect"], snap::protect),
    (&["snap", "unprotect"], snap::unprotect),
    (&["snap", "rollback"], snap::rollback),
    (&["snap", "revert"], snap::rollback),
    (&["clone"], snap::clone),
    (&["children"], snap::children),
    (&["flatten"], snap::flatten),
    (&["export"], transfer::export),
    (&["import"], transfer::import),
    (&["diff"], transfer::diff),
    (&["bench"], bench::bench),
];

/// The command the leading words name, and how many words it took.
pub fn find(words: &[String]) -> Option<(Command, usize)> {
    TABLE
        .iter()
        .filter(|(names, _)| names.len() <= words.len() && names.iter().zip(words).all(|(n, w)| n == w))
        .max_by_key(|(names, _)| names.len())
        .map(|(names, command)| (*command, names.len()))
}
