//! The workloads: the six messages that NanoLog, fmtlog and Quill publish numbers
//! for, a disabled-level event and an event with a `Debug`-formatted struct, each
//! written once per logger so that every logger logs the same text.
//!
//! The six messages' format strings and values are NanoLog's (its README's "Log Messages Map" and
//! its benchmark scripts), with printf specs translated to `format!` specs:
//! `%0.6lf` is `{:.6}`, `%0.1lf` is `{:.1}`. The arguments have NanoLog's
//! widths: `%lu` is a `u64` (C's `unsigned long` on x86-64 Linux), `%u` a `u32`,
//! `%d` an `i32`, `%lf` an `f64`, `%s` a string. Every logger and the floor log
//! the same [`Inputs`], so they record and format the same values at the same
//! widths (the tests check the types ttlog records and that the floor copies
//! the same bytes). A seventh recorded message, `shortString`, is ours: a
//! request log line with two integers and a short (8-byte) string, the shape
//! of most service logs, which NanoLog's six have no instance of.
//!
//! Every function takes the argument values from an [`Inputs`] that the caller
//! passes through [`black_box`](std::hint::black_box), so the compiler can fold
//! neither the values nor the call away.

use std::fmt;

/// One workload of the hot-path benchmarks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Message {
    /// `Starting backup replica garbage collector thread`
    StaticString,
    /// `Opened session with coordinator at {}` with a 39-byte string.
    StringConcat,
    /// `Backup storage speeds (min): {} MB/s read` with an `i32` (NanoLog's `%d`).
    SingleInteger,
    /// `buffer has consumed {} bytes of extra storage, current allocation: {} bytes`,
    /// two `u64` (NanoLog's `%lu`).
    TwoIntegers,
    /// `Using tombstone ratio balancer with ratio = {:.6}` with an `f64` (`%0.6lf`).
    SingleDouble,
    /// `Initialized InfUdDriver buffers: {} receive buffers ({} MB), {} transmit
    /// buffers ({} MB), took {:.1} ms`: a `u64` (`%lu`), three `u32` (`%u`) and
    /// an `f64` (`%0.1lf`).
    ComplexFormat,
    /// `request {} took {} us on {}` with a `u64`, a `u32` and an 8-byte string.
    ShortString,
    /// A DEBUG event while the maximum level is INFO: the disabled path.
    Disabled,
    /// `connected to {:?}` with a struct that derives `Debug`: formatted at the call.
    DebugStruct,
    /// `connected to {:?}` with the same struct deriving `ttlog::Record` (and
    /// `Debug`, for the other loggers): ttlog records its fields raw.
    DerivedStruct,
}

impl Message {
    /// NanoLog's six messages, in its README's order.
    pub const NANOLOG: [Message; 6] = [
        Message::StaticString,
        Message::StringConcat,
        Message::SingleInteger,
        Message::TwoIntegers,
        Message::SingleDouble,
        Message::ComplexFormat,
    ];

    /// The messages the floor has a counterpart of: NanoLog's six and
    /// `shortString`.
    pub const RAW: [Message; 7] = [
        Message::StaticString,
        Message::StringConcat,
        Message::SingleInteger,
        Message::TwoIntegers,
        Message::SingleDouble,
        Message::ComplexFormat,
        Message::ShortString,
    ];

    /// The six messages, `shortString`, the disabled event, the `Debug`
    /// struct and the derived one.
    pub const ALL: [Message; 10] = [
        Message::StaticString,
        Message::StringConcat,
        Message::SingleInteger,
        Message::TwoIntegers,
        Message::SingleDouble,
        Message::ComplexFormat,
        Message::ShortString,
        Message::Disabled,
        Message::DebugStruct,
        Message::DerivedStruct,
    ];

