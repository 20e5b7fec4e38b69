//! Object classes: client-side request/reply encodings and the server side
//! the in-memory store runs.

pub mod lock;
pub mod rbd;
