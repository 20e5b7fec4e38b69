//! An image's file layout: object size, stripe unit and stripe count.

use crate::Errno;

/// Smallest object order librbd accepts when creating an image (4 KiB).
pub const RBD_MIN_ORDER: u8 = 12;
/// Largest object order librbd accepts when creating an image (32 MiB).
pub const RBD_MAX_ORDER: u8 = 25;
/// `rbd_default_order`: 4 MiB objects.
pub const RBD_DEFAULT_ORDER: u8 = 22;

/// How image bytes are spread over objects (Ceph's `file_layout_t`).
///
/// Always valid: the stripe unit divides the object size and a whole object
/// set (`object_size * stripe_count` bytes) fits in a `u64`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Layout {
    object_size: u64,
    stripe_unit: u64,
    stripe_count: u64,
}

/// Why a layout was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    #[error("order must be in the range [12, 25], got {0}")]
    Order(u8),
    #[error("must specify both (or neither) of stripe-unit and stripe-count")]
    PartialStriping,
    #[error("stripe unit {stripe_unit} is not a factor of the object size {object_size}")]
    StripeUnitNotFactor { stripe_unit: u64, object_size: u64 },
    #[error("object size must be non-zero")]
    ZeroObjectSize,
    #[error("stripe unit must be non-zero")]
    ZeroStripeUnit,
    #[error("stripe count must be non-zero")]
    ZeroStripeCount,
    #[error("object set of {stripe_count} objects of {object_size} bytes overflows 64 bits")]
    TooLarge { object_size: u64, stripe_count: u64 },
}

impl LayoutError {
    /// The code librbd returns for this: EDOM for the order, EINVAL otherwise.
    pub const fn errno(&self) -> Errno {
        match self {
            LayoutError::Order(_) => Errno::EDOM,
            _ => Errno::EINVAL,
        }
    }
}

impl Layout {
    /// The layout of a new image without fancy striping: one stripe unit per object.
    pub const fn from_order(order: u8) -> Result<Layout, LayoutError> {
        match validate_order(order) {
            Ok(object_size) => Ok(Layout { object_size, stripe_unit: object_size, stripe_count: 1 }),
            Err(e) => Err(e),
        }
    }

    /// The layout of a new image as librbd's create validates it: order in
    /// [12, 25]; `stripe_unit` and `stripe_count` both zero (the default)
    /// or both set, with the stripe unit a factor of the object size.
    pub fn new(order: u8, stripe_unit: u64, stripe_count: u64) -> Result<Layout, LayoutError> {
        let object_size = validate_order(order)?;
        match (stripe_unit, stripe_count) {
            (0, 0) => Layout::from_order(order),
            (0, _) | (_, 0) => Err(LayoutError::PartialStriping),
            _ => Layout::from_parts(object_size, stripe_unit, stripe_count),
        }
    }

    /// A layout as read from an existing header: only what the arithmetic
    /// needs is checked, not librbd's limits on new images.
    pub const fn from_parts(object_size: u64, stripe_unit: u64, stripe_count: u64) -> Result<Layout, LayoutError> {
        if object_size == 0 {
            return Err(LayoutError::ZeroObjectSize);
        }
        if stripe_unit == 0 {
            return Err(LayoutError::ZeroStripeUnit);
        }
        if stripe_count == 0 {
            return Err(LayoutError::ZeroStripeCount);
        }
        // With a non-zero object size this also rules out su > os.
        if object_size % stripe_unit != 0 {
            return Err(LayoutError::StripeUnitNotFactor { stripe_unit, object_size });
        }
        if object_size.checked_mul(stripe_count).is_none() {
            return Err(LayoutError::TooLarge { object_size, stripe_count });
        }
        Ok(Layout { object_size, stripe_unit, stripe_count })
    }

    pub const fn object_size(&self) -> u64 {
        self.object_size
    }

    pub const fn stripe_unit(&self) -> u64 {
        self.stripe_unit
    }

    pub const fn stripe_count(&self) -> u64 {
        self.stripe_count
    }

    /// Stripe units per object: the rows of one object set.
    pub const fn stripes_per_object(&self) -> u64 {
        self.object_size / self.stripe_unit
    }

    /// Bytes in one object set (`file_layout_t::get_period`).
    pub const fn period(&self) -> u64 {
        // Checked at construction.
        self.object_size * self.stripe_count
    }

