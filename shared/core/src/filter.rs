//! Endpoint filters: an optional CEL (Common Expression Language) expression per endpoint,
//! over `event_type` and `event_data`, checked when saved and evaluated at fan-out, where an
//! event it does not match gets no entry and no task at that endpoint.

use crate::error::FieldError;
use crate::ids::EndpointId;
use crate::model::Endpoint;
use cel::{Context, ExecutionError, Program, Value};
use std::sync::Arc;

/// Longest filter accepted: evaluation cost is bounded by the expression and the event.
pub const MAX_FILTER_LEN: usize = 1000;
/// The variables a filter sees.
pub const VARIABLES: [&str; 2] = ["event_type", "event_data"];

/// A compiled filter.
#[derive(Clone)]
pub struct Filter {
    program: Arc<Program>,
}

impl std::fmt::Debug for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Filter")
    }
}

/// Why a filter could not be evaluated on an event (it then counts as not matched).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EvalError(String);

impl Filter {
    /// A filter that matches no event.
    fn nothing() -> Self {
        Self {
            program: Arc::new(
                Program::compile("false").unwrap_or_else(|_| unreachable!("`false` is CEL")),
            ),
        }
    }

    /// Compiles `source`; the error names `filter` with the position of a syntax error
    /// (line:column) or the unknown variable.
    pub fn compile(source: &str) -> Result<Self, FieldError> {
        let err = |code: &str, m: String| FieldError::new("filter", format!("filter.{code}"), m);
        if source.len() > MAX_FILTER_LEN {
            return Err(FieldError::too_long("filter", MAX_FILTER_LEN));
        }
        if source.trim().is_empty() {
            return Err(err(
                "empty",
                "must not be empty (omit it, or send null, for no filter)".into(),
            ));
        }
        // The parser is generated code: a panic there must not take the caller down.
        let compiled = std::panic::catch_unwind(|| Program::compile(source))
            .map_err(|_| err("invalid", "could not be parsed".into()))?;
        let program = compiled.map_err(|e| match e.errors.first() {
            Some(p) => {
                let detail = p.msg.trim_start_matches("Syntax error: ");
                err(
                    "syntax",
                    format!(
                        "syntax error at line {}, column {}: {detail}",
                        p.pos.0, p.pos.1
                    ),
                )
                .with("line", p.pos.0)
                .with("column", p.pos.1)
                .with("detail", detail)
            }
            None => err("syntax", "syntax error".into()),
        })?;
        let refs = program.references();
        let mut unknown: Vec<&str> = (refs.variables().into_iter())
            .filter(|v| !VARIABLES.contains(v) && !is_bound(source, v))
            .collect();
        unknown.sort_unstable();
        if let Some(v) = unknown.first() {
            return Err(err(
                "unknown_variable",
                format!("unknown variable {v:?}: a filter sees only event_type and event_data"),
            )
            .with("name", *v)
            .with("allowed", VARIABLES.join(", ")));
        }
        Ok(Self {
            program: Arc::new(program),
        })
    }

    /// Whether the event in `ctx` passes the filter: `Ok(false)` when the expression is
    /// false, an error when it cannot be evaluated (a missing field, a type mismatch) or is
    /// not a boolean.
    pub fn matches(&self, ctx: &EventContext) -> Result<bool, EvalError> {
        match self.program.execute(&ctx.0) {
            Ok(Value::Bool(b)) => Ok(b),
            Ok(other) => Err(EvalError(format!(
                "the filter gave {:?}, not true or false",
                other.type_of()
            ))),
            Err(e) => Err(EvalError(describe(&e))),
        }
    }
}

/// A name that a macro binds (`list.exists(x, …)`, `all`, `map`, `filter`, `exists_one`)
/// is a variable of the expression, not of the event.
fn is_bound(source: &str, name: &str) -> bool {
    ["exists", "all", "exists_one", "map", "filter"]
        .iter()
        .any(|m| {
            source.match_indices(&format!("{m}(")).any(|(i, _)| {
                source[i + m.len() + 1..]
                    .trim_start()
                    .strip_prefix(name)
                    .is_some_and(|rest| rest.trim_start().starts_with(','))
            })
        })
}

fn describe(e: &ExecutionError) -> String {
    match e {
        ExecutionError::NoSuchKey(k) => format!("no field {k:?} in the event"),
        other => other.to_string(),
    }
}

