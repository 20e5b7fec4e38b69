//! Known answers (computed with Python's `cryptography` and checked with
//! `openssl enc -aes-128-cbc -iv 63657068736167657975646167726567`), keys
//! and keyrings written by ceph-authtool 16.2.15, and handshakes against a
//! simulated monitor and OSD on a simulated clock. The simulator follows
//! what a real 16.2.15 monitor and memstore OSD did when a throwaway msgr2
//! client (not kept) drove this code against them: no AUTH ticket among
//! the extras, -EACCES for a bad proof, one challenge round at the OSD.

mod crypto;
mod handshake;
mod keyring;
pub(crate) mod server;
mod wire;

/// `ceph-authtool -C kr -n client.rbd -a <this>`: a key whose creation time
/// (0x66eaef5f, 0) we chose, so its encoding is known.
pub(crate) const KEY_RBD: &str = "AQBf7+pmAAAAABAAq3B1yt9Pb+tUEjEXlR1UTw==";
const KEY_RBD_SECRET: [u8; 16] =
    [0xab, 0x70, 0x75, 0xca, 0xdf, 0x4f, 0x6f, 0xeb, 0x54, 0x12, 0x31, 0x17, 0x95, 0x1d, 0x54, 0x4f];
/// `ceph-authtool -C kr --gen-key -n client.admin`: created by the tool.
const KEY_ADMIN: &str = "AQDVDQFr5YVdChAAbFPz3tNT21ksmsCPsFhdAg==";

fn hex(s: &str) -> alloc::vec::Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex")).collect()
}
