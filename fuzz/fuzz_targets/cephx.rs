//! cephx replies, keys, keyrings and handshake inputs: see rbdrs_core::fuzzing::cephx.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| rbdrs_core::fuzzing::cephx::run(data));
