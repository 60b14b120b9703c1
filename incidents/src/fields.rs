//! Reading an event's fields into an [`Incident`](crate::Incident).

use std::collections::BTreeMap;
use std::fmt;

use tracing::field::{Field, Visit};

/// The field naming an incident's kind; an event without it is not an incident.
pub const INCIDENT_FIELD: &str = "incident";
/// The field (`resolves = true`) marking an event that clears its incident.
pub const RESOLVES_FIELD: &str = "resolves";
/// The field naming the instance that raised the incident (defaults to the event's target).
pub const SOURCE_FIELD: &str = "source";
/// The optional field overriding the severity the level implies.
pub const SEVERITY_FIELD: &str = "severity";

/// The fields of one event, sorted into the ones incidents know and the rest.
#[derive(Debug, Default)]
pub(crate) struct Fields {
    pub(crate) kind: Option<String>,
    pub(crate) resolves: bool,
    pub(crate) source: Option<String>,
    pub(crate) severity: Option<String>,
    pub(crate) message: String,
    pub(crate) details: BTreeMap<String, String>,
}

impl Fields {
    fn put(&mut self, field: &Field, value: String) {
        match field.name() {
            INCIDENT_FIELD => self.kind = Some(value),
            RESOLVES_FIELD => self.resolves = value == "true",
            SOURCE_FIELD => self.source = Some(value),
            SEVERITY_FIELD => self.severity = Some(value),
            "message" => self.message = value,
            name => {
                self.details.insert(name.to_owned(), value);
            }
        }
    }
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, value.to_owned());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, value.to_string());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, format!("{value:?}"));
    }
}
