//! Why a file could not be read as a snapshot at all (a damaged snapshot is
//! not an error: see [`Problem`](crate::Problem)).

use std::fmt;
use ttlog_core::wire;

/// Why a file could not be read as a snapshot at all.
#[derive(Debug)]
pub enum Error {
    /// The file could not be read.
    Io(std::io::Error),
    /// The input ended before `offset` bytes, the least a snapshot has.
    UnexpectedEof {
        /// Bytes needed.
        offset: u64,
    },
    /// The input does not start like a snapshot.
    NotASnapshot {
        /// Byte offset of the mismatch.
        offset: u64,
        /// What was found.
        what: String,
    },
    /// A snapshot of a format version this decoder does not read.
    UnsupportedVersion {
        /// Byte offset of the version field.
        offset: u64,
        /// The file's version.
        found: u16,
        /// The version this decoder reads.
        supported: u16,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "cannot read the file: {e}"),
            Error::UnexpectedEof { offset } => {
                write!(
                    f,
                    "not a ttlog snapshot: the input ends before byte {offset} (a snapshot starts with a {}-byte preamble)",
                    wire::PREAMBLE_LEN
                )
            }
            Error::NotASnapshot { offset, what } => write!(f, "not a ttlog snapshot: {what} at byte {offset}"),
            Error::UnsupportedVersion { offset, found, supported } => write!(
                f,
                "unsupported snapshot format version {found} at byte {offset}: this decoder reads version {supported}"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            _ => None,
        }
    }
}
