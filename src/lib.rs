//! pelcro-conformance: checks a Pelcro Open API target (a live site or the embedded mock) against
//! the documented contract, claim by claim.
//!
//! The flow of a run: `cli` → `app` loads the `profile`, `schemas` and `suite`s → `target` starts
//! or reaches the system under test → `runner` runs suites, `step` runs each step (`template`,
//! `http`, `checks`) → `report` tells what was found; `snapshot` keeps step responses as insta
//! `.snap` files. The `mock` is reached only over HTTP.

pub mod account;
pub mod app;
pub mod backoff;
pub mod baselines;
pub mod checks;
pub mod claims;
pub mod cli;
pub mod contract;
pub mod credentials;
pub mod discover;
pub mod editor_schemas;
pub mod explore;
pub mod halt;
pub mod http;
pub mod input;
pub mod leakscan;
pub mod mock;
pub mod openapi;
pub mod profile;
pub mod proxy;
pub mod redact;
pub mod report;
pub mod restore;
pub mod runner;
pub mod schemas;
pub mod sites;
pub mod snapshot;
pub mod step;
pub mod suite;
pub mod target;
pub mod template;
pub mod time;
