//! Image payloads for camera rings: fixed-size, `Pod`, with their pixel format in the type.
//!
//! [`Image<W, H, F>`](Image) holds `H` rows of `W` pixels of format `F` ([`Mono8`], [`Rgb8`],
//! [`Rgba8`]), tightly packed, row after row (no stride padding): the layout camera drivers and
//! OpenCV's continuous `Mat`s use. [`Nv12Image`] holds the 4:2:0 format most hardware encoders and
//! many USB cameras produce: a full-resolution Y plane followed by a half-height plane of
//! interleaved U/V pairs.
//!
//! Every image type is [`bytemuck::Pod`], so it can be a [`SeqLock`](crate::SeqLock) value, a
//! ring slot or a shared-memory segment's payload, and the fingerprint a subscriber checks
//! includes its size. Frames are large: build them on the heap with `bytemuck::zeroed_box` and
//! read them with the `*_into` methods, which copy straight into a buffer you keep.
//!
//! ```
//! use rtshm::image::{Image, Rgb8};
//! use rtshm::Ring;
//!
//! type Thumbnail = Image<64, 48, Rgb8>; // or `Fhd<Rgb8>`, 6,220,800 bytes
//!
//! let ring: Box<Ring<Thumbnail, 2>> = bytemuck::zeroed_box();
//! let mut frame: Box<Thumbnail> = bytemuck::zeroed_box();
//! frame.row_mut(0).unwrap()[0] = [255, 0, 0]; // a red top-left pixel
//! ring.writer().unwrap().push(&frame);
//!
//! let mut seen: Box<Thumbnail> = bytemuck::zeroed_box();
//! assert_eq!(ring.latest_into(&mut seen), Ok(Some(0)));
//! assert_eq!(seen.pixel(0, 0), Some(&[255, 0, 0]));
//! assert_eq!(seen.as_bytes().len(), 64 * 48 * 3);
//! ```
//!
//! Const generics on stable Rust cannot compute an array length from `W` and `H` (`H / 2` rows
//! of chroma), so [`Nv12Image`] takes the number of chroma rows, `H2 = H / 2`, as its second
//! parameter; the aliases ([`Nv12Fhd`], ...) spell it out.

use core::fmt;
use core::marker::PhantomData;

use bytemuck::{Pod, Zeroable};

mod sealed {
    pub trait Sealed {}
}

/// A packed pixel format: the type of one pixel and its name.
///
/// Implemented by [`Mono8`], [`Rgb8`] and [`Rgba8`] (sealed).
pub trait PixelFormat: sealed::Sealed + Copy + Send + Sync + 'static {
    /// One pixel.
    type Pixel: Pod + crate::Schema + fmt::Debug + PartialEq;
    /// The format's name (as GStreamer and V4L2 users know it).
    const NAME: &'static str;
}

/// 8-bit grey: one byte per pixel.
#[derive(Clone, Copy, Debug)]
#[allow(
    clippy::exhaustive_structs,
    reason = "a pixel-format marker, never constructed"
)]
pub struct Mono8;

/// 8-bit RGB: three bytes per pixel, red first.
#[derive(Clone, Copy, Debug)]
#[allow(
    clippy::exhaustive_structs,
    reason = "a pixel-format marker, never constructed"
)]
pub struct Rgb8;

/// 8-bit RGBA: four bytes per pixel, red first, alpha last.
#[derive(Clone, Copy, Debug)]
#[allow(
    clippy::exhaustive_structs,
    reason = "a pixel-format marker, never constructed"
)]
pub struct Rgba8;

impl sealed::Sealed for Mono8 {}
impl sealed::Sealed for Rgb8 {}
impl sealed::Sealed for Rgba8 {}

impl PixelFormat for Mono8 {
    type Pixel = u8;
    const NAME: &'static str = "GRAY8";
}

impl PixelFormat for Rgb8 {
    type Pixel = [u8; 3];
    const NAME: &'static str = "RGB";
}

impl PixelFormat for Rgba8 {
    type Pixel = [u8; 4];
    const NAME: &'static str = "RGBA";
}

