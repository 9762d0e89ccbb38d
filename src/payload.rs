//! [`Payload`]: the values rtshm containers can hold.
//!
//! Containers copy values with atomic word accesses over their bytes, so a value must have no
//! padding (reading padding bytes is undefined behaviour) and must accept every bit pattern (a
//! torn copy is formed before the sequence check rejects it). Every [`bytemuck::Pod`] type
//! qualifies, and so does [`Stamped<T>`](crate::Stamped) for a `Pod` `T`, which may have trailing
//! padding (`Stamped<[f32; 3]>`) and is therefore copied field by field.
//!
//! The trait is sealed: its methods are an implementation detail of the crate.

use bytemuck::Pod;

mod sealed {
    pub trait Sealed {}
}
pub(crate) use sealed::Sealed;

/// A value that rtshm containers can copy atomically: every [`bytemuck::Pod`] type and
/// [`Stamped<T>`](crate::Stamped) of a `Pod` `T`.
///
/// Implemented by the crate only. Derive `Pod` (and `Zeroable`) for your own types:
///
/// ```
/// #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
/// #[repr(C)]
/// struct Wrench { force: [f32; 3], torque: [f32; 3] }
///
/// fn assert_payload<T: rtshm::Payload>() {}
/// assert_payload::<Wrench>();
/// assert_payload::<rtshm::Stamped<Wrench>>();
/// ```
///
/// # Layout contract (for the crate's implementations)
/// The parts reported by the visitors are disjoint, padding-free byte ranges that together cover
/// every non-padding byte of the value, each starting at an offset that is a multiple of 8, and
/// an all-zero value is valid.
pub trait Payload: Copy + 'static + Sealed {
    /// `size_of` the user's value: the type itself, or `T` in `Stamped<T>` (recorded in a
    /// segment header as `value_size`).
    #[doc(hidden)]
    const VALUE_SIZE: usize;

    /// An all-zero value.
    #[doc(hidden)]
    fn zeroed() -> Self;

    /// Calls `f(offset, bytes)` for each padding-free part of the value.
    #[doc(hidden)]
    fn for_each_part(&self, f: impl FnMut(usize, &[u8]));

    /// Calls `f(offset, bytes)` for each padding-free part of the value, mutably.
    #[doc(hidden)]
    fn for_each_part_mut(&mut self, f: impl FnMut(usize, &mut [u8]));
}

impl<T: Pod> Sealed for T {}

impl<T: Pod> Payload for T {
    const VALUE_SIZE: usize = core::mem::size_of::<T>();

    #[inline(always)]
    fn zeroed() -> Self {
        bytemuck::Zeroable::zeroed()
    }

    #[inline(always)]
    fn for_each_part(&self, mut f: impl FnMut(usize, &[u8])) {
        f(0, bytemuck::bytes_of(self));
    }

    #[inline(always)]
    fn for_each_part_mut(&mut self, mut f: impl FnMut(usize, &mut [u8])) {
        f(0, bytemuck::bytes_of_mut(self));
    }
}
