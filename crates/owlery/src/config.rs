//! Configuration, layered: built-in defaults → `owlery.toml` → `OWLERY_*` environment variables →
//! command-line flags; each layer overrides the one before.
//!
//! The file is `./owlery.toml` when it exists, or the one given with `--config FILE` (which must
//! exist). Its keys are the names of [`Config`]'s fields; an unknown key is an error, so that a
//! typo does not silently leave a default in place. Every bad value stops Owlery at start with a
//! message naming where the value came from (`OWLERY_BIND`, `--bind`, `bind in ./owlery.toml`)
//! and what is wrong with it. Values that can hold a password (`database_url`, `smtp_url`,
//! `secret_key`) are never echoed in messages, and `Debug` redacts them.
//!
//! What is not here: per-request settings (the web layer's), and anything stored in the database
//! (organisation settings, security policy), which people change in the UI.

use std::{
    collections::BTreeMap,
    fmt,
    net::SocketAddr,
    path::{Path, PathBuf},
};

use owlery_domain::user::Email;
use secrecy::{ExposeSecret, SecretString};

/// The name of the configuration file looked for in the current directory.
pub const FILE_NAME: &str = "owlery.toml";

/// Everything Owlery is configured with. Each field's doc says its key in `owlery.toml`, its
/// environment variable and flag, and its default.
pub struct Config {
    /// Where the HTTP server listens. `bind` / `OWLERY_BIND` / `--bind`; default
    /// `127.0.0.1:8080`. Use `0.0.0.0:8080` to listen on every interface (behind a proxy).
    pub bind: SocketAddr,
    /// Where the SQLite database (`owlery.db`) and the secret key file (`secret.key`) live.
    /// `data_dir` / `OWLERY_DATA_DIR` / `--data-dir`; default `./owlery-data`.
    pub data_dir: PathBuf,
    /// Which database. `database_url` / `OWLERY_DATABASE_URL` / `--database-url`: a
    /// `postgres://user:password@host:5432/owlery` URL for PostgreSQL (many nodes), or
    /// `sqlite://PATH`; default: SQLite at `<data_dir>/owlery.db`. Secret: it may hold a password.
    pub database: Database,
    /// The address people use to reach Owlery, for links in e-mails and printed links.
    /// `public_url` / `OWLERY_PUBLIC_URL` / `--public-url`; default `http://` + the bound address.
    /// Cookies are marked `Secure` when it is `https://`. Kept without a trailing slash.
    pub public_url: Option<String>,
    /// The SMTP relay for outgoing mail (password resets, invitations).
    /// `smtp_url` / `OWLERY_SMTP_URL`; default: none, and mail is off. `smtp://127.0.0.1:2525`
    /// (plain, for a relay on this machine), `smtp://user:pass@host:587?tls=required` (STARTTLS) or
    /// `smtps://user:pass@host:465`. Secret: it may hold a password.
    pub smtp_url: Option<SecretString>,
    /// The sender of outgoing mail. `mail_from` / `OWLERY_MAIL_FROM`; default
    /// `Owlery <owlery@localhost>` (set a real address your relay may send as).
    pub mail_from: String,
    /// How logs are written to stderr. `log_format` / `OWLERY_LOG_FORMAT` / `--log-format`:
    /// `human` (default) or `json` (one object per line). What is logged: `RUST_LOG`.
    pub log_format: LogFormat,
    /// Take the client address from `X-Forwarded-For`. `trust_forwarded_for` /
    /// `OWLERY_TRUST_FORWARDED_FOR`; default `false`. Only behind a reverse proxy that sets it:
    /// otherwise anyone can pick the address sign-in throttling and the audit log see.
    pub trust_forwarded_for: bool,
    /// Give networks that download media (Instagram, Threads, TikTok photos, Pinterest images)
    /// media addresses under `public_url` even when it is on this machine or a private network
    /// (`localhost`, 127.0.0.1, 10.x, 192.168.x …). `media_urls_allow_private` /
    /// `OWLERY_MEDIA_URLS_ALLOW_PRIVATE`; default `false`: such posts then fail before any call,
    /// saying to set `OWLERY_PUBLIC_URL` to an address reachable from the internet. For tests and
    /// development against local fixtures only: a real network cannot download from there. With it
    /// and no `public_url`, `serve` uses its own address.
    pub media_urls_allow_private: bool,
    /// Let people connect accounts on servers at private addresses: a Mastodon server, a Bluesky
    /// PDS (`service_url`) on loopback, a private network (10.x, 172.16–31.x, 192.168.x, fc00::/7),
    /// link-local (169.254.x, cloud metadata) or another reserved address, and over plain `http`.
    /// `allow_private_servers` / `OWLERY_ALLOW_PRIVATE_SERVERS`; default `false`: such addresses
    /// are refused (a typed-in server address must not make Owlery reach into its own network).
    /// Set it for a self-hosted fediverse on a LAN, or for tests against local servers.
    pub allow_private_servers: bool,
    /// The largest media upload, in MB (1–10000). `max_upload_mb` / `OWLERY_MAX_UPLOAD_MB`;
    /// default 100 (room for short videos). Images are further held to the media limits
    /// (100 megapixels, 16,384 pixels a side) whatever this says.
    pub max_upload_mb: u32,
    /// How many jobs a worker process runs at once (1–256): while one publish waits on a
    /// network, others go. `worker_concurrency` / `OWLERY_WORKER_CONCURRENCY`; default 8. Each
    /// job is claimed on its own, so any number is safe; more helps when network calls are slow
    /// and many posts share a minute, and costs database connections (SQLite: 8 in the pool;
    /// PostgreSQL: 16 per process).
    pub worker_concurrency: usize,
    /// How often each connected channel's inbox is read on networks that do not push (Bluesky,
    /// Mastodon), in seconds (5–3600). `inbox_poll_secs` / `OWLERY_INBOX_POLL_SECS`; default 60.
    /// A poll that finds more than one sweep's worth goes on at once; failures back off.
    pub inbox_poll_secs: u32,
    /// A simulated audience writing to simulated channels (comments, mentions and DMs in four
    /// languages, with bursts), for the demo, drills and load tests. `sandbox_traffic` /
    /// `OWLERY_SANDBOX_TRAFFIC`: `off`, `on` (per channel four messages an hour at the peak, a
    /// burst every few weeks), or `<messages per hour>[,<bursts per day>]`; default: on with `serve --demo`,
    /// off otherwise.
    pub sandbox_traffic: SandboxTraffic,
    /// The key-encryption key of the vault (it wraps the keys that seal second-factor secrets
    /// and channel credentials): 32 bytes, base64. `secret_key` / `OWLERY_SECRET_KEY`; default:
    /// read from `<data_dir>/secret.key`, created on first start. Every node of a multi-node
    /// installation needs the same key; `owlery admin rotate-key` changes it. Secret.
    pub secret_key: Option<SecretString>,
    /// How long a claimed job belongs to its worker, in seconds (10–3600): a worker that dies
    /// mid-job (a crash, `kill -9`, a lost machine) leaves it for others once this runs out.
    /// `job_lease_secs` / `OWLERY_JOB_LEASE_SECS`; default 300. Shorter means faster recovery;
    /// it must stay longer than the slowest job (a video upload).
    pub job_lease_secs: u32,
    /// Where `secret_key` was set (`OWLERY_SECRET_KEY`, or `secret_key in ./owlery.toml`), for
    /// telling people what to change after a key rotation.
    pub secret_key_origin: Option<String>,
    /// On a start with no users, create this person as the first owner (invited) and print a
    /// one-time setup link. `bootstrap_owner_email` / `OWLERY_BOOTSTRAP_OWNER_EMAIL`; default none.
    pub bootstrap_owner_email: Option<Email>,
    /// The file that was read, if any.
    pub file: Option<PathBuf>,
}

