//! The in-memory store as a backend, for tests.

use rbdrs_core::memstore::MemStore;
use rbdrs_core::rados::{execute_on, Dispatcher, Reply, Request, Tid};

use crate::runtime::Backend;

#[derive(Debug, Default)]
pub struct MemoryBackend {
    pub mem: MemStore,
}

impl MemoryBackend {
    pub fn execute(&self, request: &Request) -> Reply {
        execute_on(&self.mem, request)
    }
}

impl Backend for MemoryBackend {
    fn submit(&self, tid: Tid, request: Request, dispatcher: &Dispatcher) {
        dispatcher.handle_reply(tid, self.execute(&request));
    }
}
