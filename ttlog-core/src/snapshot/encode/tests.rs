//! The encoder against an encoder built on `wire::transcode_args` and
//! `wire::put_varint`, on random and damaged rings.

use super::frame::Frame;
use super::signatures::fixed_width;
use super::sink::Raw;
use super::transcode::event_bound;
use super::*;
use crate::callsite::{ArgMeta, ArgRole, CallsiteKind, Spec};
use crate::level::Level;
use crate::wire;
use crate::wire::record::header_word;
use std::collections::HashMap;

/// Test data from `fastrand`, in the shapes these tests draw.
struct Rng(fastrand::Rng);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(fastrand::Rng::with_seed(seed))
    }

    fn next(&mut self) -> u64 {
        self.0.u64(..)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0.u64(0..n)
    }

    /// A value with a random number of significant bits (so that every
    /// varint length comes up).
    fn bits(&mut self) -> u64 {
        let b = self.below(65) as u32;
        if b == 0 { 0 } else { self.next() >> (64 - b) }
    }
}

fn callsite(nargs: usize, slots: &[usize]) -> &'static Callsite {
    let args: Vec<ArgMeta> = (0..nargs)
        .map(|i| ArgMeta {
            name: "a",
            role: ArgRole::Positional,
            specs: Box::leak(vec![Spec::DISPLAY; slots.get(i).copied().unwrap_or(1)].into_boxed_slice()),
        })
        .collect();
    Box::leak(Box::new(Callsite {
        level: Level::Info,
        kind: CallsiteKind::Event,
        name: "test",
        target: "test",
        file: "encode.rs",
        line: 1,
        path: None,
        pieces: &[],
        args: Box::leak(args.into_boxed_slice()),
    }))
}

/// The argument bytes of a record as the macros write them.
fn arg_bytes(rng: &mut Rng, types: &[ArgType], slots: &[usize]) -> Vec<u8> {
    let mut b = Vec::new();
    for (i, &t) in types.iter().enumerate() {
        let v = rng.bits();
        match t {
            ArgType::Str => {
                let max = if rng.below(4) == 0 { 300 } else { 40 };
                let n = rng.below(max) as usize;
                let cut = if rng.below(3) == 0 { rng.bits() as u32 } else { 0 };
                b.extend_from_slice(&((n as u16) | if cut != 0 { 0x8000 } else { 0 }).to_le_bytes());
                if cut != 0 {
                    b.extend_from_slice(&cut.to_le_bytes());
                }
                b.resize(b.len().next_multiple_of(8), 0);
                b.extend((0..n).map(|_| b'a' + rng.below(26) as u8));
            }
            ArgType::Formatted => {
                for _ in 0..slots[i] {
                    let n = rng.below(30) as usize;
                    b.extend((0..n).map(|_| b' ' + rng.below(90) as u8));
                    if rng.below(3) == 0 {
                        b.push(0xFE);
                        b.extend_from_slice(&(rng.bits() as u32).to_le_bytes());
                    } else {
                        b.push(0xFF);
                    }
                }
            }
            _ => b.extend_from_slice(&v.to_le_bytes()[..fixed_width(t).unwrap_or(0).min(8)]),
        }
        if matches!(t, ArgType::U128 | ArgType::I128) {
            b.extend_from_slice(&rng.next().to_le_bytes());
        }
    }
    b
}

/// A record of callsite `id` with these types, timestamp `ts`.
fn record(rng: &mut Rng, id: u32, types: &[ArgType], slots: &[usize], ts: u64) -> Vec<u64> {
    let tags: Vec<u64> = types.iter().map(|&t| t as u64).collect();
    let inline = tags.iter().take(record::INLINE_TAGS).enumerate().fold(0, |a, (i, t)| a | t << (4 * i));
    let mut ext = vec![0u64; (record::ext_tag_bytes(types.len()) / 8) as usize];
    for (k, t) in tags.iter().skip(record::INLINE_TAGS).enumerate() {
        ext[k / record::TAGS_PER_WORD] |= t << (4 * (k % record::TAGS_PER_WORD));
    }
    let mut bytes = arg_bytes(rng, types, slots);
    bytes.resize(bytes.len().next_multiple_of(8), 0);
    let mut words = vec![0, ts];
    words.extend_from_slice(&ext);
    words.extend(bytes.chunks(8).map(|c| u64::from_le_bytes(c.try_into().unwrap())));
    words[0] = header_word(id, words.len() as u64, inline);
    words
}