/// Which database to use.
pub enum Database {
    Sqlite { path: PathBuf },
    Postgres { url: SecretString },
}

impl Database {
    pub fn store_config(&self) -> owlery_store::DatabaseConfig {
        match self {
            Database::Sqlite { path } => {
                owlery_store::DatabaseConfig::Sqlite { path: path.clone() }
            }
            Database::Postgres { url } => owlery_store::DatabaseConfig::Postgres {
                url: url.expose_secret().to_owned(),
                max_connections: 16,
            },
        }
    }

    /// For people: the SQLite path, or the PostgreSQL host and database without credentials.
    pub fn describe(&self) -> String {
        match self {
            Database::Sqlite { path } => format!("SQLite at {}", path.display()),
            Database::Postgres { url } => match url::Url::parse(url.expose_secret()) {
                Ok(u) => format!(
                    "PostgreSQL at {}{}{}",
                    u.host_str().unwrap_or("localhost"),
                    u.port().map(|p| format!(":{p}")).unwrap_or_default(),
                    u.path()
                ),
                Err(_) => "PostgreSQL".to_owned(),
            },
        }
    }

    pub fn is_sqlite(&self) -> bool {
        matches!(self, Database::Sqlite { .. })
    }
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Database::Sqlite { path } => f.debug_struct("Sqlite").field("path", path).finish(),
            Database::Postgres { .. } => f.write_str("Postgres([redacted])"),
        }
    }
}

/// The default of `job_lease_secs`.
pub const DEFAULT_JOB_LEASE_SECS: u32 = 300;

/// The default of `max_upload_mb`.
pub const DEFAULT_MAX_UPLOAD_MB: u32 = 100;

/// Whether simulated channels hear from a simulated audience (see `Config::sandbox_traffic`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SandboxTraffic {
    /// Not configured: on for the demo, off otherwise.
    DemoOnly,
    Off,
    On(owlery_networks::sandbox::traffic::Profile),
}

impl SandboxTraffic {
    /// The audience's profile, for a server started with or without `--demo`.
    pub fn profile(self, demo: bool) -> Option<owlery_networks::sandbox::traffic::Profile> {
        match self {
            SandboxTraffic::DemoOnly => demo.then(Default::default),
            SandboxTraffic::Off => None,
            SandboxTraffic::On(p) => Some(p),
        }
    }
}

