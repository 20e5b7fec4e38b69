//! The in-memory store as a backend, for tests.

use rbdrs_core::memstore::MemStore;
use rbdrs_core::rados::{execute_on, Reply, Request};

use crate::runtime::Backend;

#[derive(Debug, Default)]
pub struct MemoryBackend {
    pub mem: MemStore,
}

impl Backend for MemoryBackend {
    fn execute(&self, request: &Request) -> Reply {
        execute_on(&self.mem, request)
    }
}