    /// The name NanoLog's tables use (camelCase), or ours for the two extra ones.
    pub const fn name(self) -> &'static str {
        match self {
            Message::StaticString => "staticString",
            Message::StringConcat => "stringConcat",
            Message::SingleInteger => "singleInteger",
            Message::TwoIntegers => "twoIntegers",
            Message::SingleDouble => "singleDouble",
            Message::ComplexFormat => "complexFormat",
            Message::ShortString => "shortString",
            Message::Disabled => "disabledLevel",
            Message::DebugStruct => "debugStruct",
            Message::DerivedStruct => "derivedStruct",
        }
    }

    /// Bytes NanoLog writes per message on disk, measured on this machine
    /// (issue 5); `None` for the workloads NanoLog has no figure for.
    pub const fn nanolog_file_bytes(self) -> Option<f64> {
        match self {
            Message::StaticString => Some(3.38),
            Message::StringConcat => Some(43.12),
            Message::SingleInteger => Some(5.15),
            Message::TwoIntegers => Some(10.06),
            Message::SingleDouble => Some(12.29),
            Message::ComplexFormat => Some(19.01),
            Message::ShortString | Message::Disabled | Message::DebugStruct | Message::DerivedStruct => None,
        }
    }
}

/// A user type that is not recorded raw: ttlog formats it at the call.
#[derive(Debug, Clone, Copy)]
pub struct Peer {
    /// Host name.
    pub host: &'static str,
    /// Port.
    pub port: u16,
}

/// [`Peer`] again, recorded raw by ttlog (`#[derive(ttlog::Record)]`); the
/// other loggers format it with `Debug`.
#[derive(Debug, Clone, Copy, ttlog::Record)]
pub struct RecordedPeer {
    /// Host name.
    pub host: &'static str,
    /// Port.
    pub port: u16,
}

/// The argument values of every message.
#[derive(Debug, Clone, Copy)]
pub struct Inputs {
    /// stringConcat's argument.
    pub coordinator: &'static str,
    /// singleInteger's argument (`%d`: 32-bit, signed).
    pub speed_mb: i32,
    /// twoIntegers' first argument (`%lu`: 64-bit).
    pub consumed: u64,
    /// twoIntegers' second argument (`%lu`: 64-bit).
    pub allocation: u64,
    /// singleDouble's argument (`%0.6lf`).
    pub ratio: f64,
    /// complexFormat: receive buffers (`%lu`: 64-bit).
    pub rx_buffers: u64,
    /// complexFormat: receive MB (`%u`: 32-bit).
    pub rx_mb: u32,
    /// complexFormat: transmit buffers (`%u`: 32-bit).
    pub tx_buffers: u32,
    /// complexFormat: transmit MB (`%u`: 32-bit).
    pub tx_mb: u32,
    /// complexFormat: milliseconds (`%0.1lf`).
    pub took_ms: f64,
    /// shortString: the request (`u64`).
    pub request: u64,
    /// shortString: microseconds (`u32`).
    pub took_us: u32,
    /// shortString: the worker, 8 bytes.
    pub worker: &'static str,
    /// debugStruct's argument.
    pub peer: Peer,
    /// derivedStruct's argument: the same fields.
    pub recorded_peer: RecordedPeer,
}

impl Inputs {
    /// NanoLog's values.
    pub const NANOLOG: Inputs = Inputs {
        coordinator: "basic+udp:host=192.168.1.140,port=12246",
        speed_mb: 181,
        consumed: 1_032_024,
        allocation: 1_016_544,
        ratio: 0.4,
        rx_buffers: 50_000,
        rx_mb: 97,
        tx_buffers: 50,
        tx_mb: 0,
        took_ms: 26.2,
        request: 4_819_204,
        took_us: 1_482,
        worker: "worker-7",
        peer: Peer { host: "db-1", port: 5432 },
        recorded_peer: RecordedPeer { host: "db-1", port: 5432 },
    };
}

