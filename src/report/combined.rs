//! The combined report of a several-sites night (`--site-id 1,2,3`): one file of each format in
//! the report folder, with a section per site, beside each site's own reports in `site-<id>/`.
//!
//! - `report.md` and `report.html`: a table of the sites (counts and exit code), then each site's
//!   own report with its headings one level down (in HTML, its anchors made unique per site);
//! - `junit.xml`: every site's suites in one `<testsuites>`, each named `site <id> · <suite>`;
//! - `sites.json`: per site its id, exit code, counts, error and its whole `RunReport` (`run`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::json;

use super::{RunReport, html, junit};

/// The files `write` writes into the report folder, in order.
pub const FILE_NAMES: [&str; 4] = ["sites.json", "junit.xml", "report.md", "report.html"];

/// How one site's run ended.
#[derive(Debug, Clone)]
pub struct SiteResult {
    pub site_id: String,
    /// The site's exit code.
    pub exit: u8,
    /// Its report, if it got far enough to write one.
    pub report: Option<RunReport>,
    /// Why it could not complete, if it could not.
    pub error: Option<String>,
}

/// The folder (relative to the combined report's) holding one site's own reports.
pub fn site_folder(site_id: &str) -> String {
    format!("site-{}", crate::snapshot::slug(site_id))
}

/// Writes the combined files into `dir`; each site's own `report.md` and `report.html` are read
/// from `dir/site-<id>/`. Errors name the file at fault.
pub fn write(dir: &Path, results: &[SiteResult]) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let own = |site: &str, name: &str| {
        std::fs::read_to_string(dir.join(site_folder(site)).join(name)).ok()
    };
    let contents = [
        sites_json(results),
        junit_xml(results),
        markdown(results, &|site| own(site, "report.md")),
        html_page(results, &|site| own(site, "report.html")),
    ];
    super::files::write_named(dir, &FILE_NAMES, contents)
}

fn sites_json(results: &[SiteResult]) -> String {
    let sites: Vec<_> = results
        .iter()
        .map(|r| {
            let counts = r.report.as_ref().map(RunReport::counts);
            json!({
                "site_id": r.site_id,
                "exit": r.exit,
                "report": format!("{}/report.json", site_folder(&r.site_id)),
                "passed": counts.as_ref().map(|c| c.passed),
                "failed": counts.as_ref().map(|c| c.failed),
                "skipped": counts.as_ref().map(|c| c.skipped),
                "error": r.error,
                "run": r.report,
            })
        })
        .collect();
    serde_json::to_string_pretty(&json!({ "sites": sites })).unwrap_or_default() + "\n"
}

fn junit_xml(results: &[SiteResult]) -> String {
    let sites: Vec<(&str, &RunReport)> = results
        .iter()
        .filter_map(|r| r.report.as_ref().map(|report| (r.site_id.as_str(), report)))
        .collect();
    junit::render_sites(&sites)
}

/// `| site | passed | failed | skipped | exit |` rows, as Markdown.
fn summary_rows(results: &[SiteResult]) -> Vec<[String; 5]> {
    results
        .iter()
        .map(|r| {
            let counts = r.report.as_ref().map(RunReport::counts);
            let cell = |n: Option<usize>| n.map(|n| n.to_string()).unwrap_or_else(|| "–".into());
            [
                r.site_id.clone(),
                cell(counts.as_ref().map(|c| c.passed)),
                cell(counts.as_ref().map(|c| c.failed)),
                cell(counts.as_ref().map(|c| c.skipped)),
                r.exit.to_string(),
            ]
        })
        .collect()
}

fn markdown(results: &[SiteResult], own: &dyn Fn(&str) -> Option<String>) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# Pelcro conformance: {} sites\n", results.len());
    let _ = writeln!(md, "| site | passed | failed | skipped | exit |");
    let _ = writeln!(md, "|---|---|---|---|---|");
    for row in summary_rows(results) {
        let _ = writeln!(md, "| {} |", row.join(" | "));
    }
    for r in results {
        let _ = writeln!(md, "\n## Site {}\n", r.site_id);
        if let Some(error) = &r.error {
            let _ = writeln!(md, "The run could not complete: {error}\n");
        }
        match own(&r.site_id) {
            Some(text) => {
                for line in text.lines() {
                    if line.starts_with('#') {
                        let _ = writeln!(md, "##{line}");
                    } else {
                        let _ = writeln!(md, "{line}");
                    }
                }
            }
            None => {
                let _ = writeln!(md, "No report was written for this site.");
            }
        }
    }
    md
}

