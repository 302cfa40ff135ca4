//! End-to-end tests, one binary: each module links the whole service, so one link instead of
//! eight keeps the build small and fast. Feature `e2e` builds it (`./infra/test.sh --fast`);
//! `moto` adds the Lambda tests on a moto server (the README test command).

mod child_process;
mod filters;
mod hardening;
#[cfg(feature = "moto")]
mod lambda_deadline;
#[cfg(feature = "moto")]
mod lambda_e2e;
#[cfg(feature = "moto")]
mod lambda_filters;
#[cfg(feature = "moto")]
mod lambda_notifications;
#[cfg(feature = "moto")]
mod lambda_parking;
mod local_stack;
mod notifications;
mod openapi;
mod operator_features;
mod receiving_guide;
mod template;
