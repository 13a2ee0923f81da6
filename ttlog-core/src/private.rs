//! What the macros' expansions reach, and nothing else. Not a public API: it
//! changes with every release, which is why `ttlog` pins `ttlog-core` and `ttlog-macros` exactly.

pub use crate::callsite::{
    Align, ArgMeta, ArgRole, Callsite, CallsiteKind, Count, FmtType, Outcome, Piece, Registration, Sign, Spec,
    enclosing_path,
};
pub use crate::instrument::{AsResult, FnExit, FnFuture, Moves, call_once};
pub use crate::level::Level;
pub use crate::record::{
    DebugField, Display, RECORD_HEAD, Record, RecordArg, TOO_DEEP_SIZE, TypeDesc, TypeRegistration, VariantDesc,
    nested_too_deep, put_record_head, sum_sizes,
};
pub use crate::wire::types::{MAX_DEPTH, Style};
pub use crate::write::args::sealed::Raw as RawSealed;
pub use crate::write::args::{
    EncodeArg, FmtArg, FmtSink, MAX_ARGS, ParamDebug, ParamName, ParamRaw, Probe, ViaFmt, ViaRaw, str_bound,
};
pub use crate::write::args::{Raw, RawDisplay};
pub use crate::write::{RecordWriter, call_id, raw_reserve_commit, write, write_event};
pub use core::any::type_name_of_val;
pub use core::fmt::{Result as FmtResult, Write as FmtWrite};
pub use core::option::Option;
pub use core::option::Option::{None, Some};
pub use core::primitive::{bool, str, u8, u16, u32, u64, usize};
pub use core::result::Result::{Err, Ok};
pub use core::{concat, file, format_args, line, module_path, unreachable};
pub use inventory;

/// Whether `level` is compiled in: a constant the compiler folds.
#[inline(always)]
pub const fn static_enabled(level: Level) -> bool {
    level as u8 <= crate::level::STATIC_MAX_LEVEL as u8
}

/// Whether `level` passes the runtime filter: one relaxed load.
#[inline(always)]
pub fn enabled(level: Level) -> bool {
    crate::level::enabled(level)
}
