//! Object names from raw bytes: see rbdrs_core::fuzzing::naming.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| rbdrs_core::fuzzing::naming::run(data));
