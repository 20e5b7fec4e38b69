use alloc::string::String;
use core::str;

use crate::Errno;

/// Why bytes could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    #[error("truncated input: needed {needed} bytes, {remaining} left")]
    Truncated { needed: usize, remaining: usize },
    #[error("{0} trailing bytes after a complete value")]
    TrailingBytes(usize),
    #[error("encoding v{version} needs a decoder of at least v{compat}; this one is v{supported}")]
    IncompatibleVersion { version: u8, compat: u8, supported: u8 },
    #[error("encoding v{version} is older than the oldest this decoder reads (v{oldest})")]
    VersionTooOld { version: u8, oldest: u8 },
    #[error("count {count} cannot fit in the {remaining} bytes left")]
    CountTooLarge { count: u32, remaining: usize },
    #[error("string is not valid UTF-8")]
    InvalidUtf8,
    #[error("invalid {0}")]
    Invalid(&'static str),
}

impl DecodeError {
    /// librbd reports undecodable replies as -EBADMSG.
    pub fn errno(&self) -> Errno {
        Errno::EBADMSG
    }
}

/// A value with a Ceph encoding that can be read back.
pub trait Decode: Sized {
    /// The fewest bytes one encoded value occupies (at least 1). Counts are
    /// checked against it so a hostile count cannot cause a huge allocation.
    const MIN_LEN: usize = 1;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError>;
}

/// Decodes one value that must use every byte of `buf`.
pub fn decode_exact<T: Decode>(buf: &[u8]) -> Result<T, DecodeError> {
    let mut d = Decoder::new(buf);
    let value = T::decode(&mut d)?;
    d.finish()?;
    Ok(value)
}

/// A cursor over untrusted bytes. Every read checks the length first.
#[derive(Clone, Debug)]
pub struct Decoder<'a> {
    buf: &'a [u8],
}

impl<'a> Decoder<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Decoder { buf }
    }

    pub fn remaining(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// What is left, without consuming it.
    pub fn rest(&self) -> &'a [u8] {
        self.buf
    }

    /// Succeeds only when every byte was consumed.
    pub fn finish(self) -> Result<(), DecodeError> {
        match self.buf.len() {
            0 => Ok(()),
            n => Err(DecodeError::TrailingBytes(n)),
        }
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.buf.len() {
            return Err(DecodeError::Truncated { needed: n, remaining: self.buf.len() });
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    pub fn skip(&mut self, n: usize) -> Result<(), DecodeError> {
        self.take(n).map(|_| ())
    }

    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }

    pub fn u16(&mut self) -> Result<u16, DecodeError> {
        self.array().map(u16::from_le_bytes)
    }

    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        self.array().map(u32::from_le_bytes)
    }

    pub fn u64(&mut self) -> Result<u64, DecodeError> {
        self.array().map(u64::from_le_bytes)
    }

    pub fn i32(&mut self) -> Result<i32, DecodeError> {
        self.array().map(i32::from_le_bytes)
    }

    pub fn i64(&mut self) -> Result<i64, DecodeError> {
        self.array().map(i64::from_le_bytes)
    }

    /// Ceph writes bools as one byte; like Ceph, any non-zero byte is true.
    pub fn bool(&mut self) -> Result<bool, DecodeError> {
        Ok(self.u8()? != 0)
    }

    /// A `u32`-length-prefixed byte run (a bufferlist or string), borrowed.
    pub fn bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        let len = self.u32()? as usize;
        self.take(len)
    }

    /// A `u32`-length-prefixed string, borrowed; must be UTF-8.
    pub fn str(&mut self) -> Result<&'a str, DecodeError> {
        str::from_utf8(self.bytes()?).map_err(|_| DecodeError::InvalidUtf8)
    }

    pub fn string(&mut self) -> Result<String, DecodeError> {
        self.str().map(String::from)
    }

    /// Reads a `u32` element count and checks that `count` elements of at
    /// least `min_len` bytes each could fit in what is left.
    pub fn count(&mut self, min_len: usize) -> Result<usize, DecodeError> {
        let count = self.u32()?;
        let remaining = self.buf.len();
        let needed = (count as usize).checked_mul(min_len.max(1));
        match needed {
            Some(needed) if needed <= remaining => Ok(count as usize),
            _ => Err(DecodeError::CountTooLarge { count, remaining }),
        }
    }

    pub fn decode<T: Decode>(&mut self) -> Result<T, DecodeError> {
        T::decode(self)
    }

    /// Opens a versioned envelope (Ceph's DECODE_START): refuses an encoding
    /// whose compat version is newer than `supported`, hands `body` a decoder
    /// bounded to the envelope with the encoder's version, and skips whatever
    /// a newer encoder appended that `body` did not read (DECODE_FINISH).
    pub fn versioned<T>(
        &mut self,
        supported: u8,
        body: impl FnOnce(&mut Decoder<'a>, u8) -> Result<T, DecodeError>,
    ) -> Result<T, DecodeError> {
        let version = self.u8()?;
        let compat = self.u8()?;
        if compat > supported {
            return Err(DecodeError::IncompatibleVersion { version, compat, supported });
        }
        let len = self.u32()? as usize;
        let mut inner = Decoder::new(self.take(len)?);
        body(&mut inner, version)
    }
}