    /// Whether this is the default layout (no STRIPINGV2 feature needed).
    pub const fn is_default_striping(&self) -> bool {
        self.stripe_unit == self.object_size && self.stripe_count == 1
    }
}

const fn validate_order(order: u8) -> Result<u64, LayoutError> {
    if order < RBD_MIN_ORDER || order > RBD_MAX_ORDER {
        return Err(LayoutError::Order(order));
    }
    Ok(1 << order)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    #[test]
    fn default_layouts() {
        let l = Layout::from_order(22).unwrap();
        assert_eq!((l.object_size(), l.stripe_unit(), l.stripe_count()), (4 * MIB, 4 * MIB, 1));
        assert!(l.is_default_striping());
        assert_eq!(Layout::new(22, 0, 0), Ok(l));
        // Explicitly asking for the default is the default layout too.
        assert_eq!(Layout::new(22, 4 * MIB, 1), Ok(l));
        assert_eq!(Layout::new(12, 0, 0).unwrap().object_size(), 4096);
        assert_eq!(Layout::new(25, 0, 0).unwrap().object_size(), 32 * MIB);
    }

    #[test]
    fn fancy_layouts() {
        let l = Layout::new(22, 64 * 1024, 16).unwrap();
        assert_eq!((l.stripe_unit(), l.stripe_count(), l.stripes_per_object()), (65536, 16, 64));
        assert_eq!(l.period(), 64 * MIB);
        assert!(!l.is_default_striping());
        assert!(Layout::new(12, 1, 1).is_ok());
        assert!(Layout::new(22, 4 * MIB, 1000).is_ok());
    }

    #[test]
    fn bad_order_is_edom() {
        for order in [0, 1, 11, 26, 63, 64, 255] {
            let e = Layout::new(order, 0, 0).unwrap_err();
            assert_eq!(e, LayoutError::Order(order));
            assert_eq!(e.errno(), Errno::EDOM);
            assert_eq!(Layout::from_order(order), Err(e));
            // The order is checked first, as librbd does.
            assert_eq!(Layout::new(order, 4096, 0), Err(e));
        }
    }

    #[test]
    fn bad_striping_is_einval() {
        let cases = [
            (22, 4096, 0, LayoutError::PartialStriping),
            (22, 0, 4, LayoutError::PartialStriping),
            (22, 3000, 2, LayoutError::StripeUnitNotFactor { stripe_unit: 3000, object_size: 4 * MIB }),
            (22, 8 * MIB, 1, LayoutError::StripeUnitNotFactor { stripe_unit: 8 * MIB, object_size: 4 * MIB }),
            (12, 8192, 2, LayoutError::StripeUnitNotFactor { stripe_unit: 8192, object_size: 4096 }),
        ];
        for (order, su, sc, want) in cases {
            let e = Layout::new(order, su, sc).unwrap_err();
            assert_eq!(e, want);
            assert_eq!(e.errno(), Errno::EINVAL);
        }
    }

    #[test]
    fn from_parts_checks_the_arithmetic() {
        assert_eq!(Layout::from_parts(0, 1, 1), Err(LayoutError::ZeroObjectSize));
        assert_eq!(Layout::from_parts(4096, 0, 1), Err(LayoutError::ZeroStripeUnit));
        assert_eq!(Layout::from_parts(4096, 4096, 0), Err(LayoutError::ZeroStripeCount));
        assert_eq!(
            Layout::from_parts(4096, 8192, 1),
            Err(LayoutError::StripeUnitNotFactor { stripe_unit: 8192, object_size: 4096 })
        );
        assert_eq!(
            Layout::from_parts(1 << 40, 1 << 40, 1 << 24),
            Err(LayoutError::TooLarge { object_size: 1 << 40, stripe_count: 1 << 24 })
        );
        // Headers may hold what create would refuse; the arithmetic copes.
        let odd = Layout::from_parts(3 * 512, 512, 5).unwrap();
        assert_eq!(odd.stripes_per_object(), 3);
        assert!(Layout::from_parts(u64::MAX, u64::MAX, 1).is_ok());
        assert!(Layout::from_parts(1, 1, u64::MAX).is_ok());
    }

    #[test]
    fn errors_display() {
        use alloc::string::ToString;
        assert_eq!(LayoutError::Order(30).to_string(), "order must be in the range [12, 25], got 30");
        assert_eq!(
            LayoutError::PartialStriping.to_string(),
            "must specify both (or neither) of stripe-unit and stripe-count"
        );
    }
}
