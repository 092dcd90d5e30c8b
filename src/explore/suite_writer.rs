//! A finding as a ready suite file: the shrunk journey with the model's expectations, the claims
//! it breaks, the seed, and the documented sentence, which `run --suites DIR` replays.

use serde_json::{Value, json};

use crate::claims;

/// The suite's YAML text, with a comment header for the reader.
pub fn yaml(suite: &Value, seed: u64, breaks: &[&str]) -> String {
    let mut header = format!(
        "# Found by `pelcro-conformance explore --seed {seed}`, shrunk to the shortest journey that still fails.\n"
    );
    for id in breaks {
        if let Some(claim) = claims::find(id) {
            header.push_str(&format!("# {id}: {} ({})\n", claim.text, claim.source));
        }
    }
    header.push_str("# Replay: pelcro-conformance run --suites <this folder> [--target URL]\n");
    let body = serde_saphyr::to_string(suite).unwrap_or_else(|_| suite.to_string());
    format!("{header}{body}")
}

/// The suite value for a finding: named by claim and seed, claims limited to those it breaks.
pub fn finding_suite(mut suite: Value, seed: u64, index: usize, breaks: &[&str]) -> Value {
    let first = breaks.first().copied().unwrap_or("GEN-OK");
    let sentence = claims::find(first).map(|c| c.text).unwrap_or_default();
    suite["name"] = json!(format!("explore finding {index}: {first} (seed {seed})"));
    suite["description"] = json!(format!(
        "Found by explore with seed {seed}; it breaks {}: \"{sentence}\". The last step is the failure; the steps before it are what it needs.",
        breaks.join(", ")
    ));
    suite["claims"] = json!(breaks);
    suite
}

/// A file name for a finding.
pub fn file_name(index: usize, claim: &str) -> String {
    format!("finding-{index:02}-{}.yaml", claim.to_ascii_lowercase())
}
