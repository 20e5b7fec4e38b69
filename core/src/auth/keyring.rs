//! Plain-text keyrings (KeyRing::decode_plaintext in src/auth/KeyRing.cc,
//! read with the INI grammar of src/common/ConfUtils.cc):
//!
//! ```text
//! [client.admin]
//!     key = AQBf7+pmAAAAABAAq3B1yt9Pb+tUEjEXlR1UTw==
//!     caps mon = "allow *"
//! ```
//!
//! Sections name entities (`[global]` is skipped); `key` holds a base64
//! CryptoKey; `caps <service>` and `auid` are accepted and ignored here,
//! anything else is an error as in Ceph. `#` and `;` start comments.

use alloc::collections::BTreeMap;
use alloc::string::String;

use super::{AuthError, CryptoKey, EntityName};

/// The keys of a keyring, by entity.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Keyring {
    keys: BTreeMap<EntityName, CryptoKey>,
}

/// Cuts a line at the first `#` or `;` outside double quotes.
fn strip_comment(line: &str) -> &str {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            '#' | ';' if !quoted => return &line[..i],
            _ => {}
        }
    }
    line
}

/// ConfFile's key normalisation, plus KeyRing's `_` to space: runs of
/// blanks and underscores become one space, so `caps_mon` is `caps mon`.
fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for word in name.split(|c: char| c == '_' || c.is_ascii_whitespace()).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// A value: trimmed, or a double-quoted string with `\"` and `\\`
/// escapes, after which only blanks may follow.
fn parse_value(raw: &str) -> Result<String, AuthError> {
    let raw = raw.trim();
    let Some(body) = raw.strip_prefix('"') else {
        return Ok(raw.into());
    };
    let mut out = String::new();
    let mut chars = body.chars();
    loop {
        match chars.next() {
            None => return Err(AuthError::BadKey("unterminated quote in keyring")),
            Some('"') => break,
            Some('\\') => match chars.next() {
                Some(c) => out.push(c),
                None => return Err(AuthError::BadKey("unterminated quote in keyring")),
            },
            Some(c) => out.push(c),
        }
    }
    if !chars.as_str().trim().is_empty() {
        return Err(AuthError::BadKey("text after a quoted keyring value"));
    }
    Ok(out)
}

impl Keyring {
    pub fn parse(text: &str) -> Result<Self, AuthError> {
        let mut keyring = Keyring::default();
        // None until the first section; Some(None) inside [global].
        let mut section: Option<Option<EntityName>> = None;
        for line in text.lines() {
            let line = strip_comment(line).trim();
            if line.is_empty() {
                continue;
            }
            if let Some(rest) = line.strip_prefix('[') {
                let name = rest.strip_suffix(']').ok_or(AuthError::BadKey("unterminated section header"))?;
                let name = name.trim();
                section = Some(match name {
                    "global" => None,
                    _ => Some(EntityName::parse(name).ok_or(AuthError::BadKey("bad entity name in keyring"))?),
                });
                continue;
            }
            let (name, value) = line.split_once('=').ok_or(AuthError::BadKey("keyring line is not name = value"))?;
            let name = normalize_name(name);
            let value = parse_value(value)?;
            let entity = match &section {
                None => return Err(AuthError::BadKey("keyring setting outside a section")),
                Some(None) => continue,
                Some(Some(entity)) => entity,
            };
            match name.as_str() {
                "key" => {
                    keyring.keys.insert(entity.clone(), CryptoKey::from_base64(&value)?);
                }
                "auid" => {}
                caps if caps.strip_prefix("caps ").is_some_and(|s| !s.is_empty()) => {}
                _ => return Err(AuthError::BadKey("unknown keyring setting")),
            }
        }
        Ok(keyring)
    }

    pub fn get(&self, name: &EntityName) -> Option<&CryptoKey> {
        self.keys.get(name)
    }

    /// The key for `name`, or -ENOENT as CephxClientHandler reports.
    pub fn key_for(&self, name: &EntityName) -> Result<&CryptoKey, AuthError> {
        self.keys.get(name).ok_or_else(|| AuthError::NoKey(alloc::format!("{name}")))
    }

    pub fn insert(&mut self, name: EntityName, key: CryptoKey) {
        self.keys.insert(name, key);
    }

    pub fn iter(&self) -> impl Iterator<Item = (&EntityName, &CryptoKey)> {
        self.keys.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// The `key` config option: one base64 key, for the configured entity.
pub fn parse_key_option(value: &str) -> Result<CryptoKey, AuthError> {
    CryptoKey::from_base64(value)
}
