//! The C boundary of librbdrs. placeholder
