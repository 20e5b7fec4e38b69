//! Object maps and cls_rbd's object_map methods from raw bytes: see rbdrs_core::fuzzing::object_map.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| rbdrs_core::fuzzing::object_map::run(data));