/// `off`, `on`, or `<messages per hour>[,<bursts per day>]` (0–100,000 and 0–100).
fn parse_sandbox_traffic(s: &str) -> Option<SandboxTraffic> {
    use owlery_networks::sandbox::traffic::Profile;
    let s = s.trim();
    match parse_bool(s) {
        Some(false) => return Some(SandboxTraffic::Off),
        Some(true) if !s.chars().all(|c| c.is_ascii_digit()) => {
            return Some(SandboxTraffic::On(Profile::default()));
        }
        _ => {}
    }
    let (rate, bursts) = match s.split_once(',') {
        Some((r, b)) => (r, Some(b)),
        None => (s, None),
    };
    let per_hour: f64 = rate
        .trim()
        .parse()
        .ok()
        .filter(|r: &f64| (0.0..=100_000.0).contains(r))?;
    let bursts_per_day = match bursts {
        Some(b) => b
            .trim()
            .parse()
            .ok()
            .filter(|b: &f64| (0.0..=100.0).contains(b))?,
        None => Profile::default().bursts_per_day,
    };
    Some(SandboxTraffic::On(Profile {
        per_hour,
        bursts_per_day,
    }))
}

/// The default of `inbox_poll_secs`.
pub const DEFAULT_INBOX_POLL_SECS: u32 = 60;
/// The default of `worker_concurrency`.
pub const DEFAULT_WORKER_CONCURRENCY: usize = 8;

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |s: &Option<SecretString>| s.as_ref().map(|_| "[redacted]");
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("data_dir", &self.data_dir)
            .field("database", &self.database)
            .field("public_url", &self.public_url)
            .field("smtp_url", &redacted(&self.smtp_url))
            .field("mail_from", &self.mail_from)
            .field("log_format", &self.log_format)
            .field("trust_forwarded_for", &self.trust_forwarded_for)
            .field("media_urls_allow_private", &self.media_urls_allow_private)
            .field("allow_private_servers", &self.allow_private_servers)
            .field("max_upload_mb", &self.max_upload_mb)
            .field("job_lease_secs", &self.job_lease_secs)
            .field("worker_concurrency", &self.worker_concurrency)
            .field("inbox_poll_secs", &self.inbox_poll_secs)
            .field("sandbox_traffic", &self.sandbox_traffic)
            .field("secret_key", &redacted(&self.secret_key))
            .field("secret_key_origin", &self.secret_key_origin)
            .field("bootstrap_owner_email", &self.bootstrap_owner_email)
            .field("file", &self.file)
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Readable lines, for a terminal.
    #[default]
    Human,
    /// One JSON object per line, for a log collector.
    Json,
}

impl Config {
    /// The public URL: the configured one, else `http://` + the address actually bound (a
    /// wildcard address becomes 127.0.0.1, which only works on this machine).
    pub fn public_url_for(&self, bound: SocketAddr) -> String {
        if let Some(u) = &self.public_url {
            return u.clone();
        }
        let ip = if bound.ip().is_unspecified() {
            std::net::IpAddr::from([127, 0, 0, 1])
        } else {
            bound.ip()
        };
        format!("http://{}", SocketAddr::new(ip, bound.port()))
    }

    pub fn key_file(&self) -> PathBuf {
        self.data_dir.join("secret.key")
    }
}

/// Values given on the command line; `None` when the flag was not used.
#[derive(Debug, Default, Clone)]
pub struct Flags {
    pub config: Option<PathBuf>,
    pub bind: Option<String>,
    pub data_dir: Option<String>,
    pub database_url: Option<String>,
    pub public_url: Option<String>,
    pub log_format: Option<LogFormat>,
}

/// Why the configuration cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A value is wrong: `origin` names where it came from.
    #[error("{origin}: {problem}")]
    Invalid { origin: String, problem: String },
    /// The file itself is wrong or unreadable.
    #[error("{path}: {problem}")]
    File { path: String, problem: String },
}

/// One configuration key and where it can be set.
struct Key {
    /// The key in `owlery.toml` (and the field of [`Config`]).
    name: &'static str,
    env: &'static str,
    flag: Option<&'static str>,
}

