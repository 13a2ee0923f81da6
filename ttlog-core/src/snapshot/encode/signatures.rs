//! Signature interning: each distinct (callsite, argument types) pair of a
//! snapshot gets an index, found per record by one probe of an open-addressing
//! map keyed by the record's header word.

use crate::callsite::{ArgType, Callsite};
use crate::wire::{self, record};

/// The bits of a record's header word that name its signature when it has at
/// most five arguments: the callsite id (bits 0..32) and the inline type tags
/// (bits 42..62). The length and the two unused top bits are masked out.
pub(super) const KEY_MASK: u64 = 0x3FFF_FC00_FFFF_FFFF;

/// A key no header word can have once masked with [`KEY_MASK`] (its top bits
/// are set): marks an empty slot of [`SigMap`].
pub(super) const EMPTY: u64 = u64::MAX;

/// Bit of a [`SigMap`] entry: not for [`fast_run`]. The low 32 bits are a
/// signature index, or with [`EXT`] an index into `Encoder::ext_groups`.
pub(super) const SLOW: u64 = 1 << 63;

/// Bit of a [`SLOW`] entry: the callsite has more than five arguments, and its
/// signatures depend on extension words.
pub(super) const EXT: u64 = 1 << 62;

/// Arguments a signature of fixed-width arguments may have for its events to
/// take the fixed path of [`encode_event`].
pub(super) const FIXED_MAX: usize = 12;

/// An interned (callsite, concrete argument types) pair, with what encoding
/// its events needs.
#[derive(Debug)]
pub(crate) struct Sig {
    /// The signature's index as a varint, in the low bytes (little-endian).
    pub(super) code: u64,
    /// Bytes of `code`.
    pub(super) code_len: usize,
    /// The record length in words when there are at most [`FIXED_MAX`]
    /// arguments, all of fixed width; 0 otherwise.
    pub(super) fixed_words: usize,
    /// Extension words of type tags after the timestamp.
    pub(super) ext_words: usize,
    /// The argument types, when `fixed_words` is not 0 (the first `types.len()`).
    pub(super) fixed: [ArgType; FIXED_MAX],
    pub(crate) cs: &'static Callsite,
    pub(crate) types: Vec<ArgType>,
}

impl Sig {
    pub(super) fn new(index: u32, cs: &'static Callsite, types: Vec<ArgType>) -> Sig {
        let mut code_bytes = Vec::with_capacity(5);
        wire::put_varint(&mut code_bytes, index as u64);
        let mut code = [0u8; 8];
        code[..code_bytes.len()].copy_from_slice(&code_bytes);
        let ext_words = (record::ext_tag_bytes(types.len()) / 8) as usize;
        let mut fixed = [ArgType::U8; FIXED_MAX];
        let fixed_words = match types.iter().map(|&t| fixed_width(t)).sum::<Option<usize>>() {
            Some(bytes) if types.len() <= FIXED_MAX => {
                fixed[..types.len()].copy_from_slice(&types);
                2 + ext_words + bytes.div_ceil(8)
            }
            _ => 0,
        };
        Sig { code: u64::from_le_bytes(code), code_len: code_bytes.len(), fixed_words, ext_words, fixed, cs, types }
    }
}

/// Bytes a value of type `t` takes in a record, if that does not depend on the
/// value.
pub(super) const fn fixed_width(t: ArgType) -> Option<usize> {
    Some(match t {
        ArgType::U8 | ArgType::I8 | ArgType::Bool => 1,
        ArgType::U16 | ArgType::I16 => 2,
        ArgType::U32 | ArgType::I32 | ArgType::F32 | ArgType::Char => 4,
        ArgType::U64 | ArgType::I64 | ArgType::F64 => 8,
        ArgType::U128 | ArgType::I128 => 16,
        ArgType::Str | ArgType::Formatted => return None,
    })
}

