//! End-to-end tests, one binary: each module links the whole service, so one link instead of
//! eight keeps the build small and fast.

mod child_process;
mod filters;
mod hardening;
mod lambda_deadline;
mod lambda_e2e;
mod lambda_filters;
mod lambda_notifications;
mod lambda_parking;
mod local_stack;
mod notifications;
mod openapi;
mod operator_features;
mod receiving_guide;
mod template;