const KEYS: &[Key] = &[
    Key {
        name: "bind",
        env: "OWLERY_BIND",
        flag: Some("--bind"),
    },
    Key {
        name: "data_dir",
        env: "OWLERY_DATA_DIR",
        flag: Some("--data-dir"),
    },
    Key {
        name: "database_url",
        env: "OWLERY_DATABASE_URL",
        flag: Some("--database-url"),
    },
    Key {
        name: "public_url",
        env: "OWLERY_PUBLIC_URL",
        flag: Some("--public-url"),
    },
    Key {
        name: "smtp_url",
        env: "OWLERY_SMTP_URL",
        flag: None,
    },
    Key {
        name: "mail_from",
        env: "OWLERY_MAIL_FROM",
        flag: None,
    },
    Key {
        name: "log_format",
        env: "OWLERY_LOG_FORMAT",
        flag: Some("--log-format"),
    },
    Key {
        name: "trust_forwarded_for",
        env: "OWLERY_TRUST_FORWARDED_FOR",
        flag: None,
    },
    Key {
        name: "media_urls_allow_private",
        env: "OWLERY_MEDIA_URLS_ALLOW_PRIVATE",
        flag: None,
    },
    Key {
        name: "allow_private_servers",
        env: "OWLERY_ALLOW_PRIVATE_SERVERS",
        flag: None,
    },
    Key {
        name: "max_upload_mb",
        env: "OWLERY_MAX_UPLOAD_MB",
        flag: None,
    },
    Key {
        name: "job_lease_secs",
        env: "OWLERY_JOB_LEASE_SECS",
        flag: None,
    },
    Key {
        name: "worker_concurrency",
        env: "OWLERY_WORKER_CONCURRENCY",
        flag: None,
    },
    Key {
        name: "inbox_poll_secs",
        env: "OWLERY_INBOX_POLL_SECS",
        flag: None,
    },
    Key {
        name: "sandbox_traffic",
        env: "OWLERY_SANDBOX_TRAFFIC",
        flag: None,
    },
    Key {
        name: "secret_key",
        env: "OWLERY_SECRET_KEY",
        flag: None,
    },
    Key {
        name: "bootstrap_owner_email",
        env: "OWLERY_BOOTSTRAP_OWNER_EMAIL",
        flag: None,
    },
];

/// Where a value came from, for messages.
#[derive(Debug, Clone)]
enum Origin {
    File(PathBuf),
    Env(&'static str),
    Flag(&'static str),
}

struct Raw {
    value: String,
    origin: Origin,
}

impl Raw {
    fn origin_text(&self, key: &str) -> String {
        match &self.origin {
            Origin::File(p) => format!("{key} in {}", p.display()),
            Origin::Env(e) => (*e).to_owned(),
            Origin::Flag(f) => (*f).to_owned(),
        }
    }

    fn invalid(&self, key: &str, problem: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            origin: self.origin_text(key),
            problem: problem.into(),
        }
    }
}

/// Load from the real environment and current directory.
pub fn load(flags: &Flags) -> Result<Config, ConfigError> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    load_from(flags, &|k| std::env::var(k).ok(), &cwd)
}

