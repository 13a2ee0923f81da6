//! The workloads: the six messages that NanoLog, fmtlog and Quill publish numbers
//! for, a disabled-level event and an event with a `Debug`-formatted struct, each
//! written once per logger so that every logger logs the same text.
//!
//! Format strings and values are NanoLog's (its README's "Log Messages Map" and
//! its benchmark scripts), with printf specs translated to `format!` specs:
//! `%0.6lf` is `{:.6}`, `%0.1lf` is `{:.1}`, `%lu` a `u64`, `%u` a `u32`, `%d` an
//! `i32`.
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
    /// `Backup storage speeds (min): {} MB/s read` with an `i32`.
    SingleInteger,
    /// `buffer has consumed {} bytes of extra storage, current allocation: {} bytes`, two `u32`
    /// (NanoLog's `%u`: C's 32-bit `unsigned int`).
    TwoIntegers,
    /// `Using tombstone ratio balancer with ratio = {:.6}` with an `f64`.
    SingleDouble,
    /// `Initialized InfUdDriver buffers: ...`: four `u32` (NanoLog's `%u`) and an `f64`.
    ComplexFormat,
    /// A DEBUG event while the maximum level is INFO: the disabled path.
    Disabled,
    /// `connected to {:?}` with a struct that derives `Debug`: formatted at the call.
    DebugStruct,
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

    /// The six messages, the disabled event and the `Debug` struct.
    pub const ALL: [Message; 8] = [
        Message::StaticString,
        Message::StringConcat,
        Message::SingleInteger,
        Message::TwoIntegers,
        Message::SingleDouble,
        Message::ComplexFormat,
        Message::Disabled,
        Message::DebugStruct,
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
            Message::Disabled => "disabledLevel",
            Message::DebugStruct => "debugStruct",
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
            Message::Disabled | Message::DebugStruct => None,
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

/// The argument values of every message.
#[derive(Debug, Clone, Copy)]
pub struct Inputs {
    /// stringConcat's argument.
    pub coordinator: &'static str,
    /// singleInteger's argument.
    pub speed_mb: i32,
    /// twoIntegers' arguments (`%u` in NanoLog: 32-bit).
    pub consumed: u32,
    /// twoIntegers' second argument.
    pub allocation: u32,
    /// singleDouble's argument.
    pub ratio: f64,
    /// complexFormat's arguments (`%u` in NanoLog: 32-bit).
    pub rx_buffers: u32,
    /// complexFormat: receive MB.
    pub rx_mb: u32,
    /// complexFormat: transmit buffers.
    pub tx_buffers: u32,
    /// complexFormat: transmit MB.
    pub tx_mb: u32,
    /// complexFormat: milliseconds.
    pub took_ms: f64,
    /// debugStruct's argument.
    pub peer: Peer,
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
        peer: Peer { host: "db-1", port: 5432 },
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
        Message::Disabled => format!("disabled event {}", i.speed_mb),
        Message::DebugStruct => format!("connected to {:?}", i.peer),
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
                Message::Disabled => repeat(disabled, n, i),
                Message::DebugStruct => repeat(debug_struct, n, i),
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
