//! Monitor replies, the monmap and mon_host text: see rbdrs_core::fuzzing::mon.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| rbdrs_core::fuzzing::mon::run(data));