/// A `W` x `H` image of packed `F` pixels, row-major, without padding.
///
/// ```
/// use rtshm::image::{Image, Rgb8};
///
/// type Tiny = Image<4, 2, Rgb8>;
/// let mut frame: Box<Tiny> = bytemuck::zeroed_box();
/// frame.row_mut(1).unwrap()[3] = [255, 0, 0];
/// assert_eq!(frame.pixel(3, 1), Some(&[255, 0, 0]));
/// assert_eq!(frame.as_bytes().len(), 4 * 2 * 3);
/// assert_eq!(frame.rows().count(), 2);
/// assert!(frame.row(2).is_none()); // out of range: None, never a panic
/// ```
#[repr(transparent)]
pub struct Image<const W: usize, const H: usize, F: PixelFormat> {
    rows: [[F::Pixel; W]; H],
    _format: PhantomData<F>,
}

impl<const W: usize, const H: usize, F: PixelFormat> Clone for Image<W, H, F> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<const W: usize, const H: usize, F: PixelFormat> Copy for Image<W, H, F> {}

// SAFETY: `repr(transparent)` over `[[F::Pixel; W]; H]` (plus a zero-sized marker), and
// `F::Pixel: Pod`: all-zero bytes are a valid image.
unsafe impl<const W: usize, const H: usize, F: PixelFormat> Zeroable for Image<W, H, F> {}
// SAFETY: as above; an array of `Pod` values has no padding and accepts every bit pattern, and
// the type is `Copy + 'static`.
unsafe impl<const W: usize, const H: usize, F: PixelFormat> Pod for Image<W, H, F> {}

/// `pixels`: `H` rows of `W` pixels (`.msg`: `uint8[H*W]` for Mono8, `uint8[H*W*3]` for Rgb8, nested arrays flattened).
impl<const W: usize, const H: usize, F: PixelFormat> crate::Schema for Image<W, H, F> {
    const TYPE: crate::schema::Type = crate::schema::Type::Struct(&crate::schema::Struct {
        name: "Image",
        size: core::mem::size_of::<Self>(),
        align: core::mem::align_of::<Self>(),
        fields: &[crate::schema::Field::new(
            "pixels",
            0,
            <[[F::Pixel; W]; H] as crate::Schema>::TYPE,
        )],
    });
}

impl<const W: usize, const H: usize, F: PixelFormat> Image<W, H, F> {
    /// Width in pixels.
    pub const WIDTH: usize = W;
    /// Height in pixels.
    pub const HEIGHT: usize = H;
    /// Size in bytes (`W * H * size_of::<F::Pixel>()`).
    pub const BYTES: usize = core::mem::size_of::<Self>();

    /// The pixels, row after row.
    ///
    /// ```
    /// use rtshm::image::{Image, Mono8};
    /// let frame: Image<2, 2, Mono8> = bytemuck::Zeroable::zeroed();
    /// assert_eq!(frame.as_bytes(), &[0, 0, 0, 0]);
    /// ```
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        bytemuck::bytes_of(self)
    }

    /// The pixels, row after row, mutably (e.g. to fill from a driver's buffer).
    ///
    /// ```
    /// use rtshm::image::{Image, Mono8};
    /// let mut frame: Image<2, 2, Mono8> = bytemuck::Zeroable::zeroed();
    /// frame.as_bytes_mut().copy_from_slice(&[1, 2, 3, 4]); // e.g. from a camera driver's buffer
    /// assert_eq!(frame.pixel(1, 1), Some(&4));
    /// ```
    pub fn as_bytes_mut(&mut self) -> &mut [u8] {
        bytemuck::bytes_of_mut(self)
    }

    /// Row `y` (0 at the top), or `None` past the last row.
    #[must_use]
    pub fn row(&self, y: usize) -> Option<&[F::Pixel; W]> {
        self.rows.get(y)
    }

    /// Row `y`, mutably, or `None` past the last row.
    pub fn row_mut(&mut self, y: usize) -> Option<&mut [F::Pixel; W]> {
        self.rows.get_mut(y)
    }

    /// The rows, top to bottom.
    ///
    /// ```
    /// use rtshm::image::{Image, Mono8};
    /// let mut frame: Image<3, 2, Mono8> = bytemuck::Zeroable::zeroed();
    /// frame.row_mut(1).unwrap().fill(9);
    /// let sums: Vec<u32> = frame.rows().map(|r| r.iter().map(|&p| u32::from(p)).sum()).collect();
    /// assert_eq!(sums, [0, 27]);
    /// ```
    pub fn rows(&self) -> impl ExactSizeIterator<Item = &[F::Pixel; W]> {
        self.rows.iter()
    }

    /// The pixel at column `x`, row `y`, or `None` outside the image.
    #[must_use]
    pub fn pixel(&self, x: usize, y: usize) -> Option<&F::Pixel> {
        self.rows.get(y)?.get(x)
    }
}

