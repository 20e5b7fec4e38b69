//! The ceph.conf dialect, as Ceph's `ConfUtils.cc` grammar accepts it.
//!
//! - `[section]` headings start at column 0; names are taken verbatim.
//! - `key = value`; the `=` is required. Keys are normalized (trimmed, each
//!   run of whitespace becomes `_`); values are trimmed.
//! - `#` and `;` start a comment anywhere, also mid-value; `\#` escapes one.
//! - `\` + newline continues a line; `\x` is `x`.
//! - `"..."` and `'...'` quote a whole value (no comment chars inside).
//! - CR, LF and CRLF end lines; the last line needs its line end.
//! - A file may be a single `key = value` line with no section ([global]).
//! - Later duplicates win, across repeated sections too.
//!
//! Anything else fails the whole file, as upstream. Unlike upstream 16.2
//! (which asserts in boost on non-ASCII bytes) any valid UTF-8 is accepted.

use std::cell::Cell;
use std::collections::BTreeMap;

use super::options::is_c_space;

/// A parsed file: section -> normalized key -> value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ConfFile {
    sections: BTreeMap<String, BTreeMap<String, String>>,
}

/// Where parsing failed (1-based line).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ParseError {
    pub line: usize,
}

/// Ceph's ConfFile::normalize_key_name: trim, whitespace runs become "_".
pub(crate) fn normalize_key_name(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut pending_space = false;
    for c in key.chars() {
        if c.is_ascii() && is_c_space(c as u8) {
            pending_space = !out.is_empty();
        } else {
            if pending_space {
                out.push('_');
                pending_space = false;
            }
            out.push(c);
        }
    }
    out
}

impl ConfFile {
    pub(crate) fn parse_bytes(bytes: &[u8]) -> Result<ConfFile, ParseError> {
        match std::str::from_utf8(bytes) {
            Ok(text) => ConfFile::parse(text),
            Err(e) => {
                let line = bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
                Err(ParseError { line })
            }
        }
    }

    pub(crate) fn parse(text: &str) -> Result<ConfFile, ParseError> {
        Parser { s: text.as_bytes(), run: Cell::new((usize::MAX, 0)) }.file()
    }

    /// The value of `key` (normalized here) in `section`.
    pub(crate) fn get(&self, section: &str, key: &str) -> Option<&str> {
        self.sections.get(section)?.get(&normalize_key_name(key)).map(String::as_str)
    }

    pub(crate) fn sections(&self) -> impl Iterator<Item = (&str, &BTreeMap<String, String>)> {
        self.sections.iter().map(|(k, v)| (k.as_str(), v))
    }

    fn insert(&mut self, section: &str, key: String, value: String) {
        self.sections.entry(section.to_owned()).or_default().insert(key, value);
    }
}

/// Recursive descent over bytes. Mirrors the Spirit grammar, including its
/// skipper (comments and line continuations) running before each token.
struct Parser<'a> {
    s: &'a [u8],
    /// Last blank run seen (start, end): the skipper looks past blanks at
    /// every character, which would be quadratic on long runs without it.
    run: Cell<(usize, usize)>,
}

enum Step<T> {
    Matched(T),
    NoMatch,
}

