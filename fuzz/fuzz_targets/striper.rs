//! Layouts and extents from raw bytes: see rbdrs_core::fuzzing::striper.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| rbdrs_core::fuzzing::striper::run(data));
