//! rbd's command line: command words, positional arguments and options,
//! in any order, as `rbd` takes them.

use std::collections::BTreeMap;

/// Options that take a value; everything else starting with `-` is a flag.
const VALUED: &[(&str, &str)] = &[
    ("-p", "pool"),
    ("--pool", "pool"),
    ("--namespace", "namespace"),
    ("--image", "image"),
    ("--snap", "snap"),
    ("-s", "size"),
    ("--size", "size"),
    ("--order", "order"),
    ("--object-size", "object-size"),
    ("--image-feature", "image-feature"),
    ("--image-format", "image-format"),
    ("--stripe-unit", "stripe-unit"),
    ("--stripe-count", "stripe-count"),
    ("--data-pool", "data-pool"),
    ("--format", "format"),
    ("--dest", "dest"),
    ("--dest-pool", "dest-pool"),
    ("--dest-namespace", "dest-namespace"),
    ("--from-snap", "from-snap"),
    ("--io-type", "io-type"),
    ("--io-size", "io-size"),
    ("--io-threads", "io-threads"),
    ("--io-total", "io-total"),
    ("--io-pattern", "io-pattern"),
    ("--path", "path"),
];

const FLAGS: &[(&str, &str)] = &[
    ("-l", "long"),
    ("--long", "long"),
    ("--pretty-format", "pretty-format"),
    ("--no-progress", "no-progress"),
    ("--allow-shrink", "allow-shrink"),
    ("--force", "force"),
    ("--whole-object", "whole-object"),
    ("--all", "all"),
    ("-a", "all"),
    ("--no-error", "no-error"),
    ("--sparse", "sparse"),
    ("-h", "help"),
    ("--help", "help"),
];

#[derive(Debug, Default)]
pub struct Args {
    /// Words and positional arguments, in order.
    pub words: Vec<String>,
    /// Values by option name (repeatable options keep every value).
    pub values: BTreeMap<&'static str, Vec<String>>,
    pub flags: Vec<&'static str>,
}

impl Args {
    /// Splits what the configuration did not take.
    pub fn parse(args: Vec<String>) -> Result<Args, String> {
        let mut out = Args::default();
        let mut it = args.into_iter();
        while let Some(arg) = it.next() {
            if arg == "--" {
                out.words.extend(it.by_ref());
                break;
            }
            if arg == "-" || !arg.starts_with('-') {
                out.words.push(arg);
                continue;
            }
            let (name, inline) = match arg.split_once('=') {
                Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
                _ => (arg.clone(), None),
            };
            if let Some(&(_, key)) = VALUED.iter().find(|(n, _)| *n == name) {
                let value = match inline {
                    Some(v) => v,
                    None => it.next().ok_or_else(|| format!("the required argument for option '{name}' is missing"))?,
                };
                out.values.entry(key).or_default().push(value);
            } else if let Some(&(_, key)) = FLAGS.iter().find(|(n, _)| *n == name) {
                out.flags.push(key);
            } else {
                return Err(format!("unrecognised option '{arg}'"));
            }
        }
        Ok(out)
    }

    pub fn value(&self, key: &str) -> Option<&str> {
        self.values.get(key).and_then(|v| v.last()).map(String::as_str)
    }

    pub fn all(&self, key: &str) -> &[String] {
        self.values.get(key).map_or(&[], Vec::as_slice)
    }

    pub fn flag(&self, key: &str) -> bool {
        self.flags.contains(&key)
    }
}

/// `--size`, `--io-size` and friends: a number with an optional binary
/// suffix (K, M, G, T, P, E, with or without "B"/"iB"). A bare number is
/// `bare_unit` bytes each (rbd reads `--size 1024` as MiB).
pub fn parse_size(text: &str, bare_unit: u64) -> Result<u64, String> {
    let t = text.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, suffix) = t.split_at(digits);
    let n: u64 = num.parse().map_err(|_| format!("invalid size '{text}'"))?;
    let unit = match suffix.trim_end_matches("iB").trim_end_matches('B').to_ascii_uppercase().as_str() {
        "" if suffix.is_empty() => bare_unit,
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        "P" => 1 << 50,
        "E" => 1 << 60,
        _ => return Err(format!("invalid size '{text}'")),
    };
    n.checked_mul(unit).ok_or_else(|| format!("size '{text}' is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_rbd_reads_them() {
        assert_eq!(parse_size("1024", 1 << 20), Ok(1 << 30));
        assert_eq!(parse_size("1G", 1 << 20), Ok(1 << 30));
        assert_eq!(parse_size("64K", 1), Ok(65536));
        assert_eq!(parse_size("4MiB", 1), Ok(4 << 20));
        assert_eq!(parse_size("512B", 1 << 20), Ok(512));
        assert!(parse_size("1X", 1).is_err());
        assert!(parse_size("", 1).is_err());
        assert!(parse_size("99999999999E", 1).is_err());
    }

    #[test]
    fn options_go_anywhere_and_take_values_both_ways() {
        let words = ["snap", "ls", "--format=json", "-p", "rbd", "img", "--pretty-format"];
        let a = Args::parse(words.iter().map(|s| s.to_string()).collect()).unwrap();
        assert_eq!(a.words, ["snap", "ls", "img"]);
        assert_eq!(a.value("format"), Some("json"));
        assert_eq!(a.value("pool"), Some("rbd"));
        assert!(a.flag("pretty-format"));
        assert!(Args::parse(vec!["--size".into()]).is_err());
        assert!(Args::parse(vec!["--bogus".into()]).is_err());
    }
}
