//! The AWS shared config and credentials files, read once for both
//! backends, by the rules of the AWS SDKs' file format (sections, properties,
//! sub-properties, comments, `[profile name]` in the config file and `[name]`
//! in the credentials file, `[profile default]` over `[default]`, the
//! credentials file over the config file), as `aws-config` reads them; a
//! unit test holds this reader to `aws-config`'s own parser.
//!
//! rusoto's own reader knows neither `services` sections nor sub-properties
//! and only looks for a region, and `aws-config`'s parser is in neither the
//! rusoto build nor reachable for sub-properties; this is the one reader both
//! backends take their profile settings from.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::build_error::BuildError;

/// Whitespace, as the file format counts it (not `char::is_whitespace`).
const WHITESPACE: &[char] = &[' ', '\t'];

/// Which of the two files a text is: their sections are named differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    /// `~/.aws/config`: `[default]`, `[profile name]`, `[services name]`, ...
    Config,
    /// `~/.aws/credentials`: `[name]` only.
    Credentials,
}

/// The profiles, `services` sections and their settings of both files.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct ProfileFiles {
    /// Profile name → property (lowercase) → value.
    profiles: HashMap<String, HashMap<String, String>>,
    /// (section name, property, sub-property) → value, for
    /// `[services name]` sections.
    services: HashMap<(String, String, String), String>,
    /// Profile name → the properties the credentials file set (rusoto
    /// reads keys from that file only).
    from_credentials_file: HashMap<String, Vec<String>>,
}

/// A text that is not in the files' format: its first wrong line (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParseError {
    pub(crate) line: usize,
}

impl ProfileFiles {
    /// The profiles of the config file's text, then the credentials
    /// file's (whose settings win); `paths` name them in errors.
    pub(crate) fn parse(
        config: &str,
        credentials: &str,
        paths: [&Path; 2],
    ) -> Result<ProfileFiles, BuildError> {
        let mut files = ProfileFiles::default();
        let texts = [
            (config, FileKind::Config),
            (credentials, FileKind::Credentials),
        ];
        for ((text, kind), path) in texts.into_iter().zip(paths) {
            files
                .merge(text, kind)
                .map_err(|error| invalid(path, error.line))?;
        }
        Ok(files)
    }

    /// Adds the sections of one file's `text` of `kind`; later files' settings
    /// replace earlier ones'.
    pub(crate) fn merge(&mut self, text: &str, kind: FileKind) -> Result<(), ParseError> {
        let raw = parse(text)?;
        // `[profile default]` hides `[default]` in the same config file.
        let prefixed_default = kind == FileKind::Config
            && raw
                .iter()
                .any(|(name, _)| section(name) == (Some("profile"), "default"));
        for (name, properties) in raw {
            let (prefix, suffix) = section(&name);
            let profile = match (kind, prefix) {
                (FileKind::Config, None) if suffix == "default" && !prefixed_default => suffix,
                (FileKind::Config, Some("profile")) if is_identifier(suffix) => suffix,
                (FileKind::Config, Some("services")) if is_identifier(suffix) => {
                    self.add_services(suffix, &properties);
                    continue;
                }
                (FileKind::Credentials, None) if is_identifier(suffix) => suffix,
                // Ignored by the SDKs: other prefixes (sso-session), names
                // that are not identifiers, unprefixed config sections.
                _ => continue,
            };
            let target = self.profiles.entry(profile.to_owned()).or_default();
            for (key, value) in properties {
                if !is_identifier(&key) {
                    continue;
                }
                if kind == FileKind::Credentials {
                    self.from_credentials_file
                        .entry(profile.to_owned())
                        .or_default()
                        .push(key.clone());
                }
                target.insert(key, value);
            }
        }
        Ok(())
    }

    fn add_services(&mut self, name: &str, properties: &[(String, String)]) {
        for (service, block) in properties {
            if !is_identifier(service) {
                continue;
            }
            for line in block.split('\n').filter(|line| !line.is_empty()) {
                if let Some((key, value)) = line.split_once('=') {
                    let key = key.trim_matches(WHITESPACE).to_owned();
                    let value = value.trim_matches(WHITESPACE).to_owned();
                    self.services
                        .insert((name.to_owned(), service.clone(), key), value);
                }
            }
        }
    }

