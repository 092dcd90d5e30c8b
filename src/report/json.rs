//! The JSON report: the whole `RunReport` tree, compact (a 200-flow run's report is a third of
//! its pretty size; `jq .` prints it pretty), described by
//! `schemas/run-report.json` (`format_version` 1), read back by `parse` for `diff`.

use super::{REPORT_FORMAT_VERSION, RunReport};

/// The name of the report's schema in `schemas/` (`SchemaSet::validate(SCHEMA, ..)`).
pub const SCHEMA: &str = "run-report";

/// The report as compact JSON, ending with a newline.
pub fn render(report: &RunReport) -> String {
    let mut text = serde_json::to_string(report)
        .unwrap_or_else(|e| format!("{{\"error\": \"the report cannot be serialized: {e}\"}}"));
    text.push('\n');
    text
}

/// Reads a JSON report back. Errors say what is wrong (not JSON, another format version, a
/// missing or mistyped field with its line and column).
pub fn parse(text: &str) -> Result<RunReport, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    match value.get("format_version") {
        Some(serde_json::Value::Number(n)) if n.as_u64() == Some(REPORT_FORMAT_VERSION as u64) => {}
        Some(other) => {
            return Err(format!(
                "format_version {other} is not supported (this harness reads version {REPORT_FORMAT_VERSION})"
            ));
        }
        None => {
            return Err("not a pelcro-conformance report: there is no `format_version`".into());
        }
    }
    serde_json::from_str(text).map_err(|e| format!("not a pelcro-conformance report: {e}"))
}
