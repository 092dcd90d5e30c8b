//! Several sites in one night: `--site-id 1,2,3` (or `--sites FILE`) runs the suites per site,
//! one site after another in one process (so one rate cap holds per host), each site's reports in
//! `<report-dir>/site-<id>/`, and one combined report of each format in `<report-dir>` (see
//! `report::combined`).
//!
//! Before the runs, each site's `GET /site` names its account: a site whose account has another
//! site in the list gets `PELCRO_OTHER_SITE_ID` (that site), so the MULTI-SITE suite logs the test
//! account in to both — across the real sites of one account.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::app::{AppError, Exit, run_site};
use crate::cli::RunArgs;
use crate::credentials::Environment;
use crate::http::{HttpClient, OutgoingRequest, Timeouts};
use crate::input::{self, InputError};
use crate::report::RunReport;
use crate::report::combined::{SiteResult, site_folder};
use crate::suite::LoadedSuite;
use crate::target::{API_PREFIX, TargetSpec};

/// The variable the MULTI-SITE suite reads: another site of the same account.
pub const OTHER_SITE: &str = "PELCRO_OTHER_SITE_ID";

/// The site ids a run names: `--sites FILE`, else `--site-id` (comma-separated), else
/// `PELCRO_SITE_ID`; `None` when none is given. Duplicates are dropped, order kept.
pub fn site_ids(
    arg: Option<&str>,
    file: Option<&Path>,
    env: &Environment,
) -> Result<Option<Vec<String>>, InputError> {
    let text = match file {
        Some(path) => {
            let name = path.display().to_string();
            let bytes = input::read_file(path)?;
            let text = input::utf8(&name, &bytes)?.to_string();
            let ids = text
                .lines()
                .map(|l| l.split('#').next().unwrap_or_default().trim().to_string())
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>();
            if ids.is_empty() {
                return Err(InputError::new(&name, "names no site id"));
            }
            ids.join(",")
        }
        None => match arg.map(String::from).or_else(|| env.get("PELCRO_SITE_ID")) {
            Some(text) => text,
            None => return Ok(None),
        },
    };
    let mut ids: Vec<String> = Vec::new();
    for id in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if !ids.iter().any(|known| known == id) {
            ids.push(id.to_string());
        }
    }
    if ids.is_empty() {
        return Err(InputError::new("--site-id", "is empty"));
    }
    Ok(Some(ids))
}

/// Each site's account id, from its `GET /site` (sites that do not answer are left out).
async fn accounts(args: &RunArgs, spec: &TargetSpec, sites: &[String]) -> BTreeMap<String, u64> {
    let mut found = BTreeMap::new();
    let TargetSpec::Url(url) = spec else {
        return found;
    };
    let roots = match &args.ca_cert {
        Some(path) => crate::http::read_ca_certificates(path).unwrap_or_default(),
        None => Vec::new(),
    };
    let Ok(http) = HttpClient::new(Timeouts::default(), &roots) else {
        return found;
    };
    for site in sites {
        let request = OutgoingRequest {
            method: reqwest::Method::GET,
            url: format!("{}{API_PREFIX}/site", url.as_str().trim_end_matches('/')),
            query: vec![("site_id".into(), site.clone())],
            headers: Vec::new(),
            body: None,
        };
        if let Ok(response) = http.send(&request).await
            && let Some(account) = response
                .json
                .as_ref()
                .and_then(|b| b.pointer("/data/account/id"))
                .and_then(Value::as_u64)
        {
            found.insert(site.clone(), account);
        }
    }
    found
}

