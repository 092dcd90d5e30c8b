//! JSON Schemas of the files users write — suites and site profiles — generated from the Rust
//! model (schemars), so editors with yaml-language-server can complete and check them. The
//! repository keeps them in `schemas/editor/`; a test fails when they are stale.

use serde_json::Value;

/// The files users write, by the name the `schema` command takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EditorSchema {
    /// A suite file (`suites/**/*.yaml`).
    Suite,
    /// A site profile (`--profile FILE`).
    Profile,
}

impl EditorSchema {
    /// Every editor schema.
    pub const ALL: [EditorSchema; 2] = [EditorSchema::Suite, EditorSchema::Profile];

    /// The file name in `schemas/editor/`.
    pub fn file_name(self) -> &'static str {
        match self {
            EditorSchema::Suite => "suite.schema.json",
            EditorSchema::Profile => "profile.schema.json",
        }
    }

    /// The schema, generated from the model.
    pub fn generate(self) -> Value {
        let schema = match self {
            EditorSchema::Suite => schemars::schema_for!(crate::suite::Suite),
            EditorSchema::Profile => schemars::schema_for!(crate::profile::SiteProfile),
        };
        schema.to_value()
    }

    /// The schema as the checked-in file holds it (pretty JSON, a final newline).
    pub fn text(self) -> String {
        serde_json::to_string_pretty(&self.generate()).unwrap_or_default() + "\n"
    }
}