/// Load with the environment and working directory given, so tests control both.
pub fn load_from(
    flags: &Flags,
    env: &dyn Fn(&str) -> Option<String>,
    cwd: &Path,
) -> Result<Config, ConfigError> {
    let mut raw: BTreeMap<&'static str, Raw> = BTreeMap::new();

    // 1. The file.
    let file = match &flags.config {
        Some(p) => {
            let p = if p.is_absolute() {
                p.clone()
            } else {
                cwd.join(p)
            };
            if !p.is_file() {
                return Err(ConfigError::File {
                    path: p.display().to_string(),
                    problem: "no such file (given with --config)".into(),
                });
            }
            Some(p)
        }
        None => Some(cwd.join(FILE_NAME)).filter(|p| p.is_file()),
    };
    if let Some(path) = &file {
        read_file(path, &mut raw)?;
    }

    // 2. The environment. An empty variable counts as unset, as shells make that easy to do
    // by accident (`OWLERY_SMTP_URL= owlery serve`).
    for key in KEYS {
        if let Some(v) = env(key.env).filter(|v| !v.trim().is_empty()) {
            raw.insert(
                key.name,
                Raw {
                    value: v,
                    origin: Origin::Env(key.env),
                },
            );
        }
    }

    // 3. Flags.
    let log_format = flags.log_format.map(|f| match f {
        LogFormat::Human => "human".to_owned(),
        LogFormat::Json => "json".to_owned(),
    });
    for (name, value) in [
        ("bind", &flags.bind),
        ("data_dir", &flags.data_dir),
        ("database_url", &flags.database_url),
        ("public_url", &flags.public_url),
        ("log_format", &log_format),
    ] {
        if let (Some(v), Some(key)) = (value, KEYS.iter().find(|k| k.name == name)) {
            raw.insert(
                key.name,
                Raw {
                    value: v.clone(),
                    origin: Origin::Flag(key.flag.unwrap_or(key.env)),
                },
            );
        }
    }

    // 4. Parse each value, naming its origin when it is wrong.
    let bind = match raw.get("bind") {
        None => SocketAddr::from(([127, 0, 0, 1], 8080)),
        Some(r) => r.value.trim().parse().map_err(|_| {
            r.invalid(
                "bind",
                format!("'{}' is not an address like 127.0.0.1:8080", r.value.trim()),
            )
        })?,
    };
    let data_dir = match raw.get("data_dir") {
        None => cwd.join("owlery-data"),
        Some(r) => {
            let p = PathBuf::from(r.value.trim());
            if p.as_os_str().is_empty() {
                return Err(r.invalid("data_dir", "is empty"));
            }
            let p = if p.is_absolute() { p } else { cwd.join(p) };
            if p.is_file() {
                return Err(r.invalid(
                    "data_dir",
                    format!("{} is a file, not a directory", p.display()),
                ));
            }
            p
        }
    };
    let database = match raw.get("database_url") {
        None => Database::Sqlite {
            path: data_dir.join("owlery.db"),
        },
        Some(r) => parse_database_url(r, cwd)?,
    };
    let public_url = raw.get("public_url").map(parse_public_url).transpose()?;
    let smtp_url = match raw.get("smtp_url") {
        None => None,
        Some(r) => {
            owlery_jobs::mail::check_smtp_url(r.value.trim()).map_err(|e| {
                r.invalid(
                    "smtp_url",
                    format!("{e} (the value is not shown: it may hold a password)"),
                )
            })?;
            Some(SecretString::from(r.value.trim().to_owned()))
        }
    };
    let mail_from = match raw.get("mail_from") {
        None => "Owlery <owlery@localhost>".to_owned(),
        Some(r) => {
            owlery_jobs::mail::parse_from(&r.value)
                .map_err(|e| r.invalid("mail_from", e.to_string()))?;
            r.value.trim().to_owned()
        }
    };
    let log_format = match raw.get("log_format") {
        None => LogFormat::Human,
        Some(r) => match r.value.trim().to_ascii_lowercase().as_str() {
            "human" | "text" => LogFormat::Human,
            "json" => LogFormat::Json,
            other => {
                return Err(r.invalid(
                    "log_format",
                    format!("'{other}' is not a log format; use human or json"),
                ));
            }
        },
    };
    let trust_forwarded_for = match raw.get("trust_forwarded_for") {
        None => false,
        Some(r) => parse_bool(&r.value).ok_or_else(|| {
            r.invalid(
                "trust_forwarded_for",
                format!("'{}' is not true or false", r.value.trim()),
            )
        })?,
    };
    let flag = |name: &'static str| -> Result<bool, ConfigError> {
        match raw.get(name) {
            None => Ok(false),
            Some(r) => parse_bool(&r.value).ok_or_else(|| {
                r.invalid(name, format!("'{}' is not true or false", r.value.trim()))
            }),
        }
    };
    let media_urls_allow_private = flag("media_urls_allow_private")?;
    let allow_private_servers = flag("allow_private_servers")?;
    let max_upload_mb = match raw.get("max_upload_mb") {
        None => DEFAULT_MAX_UPLOAD_MB,
        Some(r) => r
            .value
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=10_000).contains(n))
            .ok_or_else(|| {
                r.invalid(
                    "max_upload_mb",
                    format!("'{}' is not a number of MB from 1 to 10000", r.value.trim()),
                )
            })?,
    };
    let job_lease_secs = match raw.get("job_lease_secs") {
        None => DEFAULT_JOB_LEASE_SECS,
        Some(r) => r
            .value
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (10..=3600).contains(n))
            .ok_or_else(|| {
                r.invalid(
                    "job_lease_secs",
                    format!(
                        "'{}' is not a number of seconds from 10 to 3600",
                        r.value.trim()
                    ),
                )
            })?,
    };
    let worker_concurrency = match raw.get("worker_concurrency") {
        None => DEFAULT_WORKER_CONCURRENCY,
        Some(r) => r
            .value
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=256).contains(n))
            .ok_or_else(|| {
                r.invalid(
                    "worker_concurrency",
                    format!(
                        "'{}' is not a number of jobs at once from 1 to 256",
                        r.value.trim()
                    ),
                )
            })?,
    };
    let inbox_poll_secs = match raw.get("inbox_poll_secs") {
        None => DEFAULT_INBOX_POLL_SECS,
        Some(r) => r
            .value
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (5..=3600).contains(n))
            .ok_or_else(|| {
                r.invalid(
                    "inbox_poll_secs",
                    format!(
                        "'{}' is not a number of seconds from 5 to 3600",
                        r.value.trim()
                    ),
                )
            })?,
    };
    let sandbox_traffic = match raw.get("sandbox_traffic") {
        None => SandboxTraffic::DemoOnly,
        Some(r) => parse_sandbox_traffic(&r.value).ok_or_else(|| {
            r.invalid(
                "sandbox_traffic",
                format!(
                    "'{}' is not off, on, or <messages per hour>[,<bursts per day>] (0–100000, 0–100)",
                    r.value.trim()
                ),
            )
        })?,
    };
    let secret_key_origin = raw.get("secret_key").map(|r| r.origin_text("secret_key"));
    let secret_key = match raw.get("secret_key") {
        None => None,
        Some(r) => {
            owlery_store::vault::Kek::from_base64(&r.value).map_err(|e| {
                r.invalid(
                    "secret_key",
                    format!("{e}; make one with `head -c 32 /dev/urandom | base64`"),
                )
            })?;
            Some(SecretString::from(r.value.trim().to_owned()))
        }
    };
    let bootstrap_owner_email = raw
        .get("bootstrap_owner_email")
        .map(|r| Email::parse(&r.value).map_err(|e| r.invalid("bootstrap_owner_email", e.message)))
        .transpose()?;

    Ok(Config {
        bind,
        data_dir,
        database,
        public_url,
        smtp_url,
        mail_from,
        log_format,
        trust_forwarded_for,
        media_urls_allow_private,
        allow_private_servers,
        max_upload_mb,
        job_lease_secs,
        worker_concurrency,
        inbox_poll_secs,
        sandbox_traffic,
        secret_key,
        secret_key_origin,
        bootstrap_owner_email,
        file,
    })
}

