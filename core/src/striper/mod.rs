//! Image extents to object extents and back (Ceph's `osdc/Striper`).
//!
//! The image is cut into stripe units laid round-robin over `stripe_count`
//! objects (one row of the object set per stripe), until each object of the
//! set is full; then the next object set begins. With os = 8K, su = 4K,
//! sc = 2 (numbers are image stripe units):
//!
//! ```text
//!            object 0  object 1 | object 2  object 3
//! row 0         0         1     |    4         5
//! row 1         2         3     |    6         7
//! ```
//!
//! For an image byte `off`:
//! `blockno = off / su`, `stripeno = blockno / sc`, `stripepos = blockno % sc`,
//! `objsetno = stripeno / (os / su)`, `objno = objsetno * sc + stripepos`,
//! `objoff = (stripeno % (os / su)) * su + off % su`.

mod extents;
mod layout;

#[cfg(test)]
mod tests;

pub use extents::{
    extent_to_file, extent_to_file_into, file_offset, file_to_extents, file_to_extents_into, file_to_object,
    object_count, object_no_for, stripe_pieces, BufferExtent, ExtentError, ObjectExtent, StripePiece, StripePieces,
};
pub use layout::{Layout, LayoutError, RBD_DEFAULT_ORDER, RBD_MAX_ORDER, RBD_MIN_ORDER};
