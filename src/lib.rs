//! pelcro-conformance: checks a Pelcro Open API target against the documented contract.

pub mod mock;
pub mod profile;
pub mod schemas;
