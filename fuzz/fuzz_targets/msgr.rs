//! msgr2 frames from raw bytes, in crc and secure mode: see rbdrs_core::fuzzing::msgr.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| rbdrs_core::fuzzing::msgr::run(data));