/// Records packed into blocks as a ring holds them.
fn ring(records: &[Vec<u64>]) -> Vec<u64> {
    let mut words = Vec::new();
    for (seq, r) in records.iter().enumerate() {
        let used = words.len() % BLOCK_WORDS;
        if used == 0 || used + r.len() > BLOCK_WORDS {
            if used != 0 {
                words.push(0);
                words.resize(words.len().next_multiple_of(BLOCK_WORDS), 0xDEAD);
            }
            words.push(seq as u64);
        }
        words.extend_from_slice(r);
    }
    words
}

/// The encoder this module replaces, kept as the reference: the generic
/// `wire` functions, a `Vec`, a hash map per lookup.
struct Reference {
    table: Arc<CallsiteTable>,
    signatures: Vec<(&'static Callsite, Vec<ArgType>)>,
    index: HashMap<(u32, Vec<u64>), u32>,
}

impl Reference {
    fn signature(&mut self, id: u32, type_words: &[u64]) -> Option<u32> {
        if let Some(&i) = self.index.get(&(id, type_words.to_vec())) {
            return Some(i);
        }
        let cs = *self.table.get(&id)?;
        let types = (0..cs.args.len())
            .map(|i| {
                let (word, shift) = if i < record::INLINE_TAGS {
                    (type_words[0], 4 * i)
                } else {
                    let k = i - record::INLINE_TAGS;
                    (type_words[1 + k / record::TAGS_PER_WORD], 4 * (k % record::TAGS_PER_WORD))
                };
                ArgType::from_tag(((word >> shift) & 0xf) as u8).unwrap()
            })
            .collect();
        let idx = self.signatures.len() as u32;
        self.signatures.push((cs, types));
        self.index.insert((id, type_words.to_vec()), idx);
        Some(idx)
    }

