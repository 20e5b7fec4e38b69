//! Object classes the store runs itself, in place of an OSD's loadable
//! cls_*.so: each method is a plain function over the object's context.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use super::context::MethodContext;
use crate::Errno;

/// A class method: encoded input in, encoded output out.
pub type ClassMethod = fn(&mut MethodContext<'_>, &[u8]) -> Result<Vec<u8>, Errno>;

/// CLS_METHOD_RD / CLS_METHOD_WR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MethodFlags(pub u32);

impl MethodFlags {
    pub const RD: MethodFlags = MethodFlags(1);
    pub const WR: MethodFlags = MethodFlags(2);
    pub const RDWR: MethodFlags = MethodFlags(3);

    pub const fn writes(self) -> bool {
        self.0 & Self::WR.0 != 0
    }
}

#[derive(Clone, Default)]
pub struct ClassRegistry {
    methods: BTreeMap<(String, String), (MethodFlags, ClassMethod)>,
}

impl core::fmt::Debug for ClassRegistry {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_set().entries(self.methods.keys()).finish()
    }
}

impl ClassRegistry {
    pub fn register(&mut self, class: &str, method: &str, flags: MethodFlags, handler: ClassMethod) {
        self.methods.insert((class.into(), method.into()), (flags, handler));
    }

    /// Like an OSD, an unknown class or method is -EOPNOTSUPP.
    pub fn get(&self, class: &str, method: &str) -> Result<(MethodFlags, ClassMethod), Errno> {
        // A borrowed two-part key cannot be looked up in the tuple map
        // without allocating; class calls are not on the data path.
        self.methods.get(&(class.into(), method.into())).copied().ok_or(Errno::EOPNOTSUPP)
    }
}
