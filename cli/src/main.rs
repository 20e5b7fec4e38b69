//! rbdrs: `rbd`'s everyday subcommands on the librbdrs client, for the
//! embedded store and for clusters.
//!
//! It takes rbd's command words, options and image specs, Ceph's global
//! options (`-c/--conf`, `--id`, `-n/--name`, `-k/--keyring`, `-m`,
//! `CEPH_ARGS`, any `--<ceph option> <value>`), and prints what rbd prints:
//! the same JSON keys, `rbd: ...: (2) No such file or directory` on error,
//! and the errno as the exit code.

mod args;
mod commands;
mod output;
mod spec;

use std::fmt;

use rbdrs_client::{Errno, Image, IoCtx, Rados};

use args::Args;
use output::Json;
use spec::{Spec, SpecDefaults};

/// Why a command failed: what it was doing, and the errno if any.
#[derive(Debug)]
pub struct Failure {
    what: String,
    errno: Option<Errno>,
}

impl Failure {
    /// A usage error (exit code EINVAL, as rbd's).
    pub fn usage(what: impl Into<String>) -> Failure {
        Failure { what: what.into(), errno: None }
    }

    fn exit_code(&self) -> i32 {
        self.errno.unwrap_or(Errno::EINVAL).0
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.errno {
            Some(e) => write!(f, "{}: ({}) {}", self.what, e.0, strerror(e)),
            None => f.write_str(&self.what),
        }
    }
}

/// strerror(3)'s text, as rbd prints it.
pub fn strerror(e: Errno) -> String {
    let text = std::io::Error::from_raw_os_error(e.0).to_string();
    match text.rfind(" (os error") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// Attaches what was being done to an errno.
pub trait Context<T> {
    fn or_fail(self, what: impl FnOnce() -> String) -> Result<T, Failure>;
}

impl<T> Context<T> for Result<T, Errno> {
    fn or_fail(self, what: impl FnOnce() -> String) -> Result<T, Failure> {
        self.map_err(|e| Failure { what: what(), errno: Some(e) })
    }
}

/// A file or stream error: its errno when the OS gave one.
impl<T> Context<T> for std::io::Result<T> {
    fn or_fail(self, what: impl FnOnce() -> String) -> Result<T, Failure> {
        self.map_err(|e| Failure { what: what(), errno: e.raw_os_error().map(Errno) })
    }
}

impl From<String> for Failure {
    fn from(what: String) -> Failure {
        Failure::usage(what)
    }
}

/// A command's view of the world: the connection and its arguments.
pub struct Ctx {
    rados: Rados,
    args: Args,
    /// Positional arguments after the command words.
    positional: Vec<String>,
    default_pool: String,
}

impl Ctx {
    pub fn args(&self) -> &Args {
        &self.args
    }

    pub fn positional(&self, i: usize) -> Option<&str> {
        self.positional.get(i).map(String::as_str)
    }

    pub fn rados(&self) -> &Rados {
        &self.rados
    }

    pub fn json(&self) -> Result<bool, Failure> {
        match self.args.value("format").unwrap_or("plain") {
            "plain" => Ok(false),
            "json" => Ok(true),
            other => Err(Failure::usage(format!("invalid output format '{other}' (json or plain)"))),
        }
    }

    /// Prints `value` as JSON when asked to; false when plain output is wanted.
    pub fn print_json(&self, value: impl FnOnce() -> Result<Json, Failure>) -> Result<bool, Failure> {
        if !self.json()? {
            return Ok(false);
        }
        println!("{}", value()?.render(self.args.flag("pretty-format")));
        Ok(true)
    }

    fn defaults(&self) -> SpecDefaults<'_> {
        SpecDefaults {
            pool: self.args.value("pool"),
            namespace: self.args.value("namespace"),
            image: self.args.value("image"),
            snap: self.args.value("snap"),
            default_pool: &self.default_pool,
        }
    }

    /// The image spec in positional argument `i`.
    pub fn spec(&self, i: usize) -> Result<Spec, Failure> {
        Ok(Spec::parse(self.positional(i), &self.defaults())?)
    }

    /// The destination spec (positional `i` or `--dest`), in `--dest-pool`
    /// when it names no pool.
    pub fn dest_spec(&self, i: usize) -> Result<Spec, Failure> {
        let mut defaults = self.defaults();
        defaults.image = self.args.value("dest");
        defaults.snap = None;
        defaults.pool = self.args.value("dest-pool").or(defaults.pool);
        defaults.namespace = self.args.value("dest-namespace").or(defaults.namespace);
        Ok(Spec::parse(self.positional(i), &defaults)?)
    }

    pub fn pool_name(&self) -> &str {
        self.args.value("pool").or(self.positional(0)).unwrap_or(&self.default_pool)
    }

    pub fn ioctx(&self, pool: &str, namespace: &str) -> Result<IoCtx, Failure> {
        let io = self.rados.ioctx(pool).or_fail(|| format!("error opening pool '{pool}'"))?;
        io.set_namespace(namespace);
        Ok(io)
    }

    pub fn open(&self, spec: &Spec, read_only: bool) -> Result<(IoCtx, Image), Failure> {
        let io = self.ioctx(&spec.pool, &spec.namespace)?;
        let image = Image::open(&io, &spec.image, spec.snap.as_deref(), read_only || spec.snap.is_some())
            .or_fail(|| format!("error opening image {spec}"))?;
        Ok((io, image))
    }

    pub fn progress(&self, what: &'static str) -> Progress {
        Progress { what, quiet: self.args.flag("no-progress"), last: None }
    }
}

