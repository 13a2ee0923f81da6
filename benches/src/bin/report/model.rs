//! What a measurement produces: named figures with their unit, which way is
//! better, and the configuration they were measured under; checks that must
//! hold for a figure to mean anything; notes.

use serde_json::{Map, Value, json};

/// Which way a figure should move.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    Higher,
    Lower,
    /// Context (a peer's time, a clock's cost): never a regression of ttlog.
    Neither,
}

impl Better {
    fn as_str(self) -> &'static str {
        match self {
            Better::Higher => "higher",
            Better::Lower => "lower",
            Better::Neither => "none",
        }
    }

    fn parse(s: &str) -> Better {
        match s {
            "higher" => Better::Higher,
            "lower" => Better::Lower,
            _ => Better::Neither,
        }
    }
}

/// One figure.
#[derive(Clone, Debug)]
pub struct Metric {
    pub key: String,
    pub value: f64,
    pub unit: String,
    pub better: Better,
    /// How it was measured: threads, buffer, clock, iterations, rounds.
    pub config: String,
}

impl Metric {
    pub fn new(key: impl Into<String>, value: f64, unit: &str, better: Better, config: impl Into<String>) -> Metric {
        Metric { key: key.into(), value, unit: unit.to_owned(), better, config: config.into() }
    }

    pub fn to_json(&self) -> Value {
        json!({
            "key": self.key,
            "value": if self.value.is_finite() { json!(self.value) } else { Value::Null },
            "unit": self.unit,
            "better": self.better.as_str(),
            "config": self.config,
        })
    }

    pub fn from_json(v: &Value) -> Option<Metric> {
        Some(Metric {
            key: v.get("key")?.as_str()?.to_owned(),
            value: v.get("value")?.as_f64().unwrap_or(f64::NAN),
            unit: v.get("unit").and_then(Value::as_str).unwrap_or("").to_owned(),
            better: Better::parse(v.get("better").and_then(Value::as_str).unwrap_or("none")),
            config: v.get("config").and_then(Value::as_str).unwrap_or("").to_owned(),
        })
    }
}

/// A condition a measurement verified (for example that a snapshot accounted
/// for every event logged).
#[derive(Clone, Debug)]
pub struct Check {
    pub what: String,
    pub ok: bool,
}

/// What one measuring process hands back.
#[derive(Clone, Debug, Default)]
pub struct Output {
    pub metrics: Vec<Metric>,
    pub checks: Vec<Check>,
    pub notes: Vec<String>,
    /// Free-form tables (for example callgrind's hot spots), by name.
    pub extra: Map<String, Value>,
}

impl Output {
    pub fn metric(
        &mut self,
        key: impl Into<String>,
        value: f64,
        unit: &str,
        better: Better,
        config: impl Into<String>,
    ) {
        self.metrics.push(Metric::new(key, value, unit, better, config));
    }

    pub fn check(&mut self, what: impl Into<String>, ok: bool) {
        self.checks.push(Check { what: what.into(), ok });
    }

    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    pub fn merge(&mut self, other: Output) {
        self.metrics.extend(other.metrics);
        self.checks.extend(other.checks);
        self.notes.extend(other.notes);
        self.extra.extend(other.extra);
    }

    pub fn get(&self, key: &str) -> Option<&Metric> {
        self.metrics.iter().find(|m| m.key == key)
    }

    pub fn value(&self, key: &str) -> Option<f64> {
        self.get(key).map(|m| m.value).filter(|v| v.is_finite())
    }

    pub fn to_json(&self) -> Value {
        json!({
            "metrics": self.metrics.iter().map(Metric::to_json).collect::<Vec<_>>(),
            "checks": self.checks.iter().map(|c| json!({"what": c.what, "ok": c.ok})).collect::<Vec<_>>(),
            "notes": self.notes,
            "extra": self.extra,
        })
    }

    pub fn from_json(v: &Value) -> Output {
        let list = |k: &str| v.get(k).and_then(Value::as_array).cloned().unwrap_or_default();
        Output {
            metrics: list("metrics").iter().filter_map(Metric::from_json).collect(),
            checks: list("checks")
                .iter()
                .filter_map(|c| Some(Check { what: c.get("what")?.as_str()?.to_owned(), ok: c.get("ok")?.as_bool()? }))
                .collect(),
            notes: list("notes").iter().filter_map(|n| n.as_str().map(str::to_owned)).collect(),
            extra: v.get("extra").and_then(Value::as_object).cloned().unwrap_or_default(),
        }
    }
}