impl<const W: usize, const H: usize, F: PixelFormat> fmt::Debug for Image<W, H, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Image<{W}x{H} {}>", F::NAME)
    }
}

/// A `W` x `2 * H2` NV12 image: the Y plane (`2 * H2` rows of `W` bytes), then `H2` rows of `W`
/// bytes of interleaved U, V pairs, one pair per 2x2 block of pixels. `W` must be even.
///
/// ```
/// use rtshm::image::Nv12Image;
///
/// type Small = Nv12Image<4, 2>; // 4 x 4 pixels
/// let mut frame: Box<Small> = bytemuck::zeroed_box();
/// frame.y_row_mut(3).unwrap()[0] = 200;
/// frame.uv_row_mut(1).unwrap()[0] = 128;
/// assert_eq!((frame.y_plane().len(), frame.uv_plane().len()), (16, 8));
/// assert_eq!(frame.y_row(3).unwrap()[0], 200);
/// assert_eq!(frame.uv_row(1).unwrap()[0], 128);
/// ```
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Nv12Image<const W: usize, const H2: usize> {
    /// Y rows in pairs: memory-identical to `2 * H2` consecutive rows.
    luma: [[[u8; W]; 2]; H2],
    chroma: [[u8; W]; H2],
}

// SAFETY: `repr(C)` over byte arrays only: no padding, every bit pattern valid, all-zero valid.
unsafe impl<const W: usize, const H2: usize> Zeroable for Nv12Image<W, H2> {}
// SAFETY: as above.
unsafe impl<const W: usize, const H2: usize> Pod for Nv12Image<W, H2> {}

/// `luma` (the Y plane as `H2` pairs of rows) and `chroma` (`H2` rows of interleaved U, V).
impl<const W: usize, const H2: usize> crate::Schema for Nv12Image<W, H2> {
    const TYPE: crate::schema::Type = crate::schema::Type::Struct(&crate::schema::Struct {
        name: "Nv12Image",
        size: core::mem::size_of::<Self>(),
        align: core::mem::align_of::<Self>(),
        fields: &[
            crate::schema::Field::new(
                "luma",
                core::mem::offset_of!(Self, luma),
                <[[[u8; W]; 2]; H2] as crate::Schema>::TYPE,
            ),
            crate::schema::Field::new(
                "chroma",
                core::mem::offset_of!(Self, chroma),
                <[[u8; W]; H2] as crate::Schema>::TYPE,
            ),
        ],
    });
}

impl<const W: usize, const H2: usize> Nv12Image<W, H2> {
    /// Width in pixels.
    pub const WIDTH: usize = W;
    /// Height in pixels.
    pub const HEIGHT: usize = 2 * H2;
    /// Size in bytes (`W * H * 3 / 2`).
    pub const BYTES: usize = core::mem::size_of::<Self>();

    /// The whole image: Y plane, then UV plane.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        bytemuck::bytes_of(self)
    }

    /// The whole image, mutably.
    pub fn as_bytes_mut(&mut self) -> &mut [u8] {
        bytemuck::bytes_of_mut(self)
    }

    /// The Y (luma) plane: `W * H` bytes.
    ///
    /// ```
    /// use rtshm::image::Nv12Image;
    /// let frame: Nv12Image<4, 1> = bytemuck::Zeroable::zeroed(); // 4 x 2 pixels
    /// assert_eq!((frame.y_plane().len(), frame.uv_plane().len(), frame.as_bytes().len()), (8, 4, 12));
    /// ```
    #[must_use]
    pub fn y_plane(&self) -> &[u8] {
        bytemuck::cast_slice(&self.luma)
    }

    /// The UV (chroma) plane: `W * H / 2` bytes of U, V pairs.
    #[must_use]
    pub fn uv_plane(&self) -> &[u8] {
        bytemuck::cast_slice(&self.chroma)
    }

    /// Luma row `y` (0 at the top), or `None` past the last row.
    #[must_use]
    pub fn y_row(&self, y: usize) -> Option<&[u8; W]> {
        self.luma.get(y / 2).map(|pair| &pair[y % 2])
    }

    /// Luma row `y`, mutably.
    pub fn y_row_mut(&mut self, y: usize) -> Option<&mut [u8; W]> {
        self.luma.get_mut(y / 2).map(|pair| &mut pair[y % 2])
    }

    /// Chroma row `i` (covering pixel rows `2i` and `2i + 1`), or `None` past the last one.
    #[must_use]
    pub fn uv_row(&self, i: usize) -> Option<&[u8; W]> {
        self.chroma.get(i)
    }

    /// Chroma row `i`, mutably.
    pub fn uv_row_mut(&mut self, i: usize) -> Option<&mut [u8; W]> {
        self.chroma.get_mut(i)
    }
}