/// rbd's progress lines on stderr: "Exporting image: 40% complete...".
pub struct Progress {
    what: &'static str,
    quiet: bool,
    last: Option<u64>,
}

impl Progress {
    pub fn update(&mut self, done: u64, total: u64) {
        let percent = done.saturating_mul(100).checked_div(total).unwrap_or(100);
        if self.quiet || self.last == Some(percent) {
            return;
        }
        self.last = Some(percent);
        eprint!("\r{}: {percent}% complete...", self.what);
    }

    pub fn finish(self) {
        if !self.quiet {
            eprintln!("\r{}: 100% complete...done.", self.what);
        }
    }

    pub fn fail(self) {
        if !self.quiet && self.last.is_some() {
            eprintln!("\r{}: {}% complete...failed.", self.what, self.last.unwrap_or(0));
        }
    }
}

fn usage() -> &'static str {
    "usage: rbdrs <command> ...\n\n\
     Commands (as rbd's):\n  \
     create, list (ls), info, resize, remove (rm), rename (mv), status, disk-usage (du), diff,\n  \
     export, import, bench, clone, children, flatten, lock list (lock ls), pool init,\n  \
     snap create (snap add), snap list (snap ls), snap remove (snap rm), snap purge,\n  \
     snap protect, snap unprotect, snap rollback (snap revert)\n\n\
     Options: -c/--conf, --cluster, --id, -n/--name, -k/--keyring, -m/--mon_host, -p/--pool,\n  \
     --namespace, --format json|plain, --pretty-format, --no-progress, and any Ceph option\n  \
     (--rbdrs_local_store <dir> picks the embedded store). CEPH_ARGS applies too.\n"
}

/// What must be known before the configuration exists: who we are, the
/// cluster's name and the file to read. Returns them and the other args.
#[derive(Default)]
struct Early {
    id: Option<String>,
    name: Option<String>,
    cluster: Option<String>,
    conf: Option<String>,
    rest: Vec<String>,
}

fn early(argv: Vec<String>) -> Result<Early, Failure> {
    let mut out = Early::default();
    let mut it = argv.into_iter();
    while let Some(arg) = it.next() {
        let (key, inline) = match arg.split_once('=') {
            Some((k, v)) if k.starts_with("--") => (k.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let slot = match key.as_str() {
            "--id" | "-i" | "--user" => &mut out.id,
            "--name" | "-n" => &mut out.name,
            "--cluster" => &mut out.cluster,
            "--conf" | "-c" => &mut out.conf,
            _ => {
                out.rest.push(arg);
                continue;
            }
        };
        let value = inline.or_else(|| it.next());
        *slot =
            Some(value.ok_or_else(|| Failure::usage(format!("the required argument for option '{key}' is missing")))?);
    }
    Ok(out)
}

fn run(argv: Vec<String>) -> Result<(), Failure> {
    let early = early(argv)?;
    let rados = match &early.name {
        Some(name) => Rados::with_name(early.cluster.as_deref(), name).or_fail(|| format!("invalid name '{name}'"))?,
        None => Rados::new(early.id.as_deref()),
    };
    // The file first (no file at all is fine: CEPH_ARGS or the command
    // line may say everything), then Ceph's options on the command line;
    // what they leave is rbd's.
    let (rest, default_pool) = {
        let mut config = rados.config().or_fail(|| "error reading the configuration".into())?;
        match config.read_file(early.conf.as_deref()) {
            Ok(()) => {}
            Err(Errno::ENOENT) if early.conf.is_none() => {}
            Err(e) => return Err(e).or_fail(|| "error reading the configuration file".into()),
        }
        let rest = config.parse_argv(&early.rest).or_fail(|| "error parsing the command line".into())?;
        (rest, config.get_str("rbd_default_pool").unwrap_or_else(|_| "rbd".into()))
    };
    let args = Args::parse(rest)?;
    if args.flag("help") || args.words.is_empty() {
        print!("{}", usage());
        return if args.flag("help") { Ok(()) } else { Err(Failure::usage("")) };
    }
    let (command, used) = commands::find(&args.words)
        .ok_or_else(|| Failure::usage(format!("unknown command '{}' (see 'rbdrs --help')", args.words.join(" "))))?;
    let positional = args.words[used..].to_vec();
    rados.connect().or_fail(|| "couldn't connect to the cluster".into())?;
    let ctx = Ctx { rados, args, positional, default_pool };
    command(&ctx)
}

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if let Err(failure) = run(argv) {
        if !failure.what.is_empty() {
            eprintln!("rbd: {failure}");
        }
        std::process::exit(failure.exit_code());
    }
}
