//! Command-line style arguments, as md_config_t::parse_argv and
//! ceph_argparse.cc read them (also the words of `CEPH_ARGS`).
//!
//! Where upstream exits the process (a missing argument to `-m`/`-k`/`-K`,
//! `--show_conf`) we return EINVAL or ignore the flag instead.

use rbdrs_core::Errno;

use super::options::{self, Kind};
use super::{keyring, Config, Level};

/// ceph_argparse's dashes_to_underscores: the first two characters stay,
/// then '-' becomes '_' up to the first '='.
fn dashes_to_underscores(arg: &str) -> String {
    let mut out = String::with_capacity(arg.len());
    let mut seen_eq = false;
    for (i, c) in arg.chars().enumerate() {
        seen_eq |= c == '=';
        out.push(if i >= 2 && !seen_eq && c == '-' { '_' } else { c });
    }
    out
}

/// Matches `--name=value` or `--name value`: (value, arguments used).
/// A missing value is EINVAL.
fn with_arg<'a>(norm: &'a str, args: &[&'a str], i: usize, names: &[&str]) -> Result<Option<(&'a str, usize)>, Errno> {
    for name in names {
        if norm == *name {
            return args.get(i + 1).map(|v| Some((*v, 2))).ok_or(Errno::EINVAL);
        }
        if let Some(v) = norm.strip_prefix(name).and_then(|rest| rest.strip_prefix('=')) {
            return Ok(Some((v, 1)));
        }
    }
    Ok(None)
}

fn bool_word(s: &str) -> Option<bool> {
    match s {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

impl Config {
    /// Applies arguments at `level` and returns the ones not used.
    pub(crate) fn parse_args(&mut self, args: &[&str], level: Level) -> Result<Vec<String>, Errno> {
        let mut rest = Vec::new();
        let mut i = 0;
        while i < args.len() {
            let arg = args[i];
            if arg == "--" {
                rest.extend(args[i..].iter().map(|a| (*a).to_owned()));
                break;
            }
            let norm = dashes_to_underscores(arg);
            let used = self.parse_one(&norm, args, i, level)?;
            if used == 0 {
                rest.push(arg.to_owned());
                i += 1;
            } else {
                i += used;
            }
        }
        Ok(rest)
    }

    /// One argument (with its value); returns how many were used, 0 if
    /// none matched.
    fn parse_one(&mut self, norm: &str, args: &[&str], i: usize, level: Level) -> Result<usize, Errno> {
        // Daemon and tool switches: taken off the list, nothing to do here.
        if ["--show_conf", "--show_config", "--no_mon_config", "--log_early", "--mon_config"].contains(&norm) {
            return Ok(1);
        }
        if let Some((_, used)) =
            with_arg(norm, args, i, &["--show_config_value", "--bind", "--client_mountpoint", "-r"])?
        {
            return Ok(used);
        }
        if norm == "--foreground" || norm == "-f" {
            self.set_named("daemonize", "false", Level::Override)?;
            return Ok(1);
        }
        if norm == "-d" {
            for (name, value) in [
                ("daemonize", "false"),
                ("log_file", ""),
                ("log_to_stderr", "true"),
                ("err_to_stderr", "true"),
                ("log_to_syslog", "false"),
            ] {
                self.set_named(name, value, Level::Override)?;
            }
            return Ok(1);
        }
        // librados applies these with set_val, i.e. as overrides.
        for (names, option) in [
            (&["--monmap", "-M"][..], "monmap"),
            (&["--mon_host", "-m"][..], "mon_host"),
            (&["--keyring", "-k"][..], "keyring"),
        ] {
            if let Some((value, used)) = with_arg(norm, args, i, names)? {
                self.set_named(option, value, Level::Override)?;
                return Ok(used);
            }
        }
        if let Some((path, used)) = with_arg(norm, args, i, &["--keyfile", "-K"])? {
            // Upstream reads stdin for "-"; a library should not.
            if path != "-" {
                if let Ok(bytes) = keyring::read_all(path) {
                    self.set_named("key", &String::from_utf8_lossy(&bytes), Level::Override)?;
                }
            }
            return Ok(used);
        }
        self.parse_option(norm, args, i, level)
    }

    /// md_config_t::parse_option: `--default-<opt>`, `--<bool>[=v]`,
    /// `--no-<bool>`, `--<opt> v`, `--<opt>=v`.
    fn parse_option(&mut self, norm: &str, args: &[&str], i: usize, level: Level) -> Result<usize, Errno> {
        let Some(body) = norm.strip_prefix("--") else {
            return Ok(0);
        };
        let name = body.split_once('=').map_or(body, |(n, _)| n);
        if let Some(def) = name.strip_prefix("default_").and_then(options::find) {
            let (value, used) = with_arg(norm, args, i, &[&format!("--default_{}", def.name)])?.ok_or(Errno::EINVAL)?;
            self.set_at(def, value, Level::Default)?;
            return Ok(used);
        }
        if let Some(def) = options::find(name) {
            if def.kind == Kind::Bool {
                if let Some(v) = body.split_once('=').map(|(_, v)| v) {
                    let b = bool_word(v).ok_or(Errno::EINVAL)?;
                    self.set_at(def, if b { "true" } else { "false" }, level)?;
                    return Ok(1);
                }
                // A following true/false/1/0 belongs to the flag.
                let (b, used) = match args.get(i + 1).filter(|n| !n.starts_with('-')).and_then(|n| bool_word(n)) {
                    Some(b) => (b, 2),
                    None => (true, 1),
                };
                self.set_at(def, if b { "true" } else { "false" }, level)?;
                return Ok(used);
            }
            let (value, used) = with_arg(norm, args, i, &[&format!("--{}", def.name)])?.ok_or(Errno::EINVAL)?;
            self.set_at(def, value, level)?;
            return Ok(used);
        }
        if let Some(def) = body.strip_prefix("no_").and_then(options::find).filter(|d| d.kind == Kind::Bool) {
            self.set_at(def, "false", level)?;
            return Ok(1);
        }
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dashes_become_underscores_after_two_chars_until_equals() {
        assert_eq!(dashes_to_underscores("--rbd-cache-size=a-b"), "--rbd_cache_size=a-b");
        assert_eq!(dashes_to_underscores("-m"), "-m");
        assert_eq!(dashes_to_underscores("-"), "-");
        assert_eq!(dashes_to_underscores(""), "");
        assert_eq!(dashes_to_underscores("--no-rbd-cache"), "--no_rbd_cache");
    }
}
