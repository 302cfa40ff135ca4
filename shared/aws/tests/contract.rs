//! The port contract suites, run against the AWS adapters on moto.

mod common;

webhooks_core::contract_suite!(common::harness());