    /// The profile of this name, if a file defines it.
    pub(crate) fn profile<'a>(&'a self, name: &'a str) -> Profile<'a> {
        Profile { files: self, name }
    }
}

/// One profile of the files: its settings, and its `services` section's.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Profile<'a> {
    files: &'a ProfileFiles,
    name: &'a str,
}

impl<'a> Profile<'a> {
    /// The profile's name.
    pub(crate) fn name(&self) -> &'a str {
        self.name
    }

    /// Whether a file defines this profile.
    #[cfg(test)]
    pub(crate) fn exists(&self) -> bool {
        self.files.profiles.contains_key(self.name)
    }

    /// A property of the profile, as written (`key` in lowercase).
    pub(crate) fn get(&self, key: &str) -> Option<&'a str> {
        self.files
            .profiles
            .get(self.name)?
            .get(key)
            .map(String::as_str)
    }

    /// Whether the credentials file set this property of the profile.
    pub(crate) fn in_credentials_file(&self, key: &str) -> bool {
        self.files
            .from_credentials_file
            .get(self.name)
            .is_some_and(|keys| keys.iter().any(|k| k == key))
    }

    /// A sub-property of `service` in the `services` section the profile
    /// names, e.g. `dynamodb` / `endpoint_url`.
    pub(crate) fn service(&self, service: &str, key: &str) -> Option<&'a str> {
        let section = self.get("services")?;
        self.files
            .services
            .get(&(section.to_owned(), service.to_owned(), key.to_owned()))
            .map(String::as_str)
    }
}

/// A profile file's text; a missing file, or one that cannot be read (a
/// directory, no permission), is empty, as for the SDKs.
pub(crate) fn read_text(path: &Path) -> Result<String, BuildError> {
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|_| invalid(path, 0)),
        Err(_) => Ok(String::new()),
    }
}

fn invalid(path: &Path, line: usize) -> BuildError {
    BuildError::InvalidProfileFile {
        path: PathBuf::from(path),
        line,
    }
}

/// A section's name split into its prefix (`profile`, `services`, ...) and
/// the name proper.
fn section(name: &str) -> (Option<&str>, &str) {
    let name = name.trim_matches(WHITESPACE);
    match name.split_once(WHITESPACE) {
        Some((prefix, rest)) => (Some(prefix.trim()), rest.trim()),
        None => (None, name.trim()),
    }
}

/// Letters, digits and `_ - / . % @ : +`: the names the SDKs accept.
fn is_identifier(name: &str) -> bool {
    name.chars()
        .all(|c| c.is_ascii_alphanumeric() || "_-/.%@:+".contains(c))
}

/// Sections in the order met, each with its properties (keys in lowercase;
/// a property whose first line is empty holds its sub-properties' lines).
type RawSections = Vec<(String, Vec<(String, String)>)>;

/// The file format's lines: `[section]`, `key = value`, indented
/// continuations, and `#` / `;` comments.
fn parse(text: &str) -> Result<RawSections, ParseError> {
    let mut sections: RawSections = Vec::new();
    // The section being read, its property being read (if any), and whether
    // that property takes sub-properties (its first line was empty).
    let mut current: Option<(usize, Option<String>, bool)> = None;
    for (index, line) in text.lines().enumerate() {
        let error = || ParseError { line: index + 1 };
        if line.trim_matches(WHITESPACE).is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if line.starts_with('[') {
            let header = strip_comment(line, false);
            let name = header
                .strip_prefix('[')
                .and_then(|rest| rest.strip_suffix(']'))
                .ok_or_else(error)?;
            // A section met again takes more properties.
            let at = match sections.iter().position(|(n, _)| n == name) {
                Some(at) => at,
                None => {
                    sections.push((name.to_owned(), Vec::new()));
                    sections.len() - 1
                }
            };
            current = Some((at, None, false));
        } else if line.starts_with(WHITESPACE) {
            // A continuation of the property being read.
            let Some((at, Some(key), sub_properties)) = &current else {
                return Err(error());
            };
            let line = line.trim_matches(WHITESPACE);
            if *sub_properties {
                property_line(line).ok_or_else(error)?;
            }
            let (_, value) = sections[*at]
                .1
                .iter_mut()
                .find(|(k, _)| k == key)
                .ok_or_else(error)?;
            value.push('\n');
            value.push_str(line);
        } else {
            let Some((at, _, _)) = current else {
                return Err(error());
            };
            let (key, value) = property_line(line).ok_or_else(error)?;
            let properties = &mut sections[at].1;
            properties.retain(|(k, _)| *k != key);
            properties.push((key.clone(), value.to_owned()));
            current = Some((at, Some(key), value.is_empty()));
        }
    }
    Ok(sections)
}

