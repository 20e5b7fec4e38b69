//! The sans-IO boundary between librbd's logic and whatever executes its
//! requests (librados's role).
//!
//! Image operations are `async` flows. Each request they need (an object
//! compound, or a pool operation a monitor answers) is queued in a
//! [`Dispatcher`] under a transaction id and awaited. A driver takes queued
//! requests with [`Dispatcher::poll_transmit`], executes them however it
//! likes (in memory, on disk, over TCP), and hands replies back with
//! [`Dispatcher::handle_reply`] in any order. The core never blocks, sleeps,
//! spawns or touches IO: it only reacts to polls and replies.

pub mod application;
pub mod client;
mod commands;
mod dispatch;
mod join;
pub mod list;
mod local;
pub mod osd_command;

pub use commands::{blocklist_add, json_string};
pub use dispatch::{Dispatcher, Notification, PoolRequest, Reply, ReplyFuture, Request, Tid, WatchEvent};
pub use join::join_all;
pub use local::{execute_on, LocalDriver};
