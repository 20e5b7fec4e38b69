//! cls_rbd tests: exact request and reply bytes against hand derivations
//! from upstream's encode calls (client_bytes), on-disk encodings of the
//! shared types (types_bytes), and realistic sequences through the
//! in-memory store (store).

mod client_bytes;
mod feature_state;
mod store;
mod trash_bytes;
mod types_bytes;

use alloc::string::String;
use alloc::vec::Vec;

use crate::osd::{ObjectOperation, OpKind};

/// The method name and input bytes of the single exec op `build` appends.
fn request(build: impl FnOnce(&mut ObjectOperation)) -> (String, Vec<u8>) {
    let mut op = ObjectOperation::new();
    build(&mut op);
    assert_eq!(op.ops.len(), 1, "one op per client call");
    match &op.ops[0].kind {
        OpKind::Call { class, method, input } => {
            assert_eq!(class, "rbd");
            (method.clone(), input.to_vec())
        }
        other => panic!("not an exec op: {other:?}"),
    }
}

#[track_caller]
fn assert_request(build: impl FnOnce(&mut ObjectOperation), method: &str, bytes: &[u8]) {
    let (m, input) = request(build);
    assert_eq!(m, method);
    assert_eq!(input, bytes, "input of {method}");
}
