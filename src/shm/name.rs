//! [`SegmentName`]: a validated shared-memory segment name.

use core::fmt;
use std::borrow::ToOwned;
use std::path::{Path, PathBuf};
use std::string::String;

/// A segment name: 1 to 200 bytes of `[A-Za-z0-9._-]`, not starting with `.` (so never `.` or
/// `..`), without `/` but for one leading `/` (dropped). The POSIX shm name is `/` followed by
/// it (`/dev/shm/<name>` on Linux).
///
/// ```
/// use rtshm::shm::SegmentName;
///
/// assert!(SegmentName::new("robot.imu-0").is_ok());
/// assert!(SegmentName::new("../etc/passwd").is_err());
/// assert!(SegmentName::new("").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SegmentName(String);

/// Why a segment name was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidName {
    /// The name is empty.
    Empty,
    /// The name is longer than [`SegmentName::MAX_LEN`] bytes.
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// The name starts with `.`.
    LeadingDot,
    /// The name contains a character outside `[A-Za-z0-9._-]`, such as `/` or `é`.
    BadChar {
        /// The offending character.
        found: char,
        /// Its position, in bytes.
        at: usize,
    },
}

impl fmt::Display for InvalidName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Empty => f.write_str("segment name is empty"),
            Self::TooLong { len } => write!(
                f,
                "segment name is {len} bytes, the limit is {}",
                SegmentName::MAX_LEN
            ),
            Self::LeadingDot => f.write_str("segment name must not start with '.'"),
            Self::BadChar { found, at } => write!(
                f,
                "segment name has {found:?} at byte {at}; use only A-Z a-z 0-9 . _ -"
            ),
        }
    }
}

impl std::error::Error for InvalidName {}

impl SegmentName {
    /// The longest name accepted, in bytes.
    pub const MAX_LEN: usize = 200;

    /// Validates `name`. One leading `/`, the POSIX spelling of a shared-memory name (what
    /// `shm_open` and C++ peers use), is accepted and dropped: `"/imu"` is `"imu"`.
    pub fn new(name: &str) -> Result<Self, InvalidName> {
        let (name, slash) = match name.strip_prefix('/') {
            Some(rest) => (rest, 1),
            None => (name, 0),
        };
        let bytes = name.as_bytes();
        if bytes.is_empty() {
            return Err(InvalidName::Empty);
        }
        if bytes.len() > Self::MAX_LEN {
            return Err(InvalidName::TooLong { len: bytes.len() });
        }
        if bytes[0] == b'.' {
            return Err(InvalidName::LeadingDot);
        }
        if let Some((at, found)) = name
            .char_indices()
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        {
            let at = at + slash;
            return Err(InvalidName::BadChar { found, at });
        }
        Ok(Self(name.to_owned()))
    }

    /// The name, without a leading `/`.
    ///
    /// ```
    /// use rtshm::shm::SegmentName;
    /// assert_eq!(SegmentName::new("/robot.imu")?.as_str(), "robot.imu");
    /// # Ok::<(), rtshm::shm::InvalidName>(())
    /// ```
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The file of the POSIX shm object: `/dev/shm/<name>` (where Linux keeps them).
    pub(crate) fn path(&self) -> PathBuf {
        Path::new(super::segment::SHM_DIR).join(&self.0)
    }
}

impl fmt::Debug for SegmentName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for SegmentName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl core::str::FromStr for SegmentName {
    type Err = InvalidName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn names_are_validated_with_a_reason() {
        assert_eq!(SegmentName::new(""), Err(InvalidName::Empty));
        assert_eq!(SegmentName::new("."), Err(InvalidName::LeadingDot));
        assert_eq!(SegmentName::new(".."), Err(InvalidName::LeadingDot));
        assert_eq!(
            SegmentName::new("a/b"),
            Err(InvalidName::BadChar { found: '/', at: 1 })
        );
        assert_eq!(
            SegmentName::new("a..b/"),
            Err(InvalidName::BadChar { found: '/', at: 4 })
        );
        assert_eq!(
            SegmentName::new(&"x".repeat(201)),
            Err(InvalidName::TooLong { len: 201 })
        );
        assert!(SegmentName::new(&"x".repeat(200)).is_ok());
        assert_eq!(
            SegmentName::new("cam_0.rgb-1").unwrap().path(),
            Path::new("/dev/shm/cam_0.rgb-1")
        );
        assert!(
            InvalidName::BadChar { found: '/', at: 1 }
                .to_string()
                .contains("'/'")
        );
    }

    #[test]
    fn one_leading_slash_is_the_posix_spelling_of_the_same_name() {
        assert_eq!(SegmentName::new("/imu").unwrap().as_str(), "imu");
        assert_eq!(SegmentName::new("/imu"), SegmentName::new("imu"));
        assert_eq!(SegmentName::new("/"), Err(InvalidName::Empty));
        assert_eq!(
            SegmentName::new("//imu"),
            Err(InvalidName::BadChar { found: '/', at: 1 })
        );
        assert_eq!(SegmentName::new("/.x"), Err(InvalidName::LeadingDot));
    }

    #[test]
    fn non_ascii_names_are_refused_with_the_character_itself() {
        let e = SegmentName::new("café").unwrap_err();
        assert_eq!(e, InvalidName::BadChar { found: 'é', at: 3 });
        assert!(e.to_string().contains("'é' at byte 3"), "{e}");
    }
}
