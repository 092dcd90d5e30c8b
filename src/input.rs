//! Files the user wrote (suites, profiles): reading them safely and naming the place of a problem.

use std::fmt;
use std::path::Path;

use serde::de::DeserializeOwned;

/// Larger files are refused: a suite or profile is never this big, and parsing must stay cheap.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;

/// A problem in a file the user wrote, with the place when it is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub file: String,
    pub line: Option<u64>,
    pub column: Option<u64>,
    pub message: String,
}

impl InputError {
    pub fn new(file: impl Into<String>, message: impl Into<String>) -> InputError {
        InputError {
            file: file.into(),
            line: None,
            column: None,
            message: message.into(),
        }
    }

    pub fn at(mut self, line: u64, column: u64) -> InputError {
        if line > 0 {
            self.line = Some(line);
            self.column = Some(column.max(1));
        }
        self
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => {
                write!(f, "{}:{line}:{column}: {}", self.file, self.message)
            }
            _ => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for InputError {}

/// Reads a file the user named, refusing what is not a regular file (a folder, a FIFO, a device
/// such as `/dev/zero`) and what is larger than [`MAX_FILE_BYTES`].
pub fn read_file(path: &Path) -> Result<Vec<u8>, InputError> {
    read_file_limited(path, MAX_FILE_BYTES)
}

/// Like [`read_file`], with a size limit of the caller's (a report for `diff`).
pub fn read_file_limited(path: &Path, max_bytes: usize) -> Result<Vec<u8>, InputError> {
    use std::io::Read as _;
    let name = path.display().to_string();
    let meta =
        std::fs::metadata(path).map_err(|e| InputError::new(&name, format!("cannot read: {e}")))?;
    if !meta.is_file() {
        // Checked before opening: opening a FIFO would wait for a writer.
        return Err(InputError::new(
            &name,
            "not a regular file (a folder, a FIFO or a device); refused",
        ));
    }
    let too_large = || InputError::new(&name, format!("larger than {max_bytes} bytes"));
    if meta.len() > max_bytes as u64 {
        return Err(too_large());
    }
    let file = std::fs::File::open(path)
        .map_err(|e| InputError::new(&name, format!("cannot read: {e}")))?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // The size may change between the check and the read: never read more than the limit.
    file.take(max_bytes as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| InputError::new(&name, format!("cannot read: {e}")))?;
    if bytes.len() > max_bytes {
        return Err(too_large());
    }
    Ok(bytes)
}

/// Decodes UTF-8, naming the line and column of the first bad byte.
pub fn utf8<'b>(file: &str, bytes: &'b [u8]) -> Result<&'b str, InputError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(InputError::new(
            file,
            format!("larger than {MAX_FILE_BYTES} bytes"),
        ));
    }
    std::str::from_utf8(bytes).map_err(|e| {
        let good = &bytes[..e.valid_up_to()];
        let line = good.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        let column = good.iter().rev().take_while(|&&b| b != b'\n').count() as u64 + 1;
        InputError::new(file, "not valid UTF-8").at(line, column)
    })
}

/// Parses YAML into `T` with YAML 1.2 meanings (`no` stays a string, `0755` stays text).
pub fn parse_yaml<T: DeserializeOwned>(file: &str, text: &str) -> Result<T, InputError> {
    let options = serde_saphyr::options! {
        strict_booleans: true,
        leading_zero_numbers_as_strings: true,
    };
    serde_saphyr::from_str_with_options(text, options).map_err(|e| {
        let message = first_line(&e.to_string());
        let error = InputError::new(file, message);
        match e.location() {
            Some(loc) => error.at(loc.line(), loc.column()),
            None => error,
        }
    })
}

/// serde-saphyr's messages carry a snippet after the first line; the place is ours to print.
fn first_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or(message).trim();
    // "error: line 3 column 5: unknown field" → keep the reason only.
    let line = line.strip_prefix("error: ").unwrap_or(line);
    match line.split_once(": ") {
        Some((place, reason)) if place.starts_with("line ") => reason.to_string(),
        _ => line.to_string(),
    }
}

/// The 1-based line and column of `needle` at or after `from_line`, for errors found after parsing.
/// Falls back to the start of `from_line` when the needle is not written literally.
pub fn locate(text: &str, from_line: u64, needle: &str) -> (u64, u64) {
    let from = from_line.max(1);
    for (index, line) in text.lines().enumerate().skip(from as usize - 1) {
        if let Some(at) = line.find(needle) {
            return (index as u64 + 1, line[..at].chars().count() as u64 + 1);
        }
    }
    (from, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Small {
        name: String,
        count: u32,
    }

    #[test]
    fn yaml_errors_name_line_and_column() {
        let err = parse_yaml::<Small>("s.yaml", "name: x\ncount: 1\nextra: 2\n").unwrap_err();
        assert_eq!(err.line, Some(3), "{err}");
        assert!(err.message.contains("extra"), "{err}");
        let err = parse_yaml::<Small>("s.yaml", "name: x\ncount: many\n").unwrap_err();
        assert_eq!(err.line, Some(2), "{err}");
        assert!(err.to_string().starts_with("s.yaml:2:"), "{err}");
    }

    #[test]
    fn yaml_1_1_meanings_are_off() {
        let value: serde_json::Value = parse_yaml("v.yaml", "a: no\nb: 0755\n").unwrap();
        assert_eq!(value["a"], "no");
        assert_eq!(value["b"], "0755");
    }

    #[cfg(unix)]
    #[test]
    fn devices_folders_and_oversized_files_are_refused_without_reading_them() {
        let err = read_file(Path::new("/dev/zero")).unwrap_err();
        assert!(err.message.contains("not a regular file"), "{err}");
        let err = read_file(Path::new("/")).unwrap_err();
        assert!(err.message.contains("not a regular file"), "{err}");
        let dir = std::env::temp_dir().join(format!("pc-input-{}", fastrand::u64(..)));
        std::fs::create_dir_all(&dir).unwrap();
        let big = dir.join("big.yaml");
        std::fs::write(&big, vec![b'a'; 2048]).unwrap();
        let err = read_file_limited(&big, 1024).unwrap_err();
        assert!(err.message.contains("larger than 1024 bytes"), "{err}");
        assert_eq!(read_file_limited(&big, 4096).unwrap().len(), 2048);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bad_utf8_is_placed() {
        let err = utf8("u.yaml", b"name: ok\nbad: \xff\n").unwrap_err();
        assert_eq!((err.line, err.column), (Some(2), Some(6)));
    }

    #[test]
    fn locate_finds_the_needle_after_a_line() {
        let text = "a: x\nb: schema1\nc: schema1\n";
        assert_eq!(locate(text, 3, "schema1"), (3, 4));
        assert_eq!(locate(text, 1, "nothing"), (1, 1));
    }
}
