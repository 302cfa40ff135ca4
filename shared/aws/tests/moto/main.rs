//! The AWS adapters on moto, one test binary (each links the AWS SDK).

mod adapters;
mod contract;
