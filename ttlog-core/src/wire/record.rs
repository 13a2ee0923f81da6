//! The layout of records in a thread's ring, which RING frames of crash
//! snapshots carry as they are (see [`super`]).
//!
//! ```text
//!  ring: blocks of `block` bytes (a power of two; 4096 in this version)
//!  block:  word 0: sequence number of the block's first record
//!          records, back to back, until a pad word (0: a record of length 0)
//!          or the end of the block
//!  record: word 0: bits  0..32  callsite id
//!                  bits 32..42  record length in words, header included
//!                  bits 42..62  types of arguments 0..5, four bits each (ArgType)
//!          word 1: timestamp (clock ticks)
//!          [ceil((nargs - 5) / 16) words of further argument types, if nargs > 5]
//!          argument bytes, packed without alignment, zero-padded to a whole word:
//!            integers, floats, char: little-endian (char as u32, bool 1 byte)
//!            str: u16 length (bit 15: cut) [u32 bytes cut, if cut],
//!                 zero bytes up to a word boundary, then the bytes
//!            formatted: per spec slot: UTF-8 bytes then 0xFF, or bytes then
//!                       0xFE and a u32 count of bytes cut (never in UTF-8)
//! ```
//!
//! Words are little-endian `u64` values: byte `i` of a record is bits
//! `8 * (i % 8)..` of word `i / 8`. This module has no dependencies, so that the
//! loom model tests can compile it with the ring.

/// Header bytes of a record: the id/length/types word and the timestamp.
pub const RECORD_HEADER: u64 = 16;
/// Argument types that fit in the header word.
pub const INLINE_TAGS: usize = 5;
/// Argument types per extension word.
pub const TAGS_PER_WORD: usize = 16;

/// Bytes of the extension words that carry the types of arguments past the fifth.
pub const fn ext_tag_bytes(nargs: usize) -> u64 {
    if nargs <= INLINE_TAGS { 0 } else { (nargs - INLINE_TAGS).div_ceil(TAGS_PER_WORD) as u64 * 8 }
}

/// Builds word 0 of a record.
#[inline(always)]
pub const fn header_word(id: u32, len_words: u64, inline_tags: u64) -> u64 {
    id as u64 | (len_words << 32) | (inline_tags << 42)
}

/// The fields of word 0: (callsite id, length in words, inline type tags).
#[inline]
pub const fn split_header(word: u64) -> (u32, u64, u64) {
    (word as u32, (word >> 32) & 0x3ff, (word >> 42) & 0xf_ffff)
}

/// The 4-bit type tag of argument `i` of a record, or `None` if the record is
/// too short to hold it.
pub fn type_tag(record: &[u64], i: usize) -> Option<u8> {
    let (word, shift) = if i < INLINE_TAGS {
        (split_header(*record.first()?).2, 4 * i)
    } else {
        let k = i - INLINE_TAGS;
        (*record.get(2 + k / TAGS_PER_WORD)?, 4 * (k % TAGS_PER_WORD))
    };
    Some(((word >> shift) & 0xf) as u8)
}

/// One record found in a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    /// Callsite id.
    pub id: u32,
    /// Index of the record's first word in its block.
    pub index: usize,
    /// The record's words, header included.
    pub words: &'a [u64],
}

impl<'a> Record<'a> {
    /// The timestamp.
    pub fn ticks(&self) -> u64 {
        self.words.get(1).copied().unwrap_or(0)
    }

    /// The argument bytes' words, after the header and `ext` extension words.
    pub fn arg_words(&self, nargs: usize) -> Option<&'a [u64]> {
        self.words.get(2 + (ext_tag_bytes(nargs) / 8) as usize..)
    }
}

/// A block of records.
#[derive(Clone, Copy, Debug)]
pub struct Block<'a> {
    /// Sequence number of the block's first record.
    pub seq: u64,
    words: &'a [u64],
}

impl<'a> Block<'a> {
    /// The block's records. A record whose length does not fit in the block
    /// ends the iteration with `Err(())`: the rest of the block is unreadable.
    pub fn records(self) -> impl Iterator<Item = Result<Record<'a>, ()>> + 'a {
        let words = self.words;
        let mut i = 1;
        let mut done = false;
        core::iter::from_fn(move || {
            if done || i >= words.len() {
                return None;
            }
            let (id, len, _) = split_header(words[i]);
            if len == 0 {
                // The pad word: the rest of the block is unused.
                return None;
            }
            let len = len as usize;
            if len < 2 || i + len > words.len() {
                done = true;
                return Some(Err(()));
            }
            let r = Record { id, index: i, words: &words[i..i + len] };
            i += len;
            Some(Ok(r))
        })
    }
}

/// Splits `words` (starting at a block boundary) into blocks of `block_words`
/// words; the last may be partial.
pub fn blocks(words: &[u64], block_words: usize) -> impl Iterator<Item = Block<'_>> {
    let block_words = block_words.max(1);
    words.chunks(block_words).map(|w| Block { seq: w[0], words: w })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields_round_trip() {
        let w = header_word(0xDEAD_BEEF, 511, 0xF_FFFF);
        assert_eq!(split_header(w), (0xDEAD_BEEF, 511, 0xF_FFFF));
        assert_eq!(ext_tag_bytes(5), 0);
        assert_eq!(ext_tag_bytes(6), 8);
        assert_eq!(ext_tag_bytes(21), 8);
        assert_eq!(ext_tag_bytes(22), 16);
    }

    #[test]
    fn type_tags_inline_and_extended() {
        let rec = [header_word(1, 3, 0x4_3210), 0, 0xFEDC_BA98_7654_3210];
        assert_eq!(type_tag(&rec, 0), Some(0));
        assert_eq!(type_tag(&rec, 4), Some(4));
        assert_eq!(type_tag(&rec, 5), Some(0));
        assert_eq!(type_tag(&rec, 6), Some(1));
        assert_eq!(type_tag(&rec, 20), Some(15));
        assert_eq!(type_tag(&rec, 21), None);
    }

    #[test]
    fn blocks_and_records() {
        // Block of 8 words: seq 5, a 2-word record, a 3-word record, pad.
        let words = [5, header_word(9, 2, 0), 100, header_word(8, 3, 0), 101, 7, 0, 0, 6, header_word(9, 9, 0)];
        let bs: Vec<_> = blocks(&words, 8).collect();
        assert_eq!(bs.len(), 2);
        assert_eq!(bs[0].seq, 5);
        let rs: Vec<_> = bs[0].records().collect();
        assert_eq!(rs.len(), 2);
        assert_eq!(rs[1].unwrap().id, 8);
        assert_eq!(rs[1].unwrap().ticks(), 101);
        // The second block's record claims more words than the block holds.
        assert_eq!(bs[1].records().collect::<Vec<_>>(), vec![Err(())]);
    }
}