impl<const W: usize, const H2: usize> fmt::Debug for Nv12Image<W, H2> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nv12Image<{W}x{}>", 2 * H2)
    }
}

/// 640 x 480.
///
/// ```
/// use rtshm::image::{Rgb8, Vga};
///
/// let frame: Box<Vga<Rgb8>> = bytemuck::zeroed_box(); // 921 600 bytes, not on the stack
/// assert_eq!(frame.as_bytes().len(), 640 * 480 * 3);
/// ```
pub type Vga<F> = Image<640, 480, F>;
/// 1280 x 720.
pub type Hd<F> = Image<1280, 720, F>;
/// 1920 x 1080.
pub type Fhd<F> = Image<1920, 1080, F>;
/// 3840 x 2160.
pub type Uhd4k<F> = Image<3840, 2160, F>;
/// 640 x 480 NV12.
pub type Nv12Vga = Nv12Image<640, 240>;
/// 1280 x 720 NV12.
pub type Nv12Hd = Nv12Image<1280, 360>;
/// 1920 x 1080 NV12.
pub type Nv12Fhd = Nv12Image<1920, 540>;
/// 3840 x 2160 NV12.
pub type Nv12Uhd4k = Nv12Image<3840, 1080>;

// Sizes, checked at compile time: no padding anywhere.
static_assertions::const_assert_eq!(core::mem::size_of::<Vga<Mono8>>(), 640 * 480);
static_assertions::const_assert_eq!(core::mem::size_of::<Vga<Rgb8>>(), 640 * 480 * 3);
static_assertions::const_assert_eq!(core::mem::size_of::<Hd<Rgba8>>(), 1280 * 720 * 4);
static_assertions::const_assert_eq!(core::mem::size_of::<Fhd<Rgb8>>(), 6_220_800);
static_assertions::const_assert_eq!(core::mem::size_of::<Uhd4k<Rgba8>>(), 3840 * 2160 * 4);
static_assertions::const_assert_eq!(core::mem::size_of::<Nv12Fhd>(), 1920 * 1080 * 3 / 2);
static_assertions::const_assert_eq!(core::mem::size_of::<Nv12Uhd4k>(), 3840 * 2160 * 3 / 2);
static_assertions::const_assert_eq!(core::mem::align_of::<Fhd<Rgb8>>(), 1);

#[cfg(test)]
mod tests {
    extern crate std;
    use std::boxed::Box;

    use super::*;

    #[test]
    fn rows_and_pixels_index_the_packed_bytes() {
        let mut img: Box<Image<4, 3, Rgb8>> = bytemuck::zeroed_box();
        img.row_mut(1).unwrap()[2] = [1, 2, 3];
        assert_eq!(img.pixel(2, 1), Some(&[1, 2, 3]));
        // Row 1, column 2: byte offset (1 * 4 + 2) * 3.
        assert_eq!(&img.as_bytes()[18..21], &[1, 2, 3]);
        assert_eq!(img.pixel(4, 0), None);
        assert_eq!(img.pixel(0, 3), None);
        assert!(img.row(3).is_none());
        assert_eq!(img.rows().len(), 3);
        assert_eq!(
            (Image::<4, 3, Rgb8>::BYTES, Image::<4, 3, Rgb8>::HEIGHT),
            (36, 3)
        );
        assert_eq!(std::format!("{:?}", *img), "Image<4x3 RGB>");
    }

    #[test]
    fn nv12_planes_follow_the_standard_layout() {
        let mut img: Box<Nv12Image<4, 2>> = bytemuck::zeroed_box();
        img.y_row_mut(3).unwrap()[1] = 7;
        img.uv_row_mut(1).unwrap()[0] = 9;
        // Y plane: 4 rows of 4 bytes; UV plane after it: 2 rows of 4 bytes.
        assert_eq!(img.as_bytes()[3 * 4 + 1], 7);
        assert_eq!(img.as_bytes()[16 + 4], 9);
        assert_eq!(img.y_plane().len(), 16);
        assert_eq!(img.uv_plane().len(), 8);
        assert_eq!(img.y_row(3).unwrap()[1], 7);
        assert!(img.y_row(4).is_none() && img.uv_row(2).is_none());
        assert_eq!(Nv12Image::<4, 2>::HEIGHT, 4);
    }
}