/// The variables of one event, built once and shared by every filter of its fan-out.
pub struct EventContext(Context<'static, 'static>);

impl EventContext {
    pub fn new(event_type: &str, event_data: &serde_json::Value) -> Self {
        let mut ctx = Context::default();
        ctx.add_variable_from_value("event_type", event_type.to_owned());
        // A JSON value always converts.
        let _ = ctx.add_variable("event_data", event_data.clone());
        Self(ctx)
    }
}

/// Body of `POST /v1/filters/evaluate`: a filter and an event to try it on.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterTrial {
    #[cfg_attr(feature = "openapi", schema(max_length = 1000, example = json!("event_data.agency_id in [\"AG-75\"]")))]
    pub filter: String,
    #[cfg_attr(feature = "openapi", schema(example = json!("INVOICE_VALIDATED")))]
    pub event_type: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object, example = json!({"agency_id": "AG-75"})))]
    pub event_data: serde_json::Value,
}

/// What the fan-out would do with that event.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FilterVerdict {
    /// Whether the event would be sent.
    pub matched: bool,
    /// Why the filter could not be evaluated on this event (it is then not sent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl FilterTrial {
    /// Runs the fan-out's evaluator; a filter that does not compile, an unknown event type
    /// or non-object data are validation errors.
    pub fn verdict(
        self,
        catalog: &crate::catalog::Catalog,
    ) -> Result<FilterVerdict, crate::CoreError> {
        let mut errors = Vec::new();
        let filter = Filter::compile(self.filter.trim())
            .map_err(|e| errors.push(e))
            .ok();
        if !catalog.contains(&self.event_type) {
            errors.push(
                FieldError::new(
                    "event_type",
                    "event_type.unknown",
                    format!("unknown event type {:?}", self.event_type),
                )
                .with("value", self.event_type.as_str()),
            );
        }
        if !self.event_data.is_object() {
            errors.push(FieldError::not_object("event_data"));
        }
        let Some(filter) = filter.filter(|_| errors.is_empty()) else {
            return Err(crate::CoreError::Validation(errors));
        };
        let ctx = EventContext::new(&self.event_type, &self.event_data);
        Ok(match filter.matches(&ctx) {
            Ok(matched) => FilterVerdict {
                matched,
                error: None,
            },
            Err(e) => FilterVerdict {
                matched: false,
                error: Some(e.to_string()),
            },
        })
    }
}

/// An endpoint subscribed to a type, with its compiled filter if it has one.
#[derive(Debug, Clone)]
pub struct Subscriber {
    pub id: EndpointId,
    pub filter: Option<Filter>,
}

impl Subscriber {
    /// The endpoint's filter compiled. Stored filters were checked when saved; one that no
    /// longer compiles (say, after an upgrade of the language) matches nothing, loudly.
    pub fn of(endpoint: &Endpoint) -> Self {
        let filter = endpoint.filter.as_deref().map(|f| {
            Filter::compile(f).unwrap_or_else(|e| {
                tracing::error!(tenant = %endpoint.tenant, endpoint_id = %endpoint.id, error = %e.message, "stored filter does not compile: the endpoint gets no event");
                Filter::nothing()
            })
        });
        Self {
            id: endpoint.id.clone(),
            filter,
        }
    }
}

/// The subscribers an event goes to: those with no filter, and those whose filter matches
/// it. A filter that cannot be evaluated on the event counts as not matched, logged with
/// the endpoint.
pub fn matching(
    event_type: &str,
    event_data: &serde_json::Value,
    subscribers: &[Subscriber],
) -> Vec<EndpointId> {
    if subscribers.iter().all(|s| s.filter.is_none()) {
        return subscribers.iter().map(|s| s.id.clone()).collect();
    }
    let ctx = EventContext::new(event_type, event_data);
    (subscribers.iter())
        .filter(|s| match &s.filter {
            None => true,
            Some(f) => f.matches(&ctx).unwrap_or_else(|e| {
                tracing::warn!(endpoint_id = %s.id, event_type, error = %e, "filter not evaluated: event not sent to this endpoint");
                false
            }),
        })
        .map(|s| s.id.clone())
        .collect()
}

#[cfg(test)]
mod tests;
