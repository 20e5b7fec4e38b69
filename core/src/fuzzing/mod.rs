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
pub mod watch_notify;

#[cfg(test)]
pub(crate) fn run_seeded(seed: u64, cases: usize, max_len: usize, harness: fn(&[u8])) {
    let mut rng = crate::random::XorShift::new(seed);
    let mut buf = alloc::vec![0u8; max_len];
    for _ in 0..cases {
        let len = (rng.next_u64() as usize) % (max_len + 1);
        rng.fill(&mut buf[..len]);
        harness(&buf[..len]);
    }
}