fn html_page(results: &[SiteResult], own: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Pelcro conformance: {} sites</title>\n",
        results.len()
    );
    // The sites' pages share one style sheet: take the first one's.
    if let Some(style) = results
        .iter()
        .find_map(|r| own(&r.site_id).and_then(|page| style_of(&page)))
    {
        let _ = writeln!(out, "{style}");
    }
    let _ = writeln!(
        out,
        "</head>\n<body>\n<h1>Pelcro conformance: {} sites</h1>\n<table class=\"meta\">\n<tr><th>site</th><th>passed</th><th>failed</th><th>skipped</th><th>exit</th></tr>",
        results.len()
    );
    for (row, r) in summary_rows(results).iter().zip(results) {
        let _ = writeln!(
            out,
            "<tr><td><a href=\"#{id}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            html::esc(&row[0]),
            row[1],
            row[2],
            row[3],
            row[4],
            id = html::esc(&site_folder(&r.site_id)),
        );
    }
    let _ = writeln!(out, "</table>");
    for r in results {
        let anchor = site_folder(&r.site_id);
        let _ = writeln!(
            out,
            "<section id=\"{}\">\n<h2>Site {}</h2>",
            html::esc(&anchor),
            html::esc(&r.site_id)
        );
        if let Some(error) = &r.error {
            let _ = writeln!(
                out,
                "<p>The run could not complete: {}</p>",
                html::esc(error)
            );
        }
        match own(&r.site_id).and_then(|page| body_of(&page)) {
            Some(body) => out.push_str(&nested(&body, &anchor)),
            None => out.push_str("<p>No report was written for this site.</p>\n"),
        }
        let _ = writeln!(out, "</section>");
    }
    let _ = writeln!(out, "</body>\n</html>");
    out
}

fn style_of(page: &str) -> Option<String> {
    let start = page.find("<style>")?;
    let end = page[start..].find("</style>")? + start + "</style>".len();
    Some(page[start..end].to_string())
}

fn body_of(page: &str) -> Option<String> {
    let start = page.find("<body>")? + "<body>".len();
    let end = page.rfind("</body>")?;
    (start <= end).then(|| page[start..end].to_string())
}

/// A site's report body inside the combined page: headings one level down (deepest first, so
/// none moves twice) and every anchor prefixed with the site's, so two sites' `#claim-GEN-OK`
/// stay apart.
fn nested(body: &str, site: &str) -> String {
    let mut text = body.to_string();
    for level in (1..=5).rev() {
        text = text
            .replace(&format!("<h{level}"), &format!("<h{}", level + 1))
            .replace(&format!("</h{level}>"), &format!("</h{}>", level + 1));
    }
    text.replace(" id=\"", &format!(" id=\"{site}-"))
        .replace("href=\"#", &format!("href=\"#{site}-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_site_body_nests_one_level_down_with_anchors_of_its_own() {
        let body = "<h1>Report</h1><h2 id=\"claim-GEN-OK\">x</h2><a href=\"#claim-GEN-OK\">y</a>";
        assert_eq!(
            nested(body, "site-7"),
            "<h2>Report</h2><h3 id=\"site-7-claim-GEN-OK\">x</h3><a href=\"#site-7-claim-GEN-OK\">y</a>"
        );
        let page = "<html><head><style>a{}</style></head><body>\n<p>x</p>\n</body></html>";
        assert_eq!(body_of(page).as_deref(), Some("\n<p>x</p>\n"));
        assert_eq!(style_of(page).as_deref(), Some("<style>a{}</style>"));
        assert_eq!(body_of("no body"), None);
    }
}
