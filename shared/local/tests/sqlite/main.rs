//! The SQLite adapters, one test binary.

mod contract;
mod queue_and_retention;
