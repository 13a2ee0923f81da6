//! Events per second with several threads logging at once, defined once for
//! the report and the criterion bench `threads`: the thread counts, the message,
//! and the job each thread of a [`Pool`](crate::pool::Pool) runs.

use crate::floor;
use crate::loggers::Logger;
use crate::messages::{Inputs, Message, ttlog_log};
use crate::pool::Job;
use std::hint::black_box;
use std::sync::Arc;

/// The message every thread logs.
pub const MESSAGE: Message = Message::TwoIntegers;

/// The thread counts measured: 1, 2, all cores and 64.
pub fn counts(cores: usize) -> Vec<usize> {
    let mut c = vec![1, 2, cores, 64];
    c.sort_unstable();
    c.dedup();
    c
}

/// The job: each thread logs [`MESSAGE`] `per_thread` times through `logger`,
/// each time with the inputs passed through `black_box`. `None` for the peers,
/// which are not measured with threads.
pub fn job(logger: Logger, per_thread: u64) -> Option<Job> {
    match logger {
        Logger::Ttlog => Some(Arc::new(move |_| ttlog_log::run(MESSAGE, per_thread, black_box(&Inputs::NANOLOG)))),
        Logger::Floor => Some(Arc::new(move |_| {
            floor::messages::run(MESSAGE, per_thread, black_box(&Inputs::NANOLOG));
        })),
        Logger::TracingFmtSink
        | Logger::TracingAppenderFile
        | Logger::LogString
        | Logger::LogBridge
        | Logger::TracingLayer => None,
    }
}
