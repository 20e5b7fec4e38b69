//! Shared helpers for the benchmarks (seeded inputs).
