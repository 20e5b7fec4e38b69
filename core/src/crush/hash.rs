//! The hashes placement is built on: CRUSH's `rjenkins1` integer hashes
//! (src/crush/hash.c) and the object-name hashes of `ceph_str_hash`
//! (src/common/ceph_hash.cc). Both are Bob Jenkins' 96-bit mix.

/// `CRUSH_HASH_RJENKINS1`, the only hash CRUSH buckets use.
pub const CRUSH_HASH_RJENKINS1: u8 = 0;

/// `CEPH_STR_HASH_LINUX`: the dcache hash, a pool's `object_hash` option.
pub const CEPH_STR_HASH_LINUX: u8 = 1;
/// `CEPH_STR_HASH_RJENKINS`: the default object hash.
pub const CEPH_STR_HASH_RJENKINS: u8 = 2;

const SEED: u32 = 1_315_423_911;
const X0: u32 = 231_232;
const Y0: u32 = 1232;

#[inline]
fn mix(a: &mut u32, b: &mut u32, c: &mut u32) {
    const SHIFTS: [(u32, u32, u32); 3] = [(13, 8, 13), (12, 16, 5), (3, 10, 15)];
    for (s1, s2, s3) in SHIFTS {
        *a = a.wrapping_sub(*b).wrapping_sub(*c) ^ (*c >> s1);
        *b = b.wrapping_sub(*c).wrapping_sub(*a) ^ (*a << s2);
        *c = c.wrapping_sub(*a).wrapping_sub(*b) ^ (*b >> s3);
    }
}

/// `crush_hash32_rjenkins1_2`.
pub fn hash32_2(a: u32, b: u32) -> u32 {
    let (mut a, mut b) = (a, b);
    let mut h = SEED ^ a ^ b;
    let (mut x, mut y) = (X0, Y0);
    mix(&mut a, &mut b, &mut h);
    mix(&mut x, &mut a, &mut h);
    mix(&mut b, &mut y, &mut h);
    h
}

/// `crush_hash32_rjenkins1_3`.
pub fn hash32_3(a: u32, b: u32, c: u32) -> u32 {
    let (mut a, mut b, mut c) = (a, b, c);
    let mut h = SEED ^ a ^ b ^ c;
    let (mut x, mut y) = (X0, Y0);
    mix(&mut a, &mut b, &mut h);
    mix(&mut c, &mut x, &mut h);
    mix(&mut y, &mut a, &mut h);
    mix(&mut b, &mut x, &mut h);
    mix(&mut y, &mut c, &mut h);
    h
}

/// `crush_hash32_rjenkins1_4`.
pub fn hash32_4(a: u32, b: u32, c: u32, d: u32) -> u32 {
    let (mut a, mut b, mut c, mut d) = (a, b, c, d);
    let mut h = SEED ^ a ^ b ^ c ^ d;
    let (mut x, mut y) = (X0, Y0);
    mix(&mut a, &mut b, &mut h);
    mix(&mut c, &mut d, &mut h);
    mix(&mut a, &mut x, &mut h);
    mix(&mut y, &mut b, &mut h);
    mix(&mut c, &mut x, &mut h);
    mix(&mut y, &mut d, &mut h);
    h
}

fn le_word(bytes: &[u8]) -> u32 {
    bytes.iter().enumerate().fold(0u32, |acc, (i, &b)| acc.wrapping_add(u32::from(b) << (8 * i)))
}

/// `ceph_str_hash_rjenkins`: Jenkins' lookup2 over the whole name.
pub fn str_hash_rjenkins(data: &[u8]) -> u32 {
    let mut a: u32 = 0x9e37_79b9;
    let mut b: u32 = a;
    let mut c: u32 = 0;
    let mut chunks = data.chunks_exact(12);
    for k in &mut chunks {
        a = a.wrapping_add(le_word(&k[0..4]));
        b = b.wrapping_add(le_word(&k[4..8]));
        c = c.wrapping_add(le_word(&k[8..12]));
        mix(&mut a, &mut b, &mut c);
    }
    let tail = chunks.remainder();
    // The length is folded into c; the tail's bytes 8.. go above c's low byte.
    c = c.wrapping_add(data.len() as u32);
    a = a.wrapping_add(le_word(&tail[..tail.len().min(4)]));
    if tail.len() > 4 {
        b = b.wrapping_add(le_word(&tail[4..tail.len().min(8)]));
    }
    if tail.len() > 8 {
        c = c.wrapping_add(le_word(&tail[8..]) << 8);
    }
    mix(&mut a, &mut b, &mut c);
    c
}

/// `ceph_str_hash_linux`: the Linux dcache name hash.
pub fn str_hash_linux(data: &[u8]) -> u32 {
    data.iter().fold(0u32, |h, &c| {
        let c = u32::from(c);
        h.wrapping_add(c << 4).wrapping_add(c >> 4).wrapping_mul(11)
    })
}

/// `ceph_str_hash`: the hash a pool's `object_hash` names; Ceph returns
/// all ones for a type it does not know.
pub fn str_hash(kind: u8, data: &[u8]) -> u32 {
    match kind {
        CEPH_STR_HASH_LINUX => str_hash_linux(data),
        CEPH_STR_HASH_RJENKINS => str_hash_rjenkins(data),
        _ => u32::MAX,
    }
}