fn read_file(path: &Path, raw: &mut BTreeMap<&'static str, Raw>) -> Result<(), ConfigError> {
    let file_err = |problem: String| ConfigError::File {
        path: path.display().to_string(),
        problem,
    };
    let text =
        std::fs::read_to_string(path).map_err(|e| file_err(format!("cannot read it: {e}")))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| file_err(format!("not valid TOML: {}", e.message())))?;
    let unknown: Vec<&str> = table
        .keys()
        .map(String::as_str)
        .filter(|k| !KEYS.iter().any(|key| key.name == *k))
        .collect();
    if !unknown.is_empty() {
        let known: Vec<&str> = KEYS.iter().map(|k| k.name).collect();
        return Err(file_err(format!(
            "unknown key{} {}; the keys are {}",
            if unknown.len() == 1 { "" } else { "s" },
            unknown.join(", "),
            known.join(", ")
        )));
    }
    for key in KEYS {
        let Some(value) = table.get(key.name) else {
            continue;
        };
        let value = match value {
            toml::Value::String(s) => s.clone(),
            toml::Value::Boolean(b) => b.to_string(),
            toml::Value::Integer(i) => i.to_string(),
            _ => {
                return Err(ConfigError::Invalid {
                    origin: format!("{} in {}", key.name, path.display()),
                    problem: "expected a string".into(),
                });
            }
        };
        raw.insert(
            key.name,
            Raw {
                value,
                origin: Origin::File(path.to_owned()),
            },
        );
    }
    Ok(())
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn parse_database_url(r: &Raw, cwd: &Path) -> Result<Database, ConfigError> {
    let v = r.value.trim();
    if let Some(path) = v
        .strip_prefix("sqlite://")
        .or_else(|| v.strip_prefix("sqlite:"))
    {
        let path = path.split('?').next().unwrap_or(path);
        if path.is_empty() {
            return Err(r.invalid("database_url", "sqlite:// needs a file path"));
        }
        let p = PathBuf::from(path);
        return Ok(Database::Sqlite {
            path: if p.is_absolute() { p } else { cwd.join(p) },
        });
    }
    let problem = "expected postgres://user:password@host:5432/database or sqlite://PATH \
                   (the value is not shown: it may hold a password); leave it unset for SQLite \
                   in the data directory";
    match url::Url::parse(v) {
        Ok(u) if matches!(u.scheme(), "postgres" | "postgresql") && u.host_str().is_some() => {
            Ok(Database::Postgres {
                url: SecretString::from(v.to_owned()),
            })
        }
        _ => Err(r.invalid("database_url", problem)),
    }
}

