//! The last line of defence: after a run, every file it wrote is searched for every secret the run
//! saw. Redaction happens at the source; this scan proves it did.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};

/// Shorter fragments would match ordinary text by chance.
const MIN_FORM_LEN: usize = 8;

/// A secret found in an output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leak {
    pub file: PathBuf,
    /// How the secret was written there: `raw`, `base64`, `url-encoded`, `jwt segment`.
    pub form: &'static str,
}

impl std::fmt::Display for Leak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: a secret of this run appears in it ({} form)",
            self.file.display(),
            self.form
        )
    }
}

/// The forms a secret may take in an output, each at least `MIN_FORM_LEN` long.
pub fn forms(secret: &str) -> Vec<(&'static str, String)> {
    let mut forms = vec![("raw", secret.to_string())];
    for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
        forms.push(("base64", engine.encode(secret)));
    }
    forms.push((
        "url-encoded",
        url::form_urlencoded::byte_serialize(secret.as_bytes()).collect(),
    ));
    let segments: Vec<&str> = secret.split('.').collect();
    if segments.len() == 3 && secret.starts_with("eyJ") {
        // The payload and signature identify the token; the header is the same for every token.
        forms.extend(segments[1..].iter().map(|s| ("jwt segment", s.to_string())));
    }
    forms.retain(|(_, form)| form.len() >= MIN_FORM_LEN);
    forms.sort();
    forms.dedup();
    forms
}

/// Searches each file for each secret in each form; returns every leak, by file.
pub fn scan(files: &[PathBuf], secrets: &[String]) -> Result<Vec<Leak>, String> {
    let needles: Vec<(&'static str, String)> = secrets.iter().flat_map(|s| forms(s)).collect();
    let mut leaks = Vec::new();
    for file in files {
        let text = read(file)?;
        if let Some((form, _)) = needles
            .iter()
            .find(|(_, needle)| text.contains(needle.as_str()))
        {
            leaks.push(Leak {
                file: file.clone(),
                form,
            });
        }
    }
    Ok(leaks)
}

fn read(file: &Path) -> Result<String, String> {
    std::fs::read(file)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .map_err(|e| {
            format!(
                "{}: cannot read it to scan for secrets: {e}",
                file.display()
            )
        })
}

/// Every file under a folder, recursively (a report folder, the snapshots).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_planted_leak_is_found_in_every_form() {
        let dir = std::env::temp_dir().join(format!("pc-leakscan-{}", fastrand::u64(..)));
        std::fs::create_dir_all(&dir).unwrap();
        let password = "Pc!0a1b2c3dx4242";
        let token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI3In0.c2lnbmF0dXJlX2hlcmU";
        let plants = [
            ("raw.txt", format!("password was {password}"), "raw"),
            (
                "b64.txt",
                format!("Basic {}", STANDARD.encode(password)),
                "base64",
            ),
            ("url.txt", "p=Pc%210a1b2c3dx4242".to_string(), "url-encoded"),
            (
                "seg.txt",
                "payload eyJzdWIiOiI3In0 seen".to_string(),
                "jwt segment",
            ),
            (
                "clean.txt",
                "password [redacted], token [redacted jwt]".to_string(),
                "",
            ),
        ];
        let mut files = Vec::new();
        for (name, text, _) in &plants {
            std::fs::write(dir.join(name), text).unwrap();
            files.push(dir.join(name));
        }
        let leaks = scan(&files, &[password.to_string(), token.to_string()]).unwrap();
        let found: Vec<(String, &str)> = leaks
            .iter()
            .map(|l| {
                (
                    l.file.file_name().unwrap().to_string_lossy().into_owned(),
                    l.form,
                )
            })
            .collect();
        let expected: Vec<(String, &str)> = plants
            .iter()
            .filter(|(_, _, form)| !form.is_empty())
            .map(|(name, _, form)| (name.to_string(), *form))
            .collect();
        assert_eq!(found, expected);
        assert_eq!(files_under(&dir).len(), 5);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn short_forms_are_not_searched() {
        assert!(forms("abc").is_empty());
        assert!(forms("hunter22").iter().any(|(form, _)| *form == "raw"));
    }
}
