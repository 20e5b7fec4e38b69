//! Shared pieces of the live tests: the throwaway cluster and small
//! blocking drivers for the sans-IO state machines.

pub mod cluster;
pub mod driver;