/// Open addressing from masked header words to signatures (or, with [`EXT`],
/// to a group of signatures of one callsite with more than five arguments).
/// Linear probing, at most half full: unlike a direct-mapped cache, callsites
/// whose keys collide do not evict each other.
#[derive(Debug)]
pub(super) struct SigMap {
    pub(super) slots: Vec<(u64, u64)>,
    pub(super) len: usize,
    pub(super) shift: u32,
}

impl SigMap {
    pub(super) fn new() -> SigMap {
        SigMap { slots: vec![(EMPTY, 0); 64], len: 0, shift: 64 - 6 }
    }

    #[inline(always)]
    pub(super) fn home(&self, key: u64) -> usize {
        SigMap::home_of(key, self.shift)
    }

    /// The first slot to probe for `key` in a map of `1 << (64 - shift)` slots.
    #[inline(always)]
    pub(super) fn home_of(key: u64, shift: u32) -> usize {
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> shift) as usize
    }

    #[inline(always)]
    pub(super) fn get(&self, key: u64) -> Option<u64> {
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            let (k, v) = self.slots[i];
            if k == key {
                return Some(v);
            }
            if k == EMPTY {
                return None;
            }
            i = (i + 1) & mask;
        }
    }

    /// [`SigMap::get`], out of line: for the keys that are not in their
    /// first slot.
    #[cold]
    #[inline(never)]
    pub(super) fn get_cold(&self, key: u64) -> Option<u64> {
        self.get(key)
    }

    /// Adds a key that is not in the map.
    pub(super) fn insert(&mut self, key: u64, value: u64) {
        debug_assert!(key != EMPTY && self.get(key).is_none());
        if 2 * (self.len + 1) > self.slots.len() {
            let bigger = vec![(EMPTY, 0); 2 * self.slots.len()];
            let old = std::mem::replace(&mut self.slots, bigger);
            self.shift -= 1;
            self.len = 0;
            for (k, v) in old {
                if k != EMPTY {
                    self.insert(k, v);
                }
            }
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        while self.slots[i].0 != EMPTY {
            i = (i + 1) & mask;
        }
        self.slots[i] = (key, value);
        self.len += 1;
    }
}

/// The [`SigMap`] entry of signature `index`. For [`fast_run`] it packs what
/// the events of signatures of at most five arguments need, so that it reads
/// no [`Sig`] for those of fixed-width arguments:
///
/// ```text
///  bits  0..24  the index as a varint (at most 3 bytes: indexes below 1 << 21)
///  bits 24..26  its length in bytes
///  bits 26..36  `fixed_words` (0: some argument has no fixed width)
///  bits 36..39  the number of arguments (their types are the record's inline tags)
///  bits 39..61  the index
/// ```
///
/// Other signatures get [`SLOW`] and the index.
pub(super) fn entry(index: u32, s: &Sig) -> u64 {
    if index < 1 << 21 && s.types.len() <= record::INLINE_TAGS {
        debug_assert!(s.code_len <= 3 && s.code < 1 << 24 && s.fixed_words < 1 << 10 && s.ext_words == 0);
        s.code
            | (s.code_len as u64) << 24
            | (s.fixed_words as u64) << 26
            | (s.types.len() as u64) << 36
            | (index as u64) << 39
    } else {
        SLOW | index as u64
    }
}

/// The signature index of an [`entry`] (not an [`EXT`] one).
#[inline(always)]
pub(super) fn entry_sig(e: u64) -> u32 {
    debug_assert!(e & EXT == 0);
    if e & SLOW == 0 { (e >> 39 & 0x3F_FFFF) as u32 } else { e as u32 }
}

/// The signatures of one callsite with more than five arguments, told apart by
/// their extension words.
#[derive(Debug)]
pub(super) struct ExtGroup {
    pub(super) cs: &'static Callsite,
    pub(super) ext_words: usize,
    pub(super) sigs: Vec<(Box<[u64]>, u32)>,
}
