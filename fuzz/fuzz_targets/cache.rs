//! Cache scripts (IOs, backend replies in any order, clock ticks) from raw bytes: see rbdrs_core::fuzzing::cache.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| rbdrs_core::fuzzing::cache::run(data));
