//! Reading the few fields librbdrs needs from monitor JSON, without a
//! JSON library: the objects are flat and their keys known.

/// The string value of `key` in a flat JSON object such as `ceph` sends
/// (`{"prefix": "df", "format": "json"}`); None when absent or not a string.
pub(crate) fn string_field(json: &str, key: &str) -> Option<String> {
    let quoted = format!("\"{key}\"");
    let after = &json[json.find(&quoted)? + quoted.len()..];
    let value = after.trim_start().strip_prefix(':')?.trim_start().strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => out.push(chars.next()?),
            c => out.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_fields_are_read_from_json() {
        let cmd = r#"{"prefix": "df", "format":"json", "odd": "a\"b"}"#;
        assert_eq!(string_field(cmd, "prefix").as_deref(), Some("df"));
        assert_eq!(string_field(cmd, "format").as_deref(), Some("json"));
        assert_eq!(string_field(cmd, "odd").as_deref(), Some("a\"b"));
        assert_eq!(string_field(cmd, "missing"), None);
        assert_eq!(string_field(r#"{"prefix": 5}"#, "prefix"), None);
        assert_eq!(string_field(r#"{"prefix": "unterminated"#, "prefix"), None);
    }
}
