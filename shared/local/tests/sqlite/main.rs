//! The SQLite adapters and the services over them, one test binary.

mod contract;
mod queue_and_retention;
mod services;
