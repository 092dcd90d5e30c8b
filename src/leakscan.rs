//! The last line of defence: after a run, every file it wrote and everything it printed is
//! searched for every form of every secret the run saw ([`crate::redact::forms`]), in one linear
//! pass per output. Redaction happens at the source; this scan proves it did.
//!
//! A find is a bug of the harness. Nothing is deleted silently: a file with a find is scrubbed in
//! place (every form of every secret replaced by `[redacted]`), and the finding names the file
//! and the form, so the run can fail saying so.

use std::path::{Path, PathBuf};

use crate::redact::{Form, REDACTED, SecretMatcher};

/// A secret found in an output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leak {
    /// The file, or `console output`.
    pub place: String,
    /// How the secret was written there.
    pub form: Form,
    /// The file was rewritten with the secret redacted.
    pub scrubbed: bool,
}

impl std::fmt::Display for Leak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: a secret of this run appears in it ({} form){}",
            self.place,
            self.form.name(),
            if self.scrubbed {
                "; the file was scrubbed in place (the secret replaced by [redacted])"
            } else {
                ""
            }
        )
    }
}

/// An output that could not be scanned.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("{}: cannot read it to scan for secrets: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: a secret was found and the file cannot be scrubbed: {source}", path.display())]
    Scrub {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Searches each file for every form of every secret; a file with a find is scrubbed in place.
/// Returns every leak, by file, in the order given.
pub fn scan(files: &[PathBuf], matcher: &SecretMatcher) -> Result<Vec<Leak>, ScanError> {
    let mut leaks = Vec::new();
    if matcher.is_empty() {
        return Ok(leaks);
    }
    for file in files {
        let bytes = std::fs::read(file).map_err(|source| ScanError::Read {
            path: file.clone(),
            source,
        })?;
        if let Some(form) = matcher.find(&bytes) {
            let text = String::from_utf8_lossy(&bytes);
            std::fs::write(file, matcher.replace(&text, REDACTED)).map_err(|source| {
                ScanError::Scrub {
                    path: file.clone(),
                    source,
                }
            })?;
            leaks.push(Leak {
                place: file.display().to_string(),
                form,
                scrubbed: true,
            });
        }
    }
    Ok(leaks)
}

/// Searches text about to be printed (`place`: `console output`).
pub fn scan_text(place: &str, text: &str, matcher: &SecretMatcher) -> Option<Leak> {
    matcher.find(text.as_bytes()).map(|form| Leak {
        place: place.to_string(),
        form,
        scrubbed: false,
    })
}

/// Every regular file under a folder, recursively (a report folder, the snapshots); symbolic
/// links are not followed.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                pending.push(entry.path());
            } else if kind.is_file() {
                files.push(entry.path());
            }
        }
    }
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;

    #[test]
    fn a_planted_leak_is_found_in_every_form_and_scrubbed() {
        let dir = std::env::temp_dir().join(format!("pc-leakscan-{}", fastrand::u64(..)));
        std::fs::create_dir_all(&dir).unwrap();
        let password = "Pc!0a1b2c3dx4242";
        let token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI3In0.c2lnbmF0dXJlX2hlcmU";
        let header_line = STANDARD.encode(format!("Authorization: Bearer {token}"));
        let plants = [
            (
                "raw.txt",
                format!("password was {password}"),
                Some(Form::Raw),
            ),
            (
                "b64.txt",
                format!("Basic {}", STANDARD.encode(password)),
                Some(Form::Base64),
            ),
            (
                "line.txt",
                format!("header {header_line}"),
                Some(Form::Base64),
            ),
            (
                "url.txt",
                "p=Pc%210a1b2c3dx4242".to_string(),
                Some(Form::PercentEncoded),
            ),
            (
                "seg.txt",
                "payload eyJzdWIiOiI3In0 seen".to_string(),
                Some(Form::JwtSegment),
            ),
            (
                "clean.txt",
                "password [redacted], token [redacted jwt]".to_string(),
                None,
            ),
        ];
        let mut files = Vec::new();
        for (name, text, _) in &plants {
            std::fs::write(dir.join(name), text).unwrap();
            files.push(dir.join(name));
        }
        let matcher = SecretMatcher::new([password, token]);
        let leaks = scan(&files, &matcher).unwrap();
        let found: Vec<(String, Form)> = leaks
            .iter()
            .map(|l| {
                let name = Path::new(&l.place).file_name().unwrap();
                (name.to_string_lossy().into_owned(), l.form)
            })
            .collect();
        let expected: Vec<(String, Form)> = plants
            .iter()
            .filter_map(|(name, _, form)| form.map(|f| (name.to_string(), f)))
            .collect();
        assert_eq!(found, expected);
        assert!(
            leaks
                .iter()
                .all(|l| l.scrubbed && l.to_string().contains("scrubbed"))
        );
        assert!(
            scan(&files, &matcher).unwrap().is_empty(),
            "scrubbed files are clean"
        );
        assert_eq!(files_under(&dir).len(), 6);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn console_text_is_scanned_too() {
        let matcher = SecretMatcher::new(["hunter2hunter2"]);
        let leak = scan_text("console output", "x aHVudGVyMmh1bnRlcjI= y", &matcher).unwrap();
        assert_eq!(leak.form, Form::Base64);
        assert!(leak.to_string().starts_with("console output: "));
        assert!(scan_text("console output", "clean", &matcher).is_none());
    }
}
