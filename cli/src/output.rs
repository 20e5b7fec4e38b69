//! What rbd prints: JSON in its key order (compact, or pretty with
//! `--pretty-format`), plain tables, sizes as "100 MiB", times as ctime.

use std::fmt::Write;

/// A JSON value that keeps its keys in insertion order, as Ceph's
/// formatter does.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Str(String),
    Int(i128),
    Bool(bool),
    List(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    pub fn object() -> Json {
        Json::Object(Vec::new())
    }

    /// Adds `key` (to an object; a no-op otherwise).
    pub fn with(mut self, key: &str, value: impl Into<Json>) -> Json {
        if let Json::Object(fields) = &mut self {
            fields.push((key.to_string(), value.into()));
        }
        self
    }

    pub fn render(&self, pretty: bool) -> String {
        let mut out = String::new();
        self.write(&mut out, pretty, 0);
        out
    }

    fn write(&self, out: &mut String, pretty: bool, depth: usize) {
        let newline = |out: &mut String, depth: usize| {
            if pretty {
                out.push('\n');
                out.extend(std::iter::repeat_n("    ", depth));
            }
        };
        match self {
            Json::Str(s) => quote(out, s),
            Json::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    newline(out, depth + 1);
                    item.write(out, pretty, depth + 1);
                }
                if !items.is_empty() {
                    newline(out, depth);
                }
                out.push(']');
            }
            Json::Object(fields) => {
                out.push('{');
                for (i, (key, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    newline(out, depth + 1);
                    quote(out, key);
                    out.push_str(if pretty { ": " } else { ":" });
                    value.write(out, pretty, depth + 1);
                }
                if !fields.is_empty() {
                    newline(out, depth);
                }
                out.push('}');
            }
        }
    }
}

fn quote(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

impl From<&str> for Json {
    fn from(s: &str) -> Json {
        Json::Str(s.to_string())
    }
}

impl From<String> for Json {
    fn from(s: String) -> Json {
        Json::Str(s)
    }
}

impl From<&String> for Json {
    fn from(s: &String) -> Json {
        Json::Str(s.clone())
    }
}

impl From<bool> for Json {
    fn from(b: bool) -> Json {
        Json::Bool(b)
    }
}

macro_rules! json_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Json {
            fn from(n: $t) -> Json {
                Json::Int(n as i128)
            }
        }
    )*};
}
json_int!(u8, u32, u64, i32, i64, usize);

impl<T: Into<Json>> From<Vec<T>> for Json {
    fn from(items: Vec<T>) -> Json {
        Json::List(items.into_iter().map(Into::into).collect())
    }
}

/// Ceph's byte_u_t: "0 B", "100 MiB", "1.2 GiB" (at most 7 characters
/// when the value is not a whole number of units).
pub fn size(n: u64) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut index = 0;
    while index + 1 < UNITS.len() && n >> (10 * (index + 1)) > 0 {
        index += 1;
    }
    if index == 0 || n.is_multiple_of(1 << (10 * index)) {
        return format!("{} {}", n >> (10 * index), UNITS[index]);
    }
    let value = n as f64 / (1u64 << (10 * index)) as f64;
    for precision in (1..=2).rev() {
        let text = format!("{value:.precision$} {}", UNITS[index]);
        if text.len() <= 7 {
            return text;
        }
    }
    format!("{value:.0} {}", UNITS[index])
}

/// ctime(3) without the newline, in UTC: "Mon Dec  7 11:17:19 2026".
pub fn ctime(secs: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let days = secs / 86_400;
    let (h, m, s) = (secs % 86_400 / 3600, secs % 3600 / 60, secs % 60);
    // Howard Hinnant's civil_from_days.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{} {} {day:>2} {h:02}:{m:02}:{s:02} {year}", DAYS[(days % 7) as usize], MONTHS[(month - 1) as usize])
}

/// A table as rbd's TextTable prints it: columns padded to their widest
/// cell, two spaces apart, cells left- or right-aligned under left-aligned
/// headings.
pub struct Table {
    columns: Vec<(String, bool)>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// `columns`: (heading, right-aligned).
    pub fn new(columns: &[(&str, bool)]) -> Table {
        Table { columns: columns.iter().map(|&(h, r)| (h.to_string(), r)).collect(), rows: Vec::new() }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.columns.iter().map(|(h, _)| h.len()).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.len());
            }
        }
        let mut out = String::new();
        let headings: Vec<String> = self.columns.iter().map(|(h, _)| h.clone()).collect();
        for (i, row) in std::iter::once(&headings).chain(&self.rows).enumerate() {
            // Headings are always left-aligned.
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .zip(&self.columns)
                .map(|((cell, &w), (_, right))| match *right && i > 0 {
                    true => format!("{cell:>w$}"),
                    false => format!("{cell:<w$}"),
                })
                .collect();
            out.push_str(&cells.join("  "));
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_print_as_ceph_prints_them() {
        assert_eq!(size(0), "0 B");
        assert_eq!(size(512), "512 B");
        assert_eq!(size(100 << 20), "100 MiB");
        assert_eq!(size(1 << 30), "1 GiB");
        assert_eq!(size(1_283_457_024), "1.2 GiB");
        assert_eq!(size(1536 << 20), "1.5 GiB");
    }

    #[test]
    fn ctime_matches_the_c_library() {
        assert_eq!(ctime(0), "Thu Jan  1 00:00:00 1970");
        assert_eq!(ctime(1_796_642_239), "Mon Dec  7 11:17:19 2026");
        assert_eq!(ctime(951_782_400), "Tue Feb 29 00:00:00 2000");
    }

    #[test]
    fn json_keeps_key_order_and_escapes() {
        let j = Json::object().with("name", "a\"b").with("size", 5u64).with("l", vec![1u64, 2]);
        assert_eq!(j.render(false), r#"{"name":"a\"b","size":5,"l":[1,2]}"#);
        assert_eq!(Json::List(vec![]).render(true), "[]");
        assert_eq!(Json::object().with("a", 1u64).render(true), "{\n    \"a\": 1\n}");
    }
}