/// `key = value` with a trailing comment removed: the key in lowercase.
fn property_line(line: &str) -> Option<(String, &str)> {
    let line = strip_comment(line, true);
    let (key, value) = line.split_once('=')?;
    let key = key.trim_matches(WHITESPACE);
    if key.is_empty() {
        return None;
    }
    Some((key.to_ascii_lowercase(), value.trim_matches(WHITESPACE)))
}

/// `line` trimmed and without a comment: one starting at `#` or `;`, which
/// in a property must follow whitespace.
fn strip_comment(line: &str, needs_whitespace: bool) -> &str {
    let line = line.trim_matches(WHITESPACE);
    let mut after_whitespace = false;
    for (at, c) in line.char_indices() {
        if (c == '#' || c == ';') && (after_whitespace || !needs_whitespace) {
            return line[..at].trim_matches(WHITESPACE);
        }
        after_whitespace = c.is_whitespace();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn files(config: &str, credentials: &str) -> ProfileFiles {
        let mut files = ProfileFiles::default();
        files
            .merge(config, FileKind::Config)
            .expect("config parses");
        files
            .merge(credentials, FileKind::Credentials)
            .expect("credentials parse");
        files
    }

    #[test]
    fn profiles_sections_and_comments() {
        let files = files(
            "# top\n[default]\nregion = eu-west-1 # a comment\n\
             [profile dev] ; a comment\nRegion=eu-central-2\nendpoint_url = http://x:1;not a comment\n\
             services = local\n[services local]\ndynamodb =\n  endpoint_url = http://127.0.0.1:8000\n\
             s3 =\n  endpoint_url = http://s3:1\n[dev]\nregion = ignored-unprefixed\n",
            "[dev]\naws_access_key_id = AKID\n",
        );
        let default = files.profile("default");
        assert_eq!(default.get("region"), Some("eu-west-1"));
        let dev = files.profile("dev");
        assert_eq!(dev.get("region"), Some("eu-central-2"));
        assert_eq!(dev.get("endpoint_url"), Some("http://x:1;not a comment"));
        assert_eq!(
            dev.service("dynamodb", "endpoint_url"),
            Some("http://127.0.0.1:8000")
        );
        assert!(dev.in_credentials_file("aws_access_key_id"));
        assert!(!dev.in_credentials_file("region"));
        assert!(!files.profile("nobody").exists());
    }

    #[test]
    fn prefixed_default_wins_and_credentials_file_overrides() {
        let files = files(
            "[default]\nregion = a-1\n[profile default]\nregion = b-1\n",
            "[default]\nregion = c-1\n[profile x]\nregion = d-1\n",
        );
        assert_eq!(files.profile("default").get("region"), Some("c-1"));
        assert!(!files.profile("x").exists());
    }

    #[test]
    fn malformed_lines_are_errors_with_their_number() {
        for (text, line) in [
            ("region = x\n", 1),
            ("[default\n", 1),
            ("[default]\n\nno equals sign\n", 3),
            ("[default]\n= value\n", 2),
            ("[default]\n  continuation without property\n", 2),
            ("[default]\ns3 =\n  not a sub property\n", 3),
        ] {
            let mut files = ProfileFiles::default();
            assert_eq!(
                files.merge(text, FileKind::Config),
                Err(ParseError { line }),
                "{text:?}"
            );
        }
    }
}