/// Writes the message text `format!` makes, for checking that every logger logs
/// the same thing.
pub fn expected_text(m: Message, i: &Inputs) -> String {
    match m {
        Message::StaticString => "Starting backup replica garbage collector thread".to_owned(),
        Message::StringConcat => format!("Opened session with coordinator at {}", i.coordinator),
        Message::SingleInteger => format!("Backup storage speeds (min): {} MB/s read", i.speed_mb),
        Message::TwoIntegers => format!(
            "buffer has consumed {} bytes of extra storage, current allocation: {} bytes",
            i.consumed, i.allocation
        ),
        Message::SingleDouble => format!("Using tombstone ratio balancer with ratio = {:.6}", i.ratio),
        Message::ComplexFormat => format!(
            "Initialized InfUdDriver buffers: {} receive buffers ({} MB), {} transmit buffers ({} MB), took {:.1} ms",
            i.rx_buffers, i.rx_mb, i.tx_buffers, i.tx_mb, i.took_ms
        ),
        Message::ShortString => format!("request {} took {} us on {}", i.request, i.took_us, i.worker),
        Message::Disabled => format!("disabled event {}", i.speed_mb),
        Message::DebugStruct => format!("connected to {:?}", i.peer),
        Message::DerivedStruct => format!("connected to {:?}", i.recorded_peer),
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Calls `f` `n` times with `inputs` passed through `black_box`. Generic over
/// the function item, so each message gets its own loop with the call inlined.
#[inline(never)]
pub fn repeat<F: Fn(&Inputs)>(f: F, n: u64, inputs: &Inputs) {
    for _ in 0..n {
        f(std::hint::black_box(inputs));
    }
}

/// Defines, for one logger whose macros are in scope as `info!` and `debug!`,
/// one `#[inline(always)]` function per message.
macro_rules! define_messages {
    () => {
        use $crate::messages::Inputs;

        /// staticString.
        #[inline(always)]
        pub fn static_string(_i: &Inputs) {
            info!("Starting backup replica garbage collector thread");
        }

        /// stringConcat.
        #[inline(always)]
        pub fn string_concat(i: &Inputs) {
            info!("Opened session with coordinator at {}", i.coordinator);
        }

        /// singleInteger.
        #[inline(always)]
        pub fn single_integer(i: &Inputs) {
            info!("Backup storage speeds (min): {} MB/s read", i.speed_mb);
        }

        /// twoIntegers.
        #[inline(always)]
        pub fn two_integers(i: &Inputs) {
            info!(
                "buffer has consumed {} bytes of extra storage, current allocation: {} bytes",
                i.consumed,
                i.allocation
            );
        }

        /// singleDouble.
        #[inline(always)]
        pub fn single_double(i: &Inputs) {
            info!("Using tombstone ratio balancer with ratio = {:.6}", i.ratio);
        }

        /// complexFormat.
        #[inline(always)]
        pub fn complex_format(i: &Inputs) {
            info!(
                "Initialized InfUdDriver buffers: {} receive buffers ({} MB), {} transmit buffers ({} MB), took {:.1} ms",
                i.rx_buffers,
                i.rx_mb,
                i.tx_buffers,
                i.tx_mb,
                i.took_ms
            );
        }

        /// shortString.
        #[inline(always)]
        pub fn short_string(i: &Inputs) {
            info!("request {} took {} us on {}", i.request, i.took_us, i.worker);
        }

        /// A DEBUG event (disabled while the maximum level is INFO).
        #[inline(always)]
        pub fn disabled(i: &Inputs) {
            debug!("disabled event {}", i.speed_mb);
        }

        /// A struct formatted with `Debug`.
        #[inline(always)]
        pub fn debug_struct(i: &Inputs) {
            info!("connected to {:?}", i.peer);
        }

        /// The same struct, deriving `ttlog::Record`.
        #[inline(always)]
        pub fn derived_struct(i: &Inputs) {
            info!("connected to {:?}", i.recorded_peer);
        }

        /// Logs `m` `n` times, each time with the inputs passed through
        /// `black_box`: one batch of a measurement.
        pub fn run(m: $crate::messages::Message, n: u64, i: &Inputs) {
            use $crate::messages::{repeat, Message};
            match m {
                Message::StaticString => repeat(static_string, n, i),
                Message::StringConcat => repeat(string_concat, n, i),
                Message::SingleInteger => repeat(single_integer, n, i),
                Message::TwoIntegers => repeat(two_integers, n, i),
                Message::SingleDouble => repeat(single_double, n, i),
                Message::ComplexFormat => repeat(complex_format, n, i),
                Message::ShortString => repeat(short_string, n, i),
                Message::Disabled => repeat(disabled, n, i),
                Message::DebugStruct => repeat(debug_struct, n, i),
                Message::DerivedStruct => repeat(derived_struct, n, i),
            }
        }
    };
}

/// The messages through `ttlog::info!` (and `ttlog::debug!`).
pub mod ttlog_log {
    use ttlog::{debug, info};
    define_messages!();
}

/// The messages through `tracing::info!`, for the fmt subscriber writing to a
/// sink (the dispatcher is installed by the caller, see [`crate::peers`]).
pub mod tracing_log {
    use tracing::{debug, info};
    define_messages!();
}

/// The same messages through `tracing::info!` at callsites of their own, for
/// the appender: its measurements do not share tracing's per-callsite state
/// with [`tracing_log`]'s (and the compiler cannot merge the two copies).
pub mod tracing_appender_log {
    use tracing::{debug, info};
    define_messages!();
}

/// The messages through `log::info!`; the global logger is
/// [`crate::peers::StringLogger`].
pub mod log_log {
    use log::{debug, info};
    define_messages!();
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use ttlog_decode::Value;

    /// Logs `m` once through `ttlog::info!` on a thread of its own, decodes a
    /// snapshot, and returns the event's arguments as recorded: each one's type
    /// and its value's bytes, little-endian at the type's width (a string as a
    /// `u16` length and its bytes).
    pub(crate) fn ttlog_args(m: Message) -> Vec<(&'static str, Vec<u8>)> {
        let (tid, bytes) = std::thread::spawn(move || {
            ttlog_log::run(m, 1, &Inputs::NANOLOG);
            // SAFETY: `gettid` has no preconditions and cannot fail.
            let tid = unsafe { libc::gettid() } as u64;
            (tid, ttlog::snapshot("args").to_bytes())
        })
        .join()
        .unwrap();
        let snap = ttlog_decode::from_bytes(&bytes).unwrap();
        let mine: Vec<_> =
            snap.events.iter().filter(|e| snap.thread(e).is_some_and(|t| t.tid == tid && !t.exited)).collect();
        assert_eq!(mine.len(), 1, "{m}: one event on its thread");
        snap.args(mine[0])
            .into_iter()
            .map(|v| match v {
                Value::U32(x) => ("u32", x.to_le_bytes().to_vec()),
                Value::U64(x) => ("u64", x.to_le_bytes().to_vec()),
                Value::I32(x) => ("i32", x.to_le_bytes().to_vec()),
                Value::I64(x) => ("i64", x.to_le_bytes().to_vec()),
                Value::F64(x) => ("f64", x.to_bits().to_le_bytes().to_vec()),
                Value::Str(t) => {
                    assert_eq!(t.truncated, 0, "{m}: a whole string");
                    let mut b = (t.text.len() as u16).to_le_bytes().to_vec();
                    b.extend_from_slice(t.text.as_bytes());
                    ("str", b)
                }
                other => panic!("{m}: an argument of a type NanoLog's messages do not have: {other:?}"),
            })
            .collect()
    }

    /// ttlog records NanoLog's argument types: `%lu` a `u64`, `%u` a `u32`,
    /// `%d` an `i32`, `%lf` an `f64`, `%s` a string; and NanoLog's values.
    #[test]
    fn the_messages_have_nanologs_argument_widths_and_values() {
        let types = |m| ttlog_args(m).into_iter().map(|(t, _)| t).collect::<Vec<_>>();
        assert_eq!(types(Message::StaticString), Vec::<&str>::new());
        assert_eq!(types(Message::StringConcat), ["str"]);
        assert_eq!(types(Message::SingleInteger), ["i32"]);
        assert_eq!(types(Message::TwoIntegers), ["u64", "u64"]);
        assert_eq!(types(Message::SingleDouble), ["f64"]);
        assert_eq!(types(Message::ComplexFormat), ["u64", "u32", "u32", "u32", "f64"]);
        assert_eq!(types(Message::ShortString), ["u64", "u32", "str"]);

        let text = |m| expected_text(m, &Inputs::NANOLOG);
        assert_eq!(text(Message::StaticString), "Starting backup replica garbage collector thread");
        assert_eq!(
            text(Message::StringConcat),
            "Opened session with coordinator at basic+udp:host=192.168.1.140,port=12246"
        );
        assert_eq!(text(Message::SingleInteger), "Backup storage speeds (min): 181 MB/s read");
        assert_eq!(
            text(Message::TwoIntegers),
            "buffer has consumed 1032024 bytes of extra storage, current allocation: 1016544 bytes"
        );
        assert_eq!(text(Message::SingleDouble), "Using tombstone ratio balancer with ratio = 0.400000");
        assert_eq!(
            text(Message::ComplexFormat),
            "Initialized InfUdDriver buffers: 50000 receive buffers (97 MB), 50 transmit buffers (0 MB), took 26.2 ms"
        );
        assert_eq!(text(Message::ShortString), "request 4819204 took 1482 us on worker-7");
        assert_eq!(Inputs::NANOLOG.worker.len(), 8);
    }
}
