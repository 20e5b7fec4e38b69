//! cls_lock calls and lock state from raw bytes: see rbdrs_core::fuzzing::cls_lock.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| rbdrs_core::fuzzing::cls_lock::run(data));