fn parse_public_url(r: &Raw) -> Result<String, ConfigError> {
    let v = r.value.trim();
    let bad = |why: &str| {
        r.invalid(
            "public_url",
            format!("'{v}' is not a URL like https://owlery.example.com ({why})"),
        )
    };
    let u = url::Url::parse(v).map_err(|e| bad(&e.to_string()))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(bad("it must start with http:// or https://"));
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err(bad("it names no host"));
    }
    if u.path() != "/" || u.query().is_some() || u.fragment().is_some() {
        return Err(bad(
            "Owlery is served at the root: no path, query or fragment",
        ));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(bad("no user or password in it"));
    }
    Ok(u.as_str().trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    struct Setup {
        dir: owlery_store::testing::TempDir,
        env: HashMap<&'static str, String>,
        flags: Flags,
    }

    impl Setup {
        fn new() -> Self {
            Setup {
                dir: owlery_store::testing::TempDir::new("owlery-config").unwrap(),
                env: HashMap::new(),
                flags: Flags::default(),
            }
        }

        fn file(self, text: &str) -> Self {
            std::fs::write(self.dir.0.join(FILE_NAME), text).unwrap();
            self
        }

        fn env(mut self, k: &'static str, v: &str) -> Self {
            self.env.insert(k, v.to_owned());
            self
        }

        fn load(&self) -> Result<Config, ConfigError> {
            load_from(&self.flags, &|k| self.env.get(k).cloned(), &self.dir.0)
        }

        fn err(&self) -> String {
            self.load().unwrap_err().to_string()
        }
    }

    #[test]
    fn defaults() {
        let s = Setup::new();
        let c = s.load().unwrap();
        assert_eq!(c.bind, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(c.data_dir, s.dir.0.join("owlery-data"));
        assert!(
            matches!(&c.database, Database::Sqlite { path } if *path == s.dir.0.join("owlery-data/owlery.db"))
        );
        assert_eq!(c.public_url, None);
        assert_eq!(
            c.public_url_for("0.0.0.0:9000".parse().unwrap()),
            "http://127.0.0.1:9000"
        );
        assert!(c.smtp_url.is_none());
        assert_eq!(c.mail_from, "Owlery <owlery@localhost>");
        assert_eq!(c.log_format, LogFormat::Human);
        assert!(!c.trust_forwarded_for);
        assert!(!c.media_urls_allow_private);
        assert!(!c.allow_private_servers);
        assert_eq!(c.max_upload_mb, DEFAULT_MAX_UPLOAD_MB);
        assert_eq!(c.worker_concurrency, DEFAULT_WORKER_CONCURRENCY);
        assert!(c.file.is_none());
    }

    #[test]
    fn the_simulated_audience_is_on_for_the_demo_unless_configured() {
        use owlery_networks::sandbox::traffic::Profile;
        let c = Setup::new().load().unwrap();
        assert_eq!(c.sandbox_traffic.profile(true), Some(Profile::default()));
        assert_eq!(c.sandbox_traffic.profile(false), None);
        let off = Setup::new()
            .env("OWLERY_SANDBOX_TRAFFIC", "off")
            .load()
            .unwrap();
        assert_eq!(off.sandbox_traffic.profile(true), None);
        let on = Setup::new()
            .file("sandbox_traffic = \"on\"\n")
            .load()
            .unwrap();
        assert_eq!(on.sandbox_traffic.profile(false), Some(Profile::default()));
        let busy = Setup::new()
            .env("OWLERY_SANDBOX_TRAFFIC", " 600, 2 ")
            .load()
            .unwrap();
        assert_eq!(
            busy.sandbox_traffic.profile(false),
            Some(Profile {
                per_hour: 600.0,
                bursts_per_day: 2.0
            })
        );
        let rate_only = Setup::new()
            .env("OWLERY_SANDBOX_TRAFFIC", "30")
            .load()
            .unwrap();
        assert_eq!(
            rate_only.sandbox_traffic.profile(false).map(|p| p.per_hour),
            Some(30.0)
        );
        for bad in ["lots", "-1", "600,", "1e9", "NaN"] {
            let e = Setup::new().env("OWLERY_SANDBOX_TRAFFIC", bad).err();
            assert!(e.starts_with("OWLERY_SANDBOX_TRAFFIC: '"), "{bad}: {e}");
        }
    }

    #[test]
    fn private_addresses_are_allowed_only_when_asked() {
        let c = Setup::new()
            .file("allow_private_servers = true\n")
            .env("OWLERY_MEDIA_URLS_ALLOW_PRIVATE", "yes")
            .load()
            .unwrap();
        assert!(c.media_urls_allow_private);
        assert!(c.allow_private_servers);
        let e = Setup::new()
            .env("OWLERY_ALLOW_PRIVATE_SERVERS", "maybe")
            .err();
        assert_eq!(
            e,
            "OWLERY_ALLOW_PRIVATE_SERVERS: 'maybe' is not true or false"
        );
    }

    #[test]
    fn layers_override_in_order_file_env_flags() {
        let mut s = Setup::new()
            .file(
                r#"
bind = "127.0.0.1:7000"
data_dir = "from-file"
public_url = "https://file.example.com/"
mail_from = "File <file@example.com>"
trust_forwarded_for = true
log_format = "json"
"#,
            )
            .env("OWLERY_BIND", "127.0.0.1:7001")
            .env("OWLERY_DATA_DIR", "from-env")
            .env("OWLERY_MAIL_FROM", "") // empty: as if unset
            .env("OWLERY_TRUST_FORWARDED_FOR", "no");
        let c = s.load().unwrap();
        assert_eq!(c.bind.port(), 7001, "env beats file");
        assert_eq!(c.data_dir, s.dir.0.join("from-env"));
        assert_eq!(c.public_url.as_deref(), Some("https://file.example.com"));
        assert_eq!(c.mail_from, "File <file@example.com>");
        assert!(!c.trust_forwarded_for);
        assert_eq!(c.log_format, LogFormat::Json);
        assert_eq!(c.file, Some(s.dir.0.join(FILE_NAME)));

        s.flags.bind = Some("127.0.0.1:7002".into());
        s.flags.data_dir = Some("/srv/owlery".into());
        s.flags.log_format = Some(LogFormat::Human);
        let c = s.load().unwrap();
        assert_eq!(c.bind.port(), 7002, "flags beat env");
        assert_eq!(c.data_dir, PathBuf::from("/srv/owlery"));
        assert!(
            matches!(&c.database, Database::Sqlite { path } if *path == Path::new("/srv/owlery/owlery.db"))
        );
        assert_eq!(c.log_format, LogFormat::Human);
    }

    #[test]
    fn errors_name_the_key_and_its_origin() {
        assert_eq!(
            Setup::new().env("OWLERY_BIND", "abc").err(),
            "OWLERY_BIND: 'abc' is not an address like 127.0.0.1:8080"
        );
        let mut s = Setup::new();
        s.flags.bind = Some("localhost".into());
        assert_eq!(
            s.err(),
            "--bind: 'localhost' is not an address like 127.0.0.1:8080"
        );
        let s = Setup::new().file("bind = \"nope\"\n");
        assert_eq!(
            s.err(),
            format!(
                "bind in {}: 'nope' is not an address like 127.0.0.1:8080",
                s.dir.0.join(FILE_NAME).display()
            )
        );
        assert!(
            Setup::new()
                .env("OWLERY_LOG_FORMAT", "xml")
                .err()
                .starts_with("OWLERY_LOG_FORMAT: 'xml' is not a log format")
        );
        assert!(
            Setup::new()
                .env("OWLERY_MAX_UPLOAD_MB", "0")
                .err()
                .starts_with("OWLERY_MAX_UPLOAD_MB:")
        );
        let s = Setup::new().env("OWLERY_MAX_UPLOAD_MB", "250");
        assert_eq!(s.load().unwrap().max_upload_mb, 250);
        for bad in ["0", "257", "many", "-1"] {
            assert_eq!(
                Setup::new().env("OWLERY_WORKER_CONCURRENCY", bad).err(),
                format!(
                    "OWLERY_WORKER_CONCURRENCY: '{bad}' is not a number of jobs at once from 1 to 256"
                )
            );
        }
        let s = Setup::new().env("OWLERY_WORKER_CONCURRENCY", " 32 ");
        assert_eq!(s.load().unwrap().worker_concurrency, 32);
        let s = Setup::new().file("worker_concurrency = 2\n");
        assert_eq!(s.load().unwrap().worker_concurrency, 2);
        assert!(
            Setup::new()
                .env("OWLERY_TRUST_FORWARDED_FOR", "maybe")
                .err()
                .starts_with("OWLERY_TRUST_FORWARDED_FOR:")
        );
        assert!(
            Setup::new()
                .env("OWLERY_PUBLIC_URL", "owlery.example.com")
                .err()
                .starts_with("OWLERY_PUBLIC_URL: 'owlery.example.com' is not a URL")
        );
        assert!(
            Setup::new()
                .env("OWLERY_PUBLIC_URL", "https://example.com/owlery")
                .err()
                .contains("no path")
        );
        assert!(
            Setup::new()
                .env("OWLERY_MAIL_FROM", "not an address")
                .err()
                .starts_with("OWLERY_MAIL_FROM:")
        );
        assert!(
            Setup::new()
                .env("OWLERY_BOOTSTRAP_OWNER_EMAIL", "boss")
                .err()
                .starts_with("OWLERY_BOOTSTRAP_OWNER_EMAIL:")
        );
        assert!(
            Setup::new()
                .file("bind = 8080\n")
                .err()
                .contains("'8080' is not an address")
        );
        assert!(
            Setup::new()
                .file("bind = [1, 2]\n")
                .err()
                .ends_with("expected a string")
        );
    }

    #[test]
    fn secrets_are_never_echoed() {
        let e = Setup::new()
            .env("OWLERY_DATABASE_URL", "mysql://root:hunter2@db/owlery")
            .err();
        assert!(
            e.starts_with("OWLERY_DATABASE_URL: expected postgres://"),
            "{e}"
        );
        assert!(!e.contains("hunter2"), "{e}");
        let e = Setup::new()
            .env("OWLERY_SMTP_URL", "imap://me:hunter2@mail.example.com")
            .err();
        assert!(e.starts_with("OWLERY_SMTP_URL:"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
        let e = Setup::new().env("OWLERY_SECRET_KEY", "hunter2").err();
        assert!(e.starts_with("OWLERY_SECRET_KEY:"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");

        let c = Setup::new()
            .env(
                "OWLERY_DATABASE_URL",
                "postgres://owlery:hunter2@db.internal:5432/owlery",
            )
            .env(
                "OWLERY_SMTP_URL",
                "smtp://me:hunter2@mail.example.com:587?tls=required",
            )
            .env(
                "OWLERY_SECRET_KEY",
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            )
            .load()
            .unwrap();
        assert_eq!(c.secret_key_origin.as_deref(), Some("OWLERY_SECRET_KEY"));
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("AAAAAAAA"), "{shown}");
        assert_eq!(
            c.database.describe(),
            "PostgreSQL at db.internal:5432/owlery"
        );
    }

    #[test]
    fn database_urls() {
        let s = Setup::new().env("OWLERY_DATABASE_URL", "sqlite://elsewhere/o.db");
        assert!(
            matches!(s.load().unwrap().database, Database::Sqlite { path } if path == s.dir.0.join("elsewhere/o.db"))
        );
        let s = Setup::new().env("OWLERY_DATABASE_URL", "postgresql://db/owlery");
        assert!(matches!(
            s.load().unwrap().database,
            Database::Postgres { .. }
        ));
    }

    #[test]
    fn the_file_is_strict() {
        let s = Setup::new().file("bind = \"127.0.0.1:1\"\nbnd = \"x\"\nsmtp = \"y\"\n");
        let e = s.err();
        assert!(
            e.contains("unknown keys bnd, smtp; the keys are bind, data_dir"),
            "{e}"
        );
        assert!(
            Setup::new()
                .file("bind = ")
                .err()
                .contains("not valid TOML")
        );

        let mut s = Setup::new();
        s.flags.config = Some("missing.toml".into());
        assert!(s.err().contains("missing.toml: no such file"));

        // --config replaces ./owlery.toml.
        let mut s = Setup::new().file("bind = \"bad\"\n");
        std::fs::write(s.dir.0.join("other.toml"), "bind = \"127.0.0.1:9999\"\n").unwrap();
        s.flags.config = Some("other.toml".into());
        assert_eq!(s.load().unwrap().bind.port(), 9999);
    }
}
