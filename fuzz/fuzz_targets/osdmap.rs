//! OSDMaps, incrementals and CRUSH maps from raw bytes: see rbdrs_core::fuzzing::osdmap.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| rbdrs_core::fuzzing::osdmap::run(data));