/// Runs every site in turn and writes the combined report; the exit code is the worst site's
/// (3 over 1 over 0; a usage error stops at once).
pub async fn run_sites(
    args: &RunArgs,
    spec: &TargetSpec,
    suites: Vec<LoadedSuite>,
    env: Environment,
    sites: &[String],
) -> Result<Exit, AppError> {
    if matches!(spec, TargetSpec::Mock) {
        return Err(AppError::usage(
            "several sites need a target URL (the embedded mock serves one site per run)",
        ));
    }
    let accounts = accounts(args, spec, sites).await;
    let mut results: Vec<(String, Exit, Option<RunReport>, Option<String>)> = Vec::new();
    for site in sites {
        let mut site_env = env.clone();
        let partner = accounts.get(site).and_then(|account| {
            sites
                .iter()
                .find(|other| *other != site && accounts.get(*other) == Some(account))
        });
        if let Some(other) = partner {
            site_env = site_env.with(OTHER_SITE, other.clone());
        }
        eprintln!("— site {site}");
        let dir = args.report_dir.join(site_folder(site));
        match run_site(args, spec, suites.clone(), site_env, site, &dir).await {
            Ok((exit, report)) => results.push((site.clone(), exit, Some(report), None)),
            Err(error) if error.exit == Exit::Usage => return Err(error),
            Err(error) => {
                for message in &error.messages {
                    eprintln!("error: site {site}: {message}");
                }
                let report = std::fs::read_to_string(dir.join("report.json"))
                    .ok()
                    .and_then(|t| serde_json::from_str(&t).ok());
                results.push((
                    site.clone(),
                    error.exit,
                    report,
                    error.messages.first().cloned(),
                ));
            }
        }
    }
    let combined: Vec<SiteResult> = results
        .iter()
        .map(|(site, exit, report, error)| SiteResult {
            site_id: site.clone(),
            exit: *exit as u8,
            report: report.clone(),
            error: error.clone(),
        })
        .collect();
    let written = crate::report::combined::write(&args.report_dir, &combined)
        .map_err(AppError::environment)?;
    // Each site's own files were scanned by its run; the combined ones are scanned here.
    let secrets = env.secrets([crate::account::PASSWORD]);
    let matcher = crate::redact::SecretMatcher::new(secrets.iter().map(String::as_str));
    let leaks = crate::leakscan::scan(&written, &matcher)
        .map_err(|e| AppError::environment(e.to_string()))?;
    if !leaks.is_empty() {
        return Err(AppError {
            exit: Exit::Failed,
            messages: leaks.iter().map(ToString::to_string).collect(),
        });
    }
    let worst = results
        .iter()
        .map(|(_, exit, _, _)| *exit)
        .max_by_key(|exit| match exit {
            Exit::Passed => 0,
            Exit::Failed => 1,
            Exit::Environment => 2,
            Exit::Usage => 3,
        })
        .unwrap_or(Exit::Passed);
    eprintln!(
        "sites: {} — combined report: {}",
        results
            .iter()
            .map(|(site, exit, _, _)| format!("{site} exit {}", *exit as u8))
            .collect::<Vec<_>>()
            .join(", "),
        args.report_dir.join("report.md").display()
    );
    Ok(worst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_ids_come_from_a_list_or_a_file_without_duplicates() {
        let env = Environment::default().with("PELCRO_SITE_ID", "9");
        assert_eq!(
            site_ids(Some(" 1, 2,,1 ,3"), None, &env).unwrap(),
            Some(vec!["1".to_string(), "2".into(), "3".into()])
        );
        assert_eq!(
            site_ids(None, None, &env).unwrap(),
            Some(vec!["9".to_string()])
        );
        let path = std::env::temp_dir().join(format!("pc-sites-{}", fastrand::u64(..)));
        std::fs::write(&path, "# nightly sites\n123\n124  # the shop\n\n123\n").unwrap();
        assert_eq!(
            site_ids(Some("1"), Some(&path), &env).unwrap(),
            Some(vec!["123".to_string(), "124".into()])
        );
        std::fs::write(&path, "# none\n").unwrap();
        assert!(site_ids(None, Some(&path), &env).is_err());
        std::fs::remove_file(&path).unwrap();
        assert!(site_ids(Some(" , "), None, &env).is_err());
    }
}
