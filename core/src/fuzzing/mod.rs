//! Fuzz harnesses: library functions the fuzz targets in `fuzz/` call and
//! the unit tests run over seed corpora, so every decoder is exercised on
//! every `cargo test`. A harness returns normally for any input; an assert
//! inside one failing means a real bug was found.

pub mod cache;
pub mod cephx;
pub mod cls_lock;
pub mod cls_rbd;
pub mod encoding;
pub mod mon;
pub mod msgr;
pub mod naming;
pub mod object_map;
pub mod objecter;
pub mod osd_reply;
pub mod osdmap;
pub mod striper;

/// A small deterministic generator for seeded inputs in tests and benches.
#[derive(Clone, Debug)]
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> Self {
        XorShift(seed | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

#[cfg(test)]
pub(crate) fn run_seeded(seed: u64, cases: usize, max_len: usize, harness: fn(&[u8])) {
    let mut rng = XorShift::new(seed);
    let mut buf = alloc::vec![0u8; max_len];
    for _ in 0..cases {
        let len = (rng.next_u64() as usize) % (max_len + 1);
        rng.fill(&mut buf[..len]);
        harness(&buf[..len]);
    }
}
