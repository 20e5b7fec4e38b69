//! cls_rbd replies and method inputs from raw bytes: see rbdrs_core::fuzzing::cls_rbd.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| rbdrs_core::fuzzing::cls_rbd::run(data));
