//! Fuzz harnesses: library functions the fuzz targets call and unit tests run.

pub mod naming;
pub mod striper;
