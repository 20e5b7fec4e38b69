//! Ceph's wire encoding (`encode`/`decode` in src/include/encoding.h).
//!
//! Integers are little-endian; strings and byte lists are a `u32` length and
//! the bytes; vectors, sets and maps a `u32` count and the elements; optional
//! values a `u8` flag and the value. Versioned structs sit in an envelope of
//! `u8 version, u8 compat, u32 length` so an old decoder can skip what a newer
//! encoder appended, and refuse what it cannot understand.
//!
//! Decoding takes untrusted bytes: every length is checked against what is
//! left before it is used, nothing panics, and a count can never make the
//! decoder reserve more memory than the input could fill.

mod decode;
mod encode;
mod impls;
mod time;

pub use decode::{decode_exact, Decode, DecodeError, Decoder};
pub use encode::{encode_to_vec, encode_versioned, Encode};
pub use time::UtcTime;

#[cfg(test)]
mod tests;
