//! The port contract suites, run against the AWS adapters on moto.

use webhooks_aws::testing as common;

webhooks_core::contract_suite!(common::harness());