    fn thread_events(&mut self, thread: u32, words: &[u64], out: &mut Vec<u8>) -> (u64, u64, u64) {
        let (mut written, mut frames, mut skipped) = (0, 0, 0);
        let mut frame: Option<(usize, usize, u32)> = None;
        let mut prev = 0u64;
        for block in record::blocks(words, BLOCK_WORDS) {
            for rec in block.records().map_while(Result::ok) {
                let words = rec.words;
                let (id, _, inline) = record::split_header(words[0]);
                let ts = words[1];
                let nargs = self.table.get(&id).map_or(0, |c| c.args.len());
                let ext_words = (record::ext_tag_bytes(nargs) / 8) as usize;
                let sig = if 2 + ext_words > words.len() {
                    None
                } else {
                    let mut tw = vec![inline];
                    tw.extend_from_slice(&words[2..2 + ext_words]);
                    self.signature(id, &tw)
                };
                let Some(sig) = sig else {
                    skipped += 1;
                    continue;
                };
                let (start, count_at, count) = *frame.get_or_insert_with(|| {
                    prev = ts;
                    let f = Frame::open(out, thread, ts);
                    (f.start, f.count_at, 0)
                });
                let (cs, types) = &self.signatures[sig as usize];
                let args: Vec<u8> = words[2 + ext_words..].iter().flat_map(|w| w.to_le_bytes()).collect();
                let mark = out.len();
                wire::put_varint(out, sig as u64);
                wire::put_varint(out, ts.wrapping_sub(prev));
                let slots = |i: usize| cs.args.get(i).map(|a| a.specs.len());
                if wire::transcode_args(types, slots, &args, out).is_none() {
                    out.truncate(mark);
                    skipped += 1;
                    continue;
                }
                prev = ts;
                written += 1;
                frame = Some((start, count_at, count + 1));
                if out.len() - start >= wire::EVENTS_FRAME_TARGET {
                    let (start, count_at, count) = frame.take().unwrap();
                    frames += Frame::close(out, Some(Frame { start, count_at }), count);
                }
            }
        }
        if let Some((start, count_at, count)) = frame {
            frames += Frame::close(out, Some(Frame { start, count_at }), count);
        }
        (written, frames, skipped)
    }
}

const ALL_TYPES: [ArgType; 16] = ArgType::ALL;

/// Callsites with random argument counts (up to 30: extension words) and
/// slot counts, each with a few random type combinations (generic
/// callsites have several); some all of fixed width, some not.
/// A test callsite: its static, its slot counts, its type combinations.
type Site = (&'static Callsite, Vec<usize>, Vec<Vec<ArgType>>);

fn random_callsites(rng: &mut Rng) -> Vec<Site> {
    (0..12)
        .map(|c| {
            let nargs = match c {
                0 => 0,
                1..=7 => rng.below(6) as usize,
                8..=9 => 1 + rng.below(12) as usize,
                _ => 6 + rng.below(25) as usize,
            };
            let slots: Vec<usize> = (0..nargs).map(|_| 1 + rng.below(3) as usize).collect();
            let fixed_only = c % 2 == 0;
            let combos = (0..1 + rng.below(3))
                .map(|_| (0..nargs).map(|_| ALL_TYPES[rng.below(if fixed_only { 14 } else { 16 }) as usize]).collect())
                .collect();
            (callsite(nargs, &slots), slots, combos)
        })
        .collect()
}

/// Encodes `words` with both encoders, and checks that they agree.
fn check_same(table: &Arc<CallsiteTable>, words: &[u64], what: &str) {
    let mut new = Encoder::with_table(table.clone(), true);
    let mut reference = Reference { table: table.clone(), signatures: Vec::new(), index: HashMap::new() };
    // Output that already holds something, as for a second thread.
    let (mut a, mut b) = (vec![7u8; 5], vec![7u8; 5]);
    for thread in 0..2 {
        let got = new.thread_words(thread, words, &mut a);
        let want = reference.thread_events(thread, words, &mut b);
        assert_eq!(got, want, "{what}: (events, frames, skipped)");
    }
    assert!(a == b, "{what}: the bytes differ");
    let sigs: Vec<_> = new.sigs.iter().map(|s| (s.cs as *const Callsite, s.types.clone())).collect();
    let want: Vec<_> = reference.signatures.iter().map(|(cs, t)| (*cs as *const Callsite, t.clone())).collect();
    assert_eq!(sigs, want, "{what}: signatures");
}

#[test]
fn matches_the_reference_on_random_rings() {
    let mut rng = Rng::new(1);
    for round in 0..60 {
        let sites = random_callsites(&mut rng);
        let table: Arc<CallsiteTable> =
            Arc::new(sites.iter().map(|(cs, _, _)| (crate::callsite::callsite_id(cs), *cs)).collect());
        let mut ts = rng.next();
        let records: Vec<Vec<u64>> = (0..1 + rng.below(3000))
            .map(|_| {
                let (cs, slots, combos) = &sites[rng.below(sites.len() as u64) as usize];
                let types = &combos[rng.below(combos.len() as u64) as usize];
                // Deltas of every size, now and then backwards.
                ts = ts.wrapping_add(if rng.below(50) == 0 { rng.next() } else { rng.bits() >> rng.below(60) });
                record(&mut rng, crate::callsite::callsite_id(cs), types, slots, ts)
            })
            .collect();
        let words = ring(&records);
        check_same(&table, &words, &format!("round {round}"));

        // The same ring damaged: random words, lengths, ids and types.
        for d in 0..6 {
            let mut bad = words.clone();
            for _ in 0..1 + rng.below(8) {
                let i = rng.below(bad.len() as u64) as usize;
                bad[i] = match rng.below(5) {
                    0 => rng.next(),
                    1 => bad[i] ^ (1 << rng.below(64)),
                    2 => bad[i] & !(0x3ff << 32) | rng.below(1024) << 32,
                    3 => bad[i] ^ rng.bits(),
                    _ => 0,
                };
            }
            check_same(&table, &bad, &format!("round {round}, damage {d}"));
        }
    }
}

#[test]
fn callsite_id_zero_is_not_an_empty_slot() {
    // Ids are addresses in words: 0 is possible in principle. An empty
    // entry of the signature map must never match it.
    let a = callsite(0, &[]);
    let zero = callsite(1, &[1]);
    let table: Arc<CallsiteTable> = Arc::new([(5, a), (0, zero)].into_iter().collect());
    let mut rng = Rng::new(2);
    let words = ring(&[
        record(&mut rng, 0, &[ArgType::U8], &[1], 100),
        record(&mut rng, 5, &[], &[], 101),
        record(&mut rng, 0, &[ArgType::U8], &[1], 102),
    ]);
    let mut enc = Encoder::with_table(table.clone(), true);
    let mut out = Vec::new();
    assert_eq!(enc.thread_words(0, &words, &mut out), (3, 1, 0));
    assert_eq!(enc.sigs.len(), 2);
    assert!(core::ptr::eq(enc.sigs[0].cs, zero) && enc.sigs[0].types == [ArgType::U8]);
    assert!(core::ptr::eq(enc.sigs[1].cs, a));
    check_same(&table, &words, "id 0");
}

#[test]
fn colliding_keys_keep_their_signatures() {
    // Many callsites in a small map: probing, growth, and no eviction.
    let mut rng = Rng::new(3);
    let sites: Vec<_> = (0..200).map(|_| callsite(1, &[1])).collect();
    let table: Arc<CallsiteTable> = Arc::new(sites.iter().map(|cs| (crate::callsite::callsite_id(cs), *cs)).collect());
    let records: Vec<_> = (0..5000)
        .map(|i| {
            let cs = sites[rng.below(200) as usize];
            record(&mut rng, crate::callsite::callsite_id(cs), &[ALL_TYPES[i % 14]], &[1], i as u64)
        })
        .collect();
    check_same(&table, &ring(&records), "200 callsites");
}

#[test]
fn varints_match_the_wire_encoding() {
    let mut rng = Rng::new(4);
    let mut values: Vec<u64> = (0..64).flat_map(|b| [(1u64 << b) - 1, 1 << b, (1 << b) + 1]).collect();
    values.extend((0..20_000).map(|_| rng.bits()));
    values.push(u64::MAX);
    for v in values {
        let mut want = Vec::new();
        wire::put_varint(&mut want, v);
        let mut buf = [0u8; 32];
        // SAFETY: 32 bytes of room, more than a varint and its 8-byte stores need.
        let n = unsafe {
            let mut w = Raw::new(buf.as_mut_ptr(), buf.len());
            w.varint(v);
            w.p.offset_from_unsigned(buf.as_ptr())
        };
        assert_eq!(&buf[..n], &want[..], "{v:#x}");
    }
    for v in [0u128, 1, u64::MAX as u128, u64::MAX as u128 + 1, 1 << 100, u128::MAX] {
        let mut want = Vec::new();
        wire::put_varint128(&mut want, v);
        let mut buf = [0u8; 32];
        // SAFETY: 32 bytes of room, more than 19.
        let n = unsafe {
            let mut w = Raw::new(buf.as_mut_ptr(), buf.len());
            w.varint128(v);
            w.p.offset_from_unsigned(buf.as_ptr())
        };
        assert_eq!(&buf[..n], &want[..], "{v:#x}");
    }
}

#[test]
fn events_stay_inside_their_bound() {
    // The largest events: every value at its longest encoding.
    for t in ALL_TYPES.into_iter().filter(|t| fixed_width(*t).is_some()) {
        let cs = callsite(12, &[]);
        let s = Sig::new(u32::MAX, cs, vec![t; 12]);
        // Header, timestamp, one word of extension tags, the values.
        let mut rec = vec![header_word(1, 0, 0), 0, 0];
        rec.extend(std::iter::repeat_n(u64::MAX, (12 * fixed_width(t).unwrap()).div_ceil(8)));
        rec[0] = header_word(1, rec.len() as u64, 0);
        assert_eq!(rec.len(), s.fixed_words);
        let mut buf = vec![0u8; 16 * rec.len()];
        // SAFETY: 16 bytes per word of the record, as `encode_event` needs.
        let end = unsafe { encode_event(&s, &rec, u64::MAX, buf.as_mut_ptr()) }.unwrap();
        // SAFETY: `end` is inside `buf`.
        let n = unsafe { end.offset_from_unsigned(buf.as_ptr()) };
        assert!(n + 7 <= event_bound(8 * (rec.len() - 2)), "{t:?}: {n} bytes");
    }
}

#[test]
fn raw_words_copies_every_length_at_every_offset() {
    // Every string length up to past the straight-line cases, from sources
    // and to destinations at every offset of a word (some of them under
    // Miri, which runs this test in CI); the bytes past the copy's words stay
    // untouched.
    let offsets: &[usize] = if cfg!(miri) { &[0, 3, 7] } else { &[0, 1, 2, 3, 4, 5, 6, 7] };
    for n in 0..=80usize {
        let len = n.next_multiple_of(8);
        for &src_at in offsets {
            for &dst_at in offsets {
                let src: Vec<u8> = (0..src_at + len).map(|i| (i * 7 + n) as u8 | 1).collect();
                let words = &src[src_at..];
                let mut buf = vec![0u8; dst_at + len + 16];
                // SAFETY: `buf` has `len` bytes of room at `dst_at` (16 more
                // after them), and does not overlap `src`.
                let end = unsafe {
                    let mut w = Raw::new(buf.as_mut_ptr().add(dst_at), len);
                    w.words(words, n);
                    w.p.offset_from_unsigned(buf.as_ptr())
                };
                assert_eq!(end, dst_at + n, "length {n}");
                assert_eq!(&buf[dst_at..dst_at + len], words, "length {n}, offsets {src_at}/{dst_at}");
                assert!(
                    buf[..dst_at].iter().chain(&buf[dst_at + len..]).all(|&b| b == 0),
                    "length {n}: a store outside the words"
                );
            }
        }
    }
}
