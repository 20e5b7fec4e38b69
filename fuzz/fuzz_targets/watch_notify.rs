//! Header-watch notifications, responses and notify acks from raw bytes:
//! see rbdrs_core::fuzzing::watch_notify.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| rbdrs_core::fuzzing::watch_notify::run(data));
