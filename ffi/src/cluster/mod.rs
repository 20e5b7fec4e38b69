//! A real Ceph cluster as the backend: the network thread and the sans-IO
//! client it drives.

pub mod net;
