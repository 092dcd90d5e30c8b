//! The JSON Schemas of `schemas/`, compiled once, validated by name.
//!
//! (Stub: the interface the rest of the crate relies on. The schema work fills it in.)

use std::path::Path;

/// One reason an instance does not match its schema.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaViolation {
    /// JSON Pointer into the instance (`/data/email`).
    pub instance_path: String,
    /// The failing keyword (`type`, `required`, ...).
    pub keyword: String,
    /// A readable sentence.
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SchemaLoadError(pub String);

/// Every schema, compiled, addressed by name (`customer-envelope` for `customer-envelope.json`).
pub struct SchemaSet {}

impl SchemaSet {
    /// The schemas embedded in the binary from the repository's `schemas/`.
    pub fn embedded() -> Result<SchemaSet, SchemaLoadError> {
        Ok(SchemaSet {})
    }

    /// The schemas in a folder (`--schemas DIR`).
    pub fn from_dir(_dir: &Path) -> Result<SchemaSet, SchemaLoadError> {
        Ok(SchemaSet {})
    }

    pub fn contains(&self, _name: &str) -> bool {
        false
    }

    pub fn names(&self) -> Vec<String> {
        Vec::new()
    }

    /// `Ok` when the instance matches; otherwise every violation.
    pub fn validate(
        &self,
        _name: &str,
        _instance: &serde_json::Value,
    ) -> Result<(), Vec<SchemaViolation>> {
        Ok(())
    }
}