impl Parser<'_> {
    fn at(&self, p: usize) -> Option<u8> {
        self.s.get(p).copied()
    }

    fn eol_len(&self, p: usize) -> usize {
        match (self.at(p), self.at(p + 1)) {
            (Some(b'\r'), Some(b'\n')) => 2,
            (Some(b'\r' | b'\n'), _) => 1,
            _ => 0,
        }
    }

    fn blanks(&self, p: usize) -> usize {
        let (start, end) = self.run.get();
        if start <= p && p <= end {
            return end;
        }
        let mut q = p;
        while matches!(self.at(q), Some(b' ' | b'\t')) {
            q += 1;
        }
        self.run.set((p, q));
        q
    }

    /// The skipper: `\` + line end, or blanks then a comment to line end.
    fn skip(&self, mut p: usize) -> usize {
        loop {
            if self.at(p) == Some(b'\\') && self.eol_len(p + 1) > 0 {
                p += 1 + self.eol_len(p + 1);
                continue;
            }
            let q = self.blanks(p);
            if matches!(self.at(q), Some(b'#' | b';')) {
                let mut q = q + 1;
                while q < self.s.len() && self.eol_len(q) == 0 {
                    q += 1;
                }
                p = q;
                continue;
            }
            return p;
        }
    }

    /// `\` + any char but a line end is that char; else any char but a
    /// comment start or line end.
    fn text_char(&self, p: usize) -> Option<(u8, usize)> {
        let c = self.at(p)?;
        if c == b'\\' && self.at(p + 1).is_some() && self.eol_len(p + 1) == 0 {
            return Some((self.s[p + 1], p + 2));
        }
        if c == b'#' || c == b';' || self.eol_len(p) > 0 {
            return None;
        }
        Some((c, p + 1))
    }

    /// One or more blank lines (comments are skipped first); returns the
    /// position after them and how many there were.
    fn empty_lines(&self, mut p: usize) -> (usize, usize) {
        let mut n = 0;
        loop {
            let q = self.blanks(self.skip(p));
            let e = self.eol_len(q);
            if e == 0 {
                return (p, n);
            }
            p = q + e;
            n += 1;
        }
    }

    fn eols(&self, mut p: usize) -> usize {
        loop {
            let q = self.skip(p);
            let e = self.eol_len(q);
            if e == 0 {
                return p;
            }
            p = q + e;
        }
    }

    fn error(&self, p: usize) -> ParseError {
        let p = p.min(self.s.len());
        ParseError { line: self.s[..p].iter().filter(|&&b| b == b'\n').count() + 1 }
    }

    fn string(bytes: Vec<u8>) -> String {
        // Dropping ASCII backslashes keeps UTF-8 valid; lossy is a safety net.
        String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// Words of key characters separated by blanks; the raw span is the key.
    fn key(&self, p: usize) -> Option<(String, usize)> {
        let start = self.skip(p);
        let mut p = start;
        let mut end = None;
        loop {
            let mut q = p;
            let mut chars = 0;
            loop {
                let r = self.skip(q);
                if matches!(self.at(r), Some(b'=' | b'[' | b' ')) {
                    break;
                }
                match self.text_char(r) {
                    Some((_, next)) => {
                        q = next;
                        chars += 1;
                    }
                    None => break,
                }
            }
            if chars == 0 {
                break;
            }
            end = Some(q);
            let mut r = q;
            let mut blanks = 0;
            while let Some(b' ' | b'\t') = self.at(self.skip(r)) {
                r = self.skip(r) + 1;
                blanks += 1;
            }
            if blanks == 0 {
                break;
            }
            p = r;
        }
        let end = end?;
        Some((Self::string(self.s[start..end].to_vec()), end))
    }

    fn value(&self, p: usize) -> Result<(String, usize), ParseError> {
        let p = self.skip(p);
        if let Some(quote @ (b'"' | b'\'')) = self.at(p) {
            let mut out = Vec::new();
            let mut q = p + 1;
            loop {
                if self.at(q) == Some(quote) {
                    return Ok((Self::string(out), q + 1));
                }
                match self.text_char(q) {
                    Some((c, next)) => {
                        out.push(c);
                        q = next;
                    }
                    None => return Err(self.error(q)),
                }
            }
        }
        let mut out = Vec::new();
        let mut q = p;
        loop {
            let r = self.skip(q);
            match self.text_char(r) {
                Some((c, next)) => {
                    out.push(c);
                    q = next;
                }
                None => return Ok((Self::string(out), r)),
            }
        }
    }

    /// `key = value` plus its line end(s). NoMatch before the `=`; after it
    /// any failure is fatal, as the grammar's expectation points are.
    fn key_val(&self, p: usize) -> Result<Step<(String, String, usize)>, ParseError> {
        let q = self.blanks(self.skip(p));
        let Some((raw_key, q)) = self.key(q) else {
            return Ok(Step::NoMatch);
        };
        let q = self.skip(self.blanks(self.skip(q)));
        if self.at(q) != Some(b'=') {
            return Ok(Step::NoMatch);
        }
        let q = self.blanks(self.skip(q + 1));
        let (val, q) = self.value(q)?;
        let (q, lines) = self.empty_lines(q);
        if lines == 0 {
            return Err(self.error(q));
        }
        let val = val.trim_matches(|c: char| c.is_ascii() && is_c_space(c as u8)).to_owned();
        Ok(Step::Matched((normalize_key_name(&raw_key), val, q)))
    }

    /// `[name]` plus line end(s). NoMatch unless it starts with `[`.
    fn heading(&self, p: usize) -> Result<Step<(String, usize)>, ParseError> {
        let mut q = self.skip(p);
        if self.at(q) != Some(b'[') {
            return Ok(Step::NoMatch);
        }
        q += 1;
        let mut name = Vec::new();
        loop {
            let r = self.skip(q);
            if self.at(r) == Some(b']') {
                q = r;
                break;
            }
            match self.text_char(r) {
                Some((c, next)) => {
                    name.push(c);
                    q = next;
                }
                None => {
                    q = r;
                    break;
                }
            }
        }
        if name.is_empty() || self.at(q) != Some(b']') {
            return Err(self.error(q));
        }
        let (q, lines) = self.empty_lines(q + 1);
        if lines == 0 {
            return Err(self.error(q));
        }
        Ok(Step::Matched((Self::string(name), q)))
    }

    fn expect_end(&self, p: usize) -> Result<(), ParseError> {
        let p = self.skip(p);
        if p == self.s.len() {
            Ok(())
        } else {
            Err(self.error(p))
        }
    }

    fn file(&self) -> Result<ConfFile, ParseError> {
        let mut conf = ConfFile::default();
        // A file that is one bare `key = value`.
        if let Step::Matched((k, v, end)) = self.key_val(0)? {
            conf.insert("global", k, v);
            self.expect_end(end)?;
            return Ok(conf);
        }
        let mut p = self.eols(0);
        while let Step::Matched((section, q)) = self.heading(p)? {
            p = q;
            conf.sections.entry(section.clone()).or_default();
            loop {
                if let Step::Matched(_) = self.heading(p)? {
                    break;
                }
                match self.key_val(p)? {
                    Step::Matched((k, v, q)) => {
                        conf.insert(&section, k, v);
                        p = q;
                    }
                    Step::NoMatch => break,
                }
            }
            p = self.eols(p);
        }
        self.expect_end(p)?;
        Ok(conf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str, key: &str) -> Option<String> {
        ConfFile::parse(text).ok().and_then(|c| c.get("global", key).map(str::to_owned))
    }

    // Each case was run through librados 16.2 (rados_conf_read_file +
    // rados_conf_get) and `ceph-conf -c FILE --name client.admin --lookup`.
    #[test]
    fn grammar_matches_upstream() {
        let ok = |text: &str, want: &str| assert_eq!(one(text, "rbd_default_pool").as_deref(), Some(want), "{text:?}");
        let bad = |text: &str| assert!(ConfFile::parse(text).is_err(), "{text:?} should fail");
        ok("rbd_default_pool = a\n", "a");
        ok("rbd_default_pool = a\n\n", "a");
        ok("[global]\nrbd_default_pool = a\nrbd_default_pool = b\n", "b");
        ok("[global]\nrbd_default_pool = a\n[client]\n[global]\nrbd_default_pool = c\n", "c");
        ok("[global]\r\nrbd_default_pool = a\r\n", "a");
        ok("[global]\r\rrbd_default_pool = a\r", "a");
        ok("[global]\n\trbd_default_pool\t=\ta\t\n", "a");
        ok("   # comment\n[global]\n  ; c2\nrbd_default_pool = a=b\n", "a=b");
        ok("[global]\nrbd_default_pool = 'a b' \n", "a b");
        ok("[global]\nrbd_default_pool = \" a \"\n", "a");
        ok("[global]\nrbd_default_pool = a \"b\" c\n", "a \"b\" c");
        ok("\n\n[global]\n\n\nrbd_default_pool = a\n\n\n", "a");
        ok("[global]\nrbd_default_pool = a\\\\b\n", "a\\b");
        ok("[global]\nrbd_default_pool = a\\nb\n", "anb");
        ok("[global]\nrbd_default_pool = \"a\\\"b\"\n", "a\"b");
        ok("[global]\nrbd_default_pool = x\\#y\n", "x#y");
        ok("[global] # c\nrbd_default_pool = a\n", "a");
        ok("[global]\nrbd_default_pool = a # c\n", "a");
        ok("[global]\nrbd_default_pool = a;b\n", "a");
        ok("[global]\nrbd_default_pool = a    \n", "a");
        ok("[global]\nrbd_default_pool = a \\\n\\\nb\n", "a b");
        ok("[global]\nrbd_default_pool =\\\n a\n", "a");
        ok("[global]\nrbd  default \t pool = a\n", "a");
        ok("[global]\nrbd_default_pool = a\n[client]\n", "a");
        ok("[global]\nrbd_default_pool = 1.2.3.4, \\\n  5.6.7.8\n", "1.2.3.4,   5.6.7.8");
        ok("[global]\nrbd_default_pool = \u{e9}t\u{e9}\n", "\u{e9}t\u{e9}");
        ok("[global]\nrbd_default_pool = a\n# trailing comment without newline", "a");
        assert_eq!(one("[global]\nrbd_default_pool =\n", "rbd_default_pool").as_deref(), Some(""));

        bad("rbd_default_pool = a\n[global]\n");
        bad("rbd_default_pool = a\nrbd_op_threads = 3\n");
        bad("# c\nrbd_default_pool = a\n");
        bad("\nrbd_default_pool = a\n");
        bad("  [global]\nrbd_default_pool = a\n");
        bad("[global]\nrbd_default_pool = a");
        bad("[global]\nrbd_default_pool a\n");
        bad("[global]\nrbd_default_pool = \"a\" b\n");
        bad("[global]\nrbd_default_pool = \"a#b\"\n");
        bad("[global]\nrbd_default_pool = \"a\nb\"\n");
        bad("[global]\nrbd_default_pool = a\\\n");
        bad("[global]\nrbd_default_pool \\\n = a\n");
        bad("[global]\n=a\n");
        bad("[]\n");
        bad("[global\n");
        bad("[glo#bal]\n");
        bad("[global]");
        bad("[global]\nrbd_de[fault_pool = a\n");
        assert_eq!(ConfFile::parse_bytes(b"[global]\nrbd_default_pool = \xff\n").err(), Some(ParseError { line: 2 }));
    }

    #[test]
    fn empty_and_comment_only_files_parse() {
        assert_eq!(ConfFile::parse(""), Ok(ConfFile::default()));
        assert_eq!(ConfFile::parse("# only comment\n"), Ok(ConfFile::default()));
    }

    #[test]
    fn section_names_are_verbatim_and_keys_normalized() {
        let c = ConfFile::parse("[ global ]\n  rbd   cache  = x\n").unwrap();
        assert_eq!(c.get(" global ", "rbd cache"), Some("x"));
        assert_eq!(c.get(" global ", "rbd_cache"), Some("x"));
        assert_eq!(c.get("global", "rbd_cache"), None);
        // Dashes are not spaces: "rbd-cache" is a different key.
        let c = ConfFile::parse("[global]\nrbd-cache = x\n").unwrap();
        assert_eq!(c.get("global", "rbd_cache"), None);
        assert_eq!(c.get("global", "rbd-cache"), Some("x"));
        assert_eq!(normalize_key_name("  a \t b\n"), "a_b");
        assert_eq!(normalize_key_name(""), "");
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = rbdrs_core::random::XorShift::new(0x5eed_c0f1_9a7e_0001);
        let alphabet = b"[]=#;\\\"' \t\r\nab.\xc3\xa9_-";
        let mut buf = vec![0u8; 256];
        for round in 0..4000 {
            let len = (rng.next_u64() % 257) as usize;
            rng.fill(&mut buf[..len]);
            if round % 2 == 0 {
                // Half the rounds use INI-ish characters to reach deep paths.
                for b in &mut buf[..len] {
                    *b = alphabet[usize::from(*b) % alphabet.len()];
                }
            }
            let _ = ConfFile::parse_bytes(&buf[..len]);
        }
    }
}
