//! The demo's command line and environment, and the session manager they
//! describe: in memory by default, DynamoDB when a table or an endpoint is
//! named.
#![allow(dead_code)]

use std::error::Error;
use std::time::Duration;

#[cfg(feature = "aws-sdk")]
use dynamodb_sessions::dynamodb::AwsSdkBackend;
use dynamodb_sessions::dynamodb::{
    Client as DynamoDbClient, DynamoDbBackendBuilderOn, DynamoDbBackendOn, ENDPOINT_ENV_DYNAMODB,
};
#[cfg(feature = "dynamodb")]
use dynamodb_sessions::DynamoDbBackend;
use dynamodb_sessions::{http::TrustForwardedProto, MemoryBackend};
use dynamodb_sessions::{
    store::{Backend, Consistency, StorageKey},
    SameSite, Secure, SessionConfig, SessionManager,
};

use dynamodb_sessions::store::Token;
use dynamodb_sessions::users::{UserSecret, UserSettings};

use super::inspect::Recording;

/// Environment variable naming the DynamoDB table.
pub const TABLE_ENV: &str = "DEMO_TABLE";

/// Environment variable naming the DynamoDB client (`rusoto` or `aws-sdk`).
pub const CLIENT_ENV: &str = "DEMO_DYNAMODB_CLIENT";

/// Environment variable holding the secret for users' sessions (32 or more
/// bytes of text). Without it each run draws one, so that sessions logged
/// in before a restart come back logged out.
pub const USER_SECRET_ENV: &str = "DEMO_USER_SECRET";

/// The table used when only an endpoint selects DynamoDB.
pub const DEFAULT_TABLE: &str = "dynamodb-sessions-demo";

/// The help text.
pub const USAGE: &str = "\
Usage: demo [OPTIONS]

A visit counter with login, logout, flash messages and a CSRF-protected form,
on dynamodb-sessions. Serves http://127.0.0.1:PORT until Ctrl-C.

Options:
  --port PORT              port on 127.0.0.1 (default 8080; 0 = any free port)
  --table NAME             keep sessions in this DynamoDB table (env DEMO_TABLE)
  --endpoint URL           DynamoDB endpoint, e.g. http://127.0.0.1:8000 for
                           DynamoDB Local (env AWS_ENDPOINT_URL_DYNAMODB)
  --region REGION          AWS region (default: AWS_REGION, the profile, us-east-1)
  --client CLIENT          the DynamoDB client: rusoto (default; DynamoDbBackend)
                           or aws-sdk (AwsSdkBackend) (env DEMO_DYNAMODB_CLIENT)
  --create-table           create the table (and its TTL) if it is missing
  --trust-forwarded-proto  honour X-Forwarded-Proto: https (only behind a proxy)
  --secure                 always set the cookie's Secure flag
  --max-age SECONDS        give the cookie a Max-Age (default: browser session)
  --same-site VALUE        the cookie's SameSite: strict (default), lax, none,
                           or omit (no attribute)
  --cookie-name NAME       the cookie's name (default session_id); a __Host-
                           or __Secure- name needs --secure
  --reissue-time SECONDS   renew an unchanged session this long after its last
                           write (default 120; 0 = on every request)
  -h, --help               show this help

Without --table, --endpoint or those variables, sessions live in memory.
Logins attach the user to the session; /sessions lists a user's sessions and
ends them. Their secret comes from DEMO_USER_SECRET (32+ characters), or is
drawn anew on each start (logins then end with the process).
With an endpoint and no AWS_ACCESS_KEY_ID, requests are signed with dummy
credentials, which DynamoDB Local accepts.
";

/// Which DynamoDB client carries the requests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Client {
    /// `DynamoDbBackend`, on rusoto.
    #[default]
    Rusoto,
    /// `AwsSdkBackend`, on the official AWS SDK for Rust.
    AwsSdk,
}

impl Client {
    fn parse(text: &str) -> Result<Client, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "rusoto" => Ok(Client::Rusoto),
            "aws-sdk" | "sdk" => Ok(Client::AwsSdk),
            _ => Err(format!("--client: not rusoto or aws-sdk: {text}")),
        }
    }
}

/// What the command line and the environment ask for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Port on 127.0.0.1; 0 for any free one.
    pub port: u16,
    /// DynamoDB table; `None` with no endpoint either means memory.
    pub table: Option<String>,
    /// DynamoDB endpoint (`--endpoint` or `AWS_ENDPOINT_URL_DYNAMODB`).
    pub endpoint: Option<String>,
    /// AWS region name.
    pub region: Option<String>,
    /// The DynamoDB client.
    pub client: Client,
    /// Whether to create the table if it is missing.
    pub create_table: bool,
    /// Whether to honour `X-Forwarded-Proto`.
    pub trust_forwarded_proto: bool,
    /// Whether to force the cookie's `Secure` flag.
    pub secure: bool,
    /// The cookie's `Max-Age` in seconds.
    pub max_age: Option<u64>,
    /// The cookie's `SameSite`, when not the library's default.
    pub same_site: Option<Option<SameSite>>,
    /// The cookie's name, when not the library's default.
    pub cookie_name: Option<String>,
    /// The reissue time in seconds, when not the library's default.
    pub reissue_time: Option<u64>,
    /// The secret for users' sessions (`DEMO_USER_SECRET`); `None` draws
    /// one.
    pub user_secret: Option<String>,
    /// Whether `--help` was given.
    pub help: bool,
    /// Whether the access key must be a dummy one (an endpoint and no key).
    dummy_credentials: bool,
}

impl Options {
    /// Options from this process's arguments and environment.
    pub fn from_env() -> Result<Options, String> {
        Options::parse(std::env::args().skip(1), |name| std::env::var(name).ok())
    }

    /// Options from `args` (without the program name) and the variables
    /// `env` knows; flags win over variables.
    pub fn parse(
        args: impl IntoIterator<Item = String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Options, String> {
        let env = |name: &str| env(name).filter(|value| !value.trim().is_empty());
        let mut options = Options {
            port: 8080,
            table: env(TABLE_ENV),
            endpoint: env(ENDPOINT_ENV_DYNAMODB),
            client: env(CLIENT_ENV)
                .map(|text| Client::parse(&text))
                .transpose()?
                .unwrap_or_default(),
            user_secret: env(USER_SECRET_ENV),
            ..Options::default()
        };
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => {
                    (flag.to_owned(), Some(value.to_owned()))
                }
                _ => (arg.clone(), None),
            };
            let mut value = || {
                inline
                    .clone()
                    .or_else(|| args.next())
                    .ok_or_else(|| format!("{flag} needs a value"))
            };
            match flag.as_str() {
                "--port" => {
                    let text = value()?;
                    options.port = text
                        .parse()
                        .map_err(|_| format!("--port: not a port: {text}"))?;
                }
                "--table" => options.table = Some(value()?),
                "--endpoint" => options.endpoint = Some(value()?),
                "--region" => options.region = Some(value()?),
                "--client" => options.client = Client::parse(&value()?)?,
                "--max-age" => {
                    let text = value()?;
                    let seconds = text
                        .parse()
                        .map_err(|_| format!("--max-age: not a number of seconds: {text}"))?;
                    options.max_age = Some(seconds);
                }
                "--same-site" => {
                    let text = value()?;
                    options.same_site = Some(match text.to_ascii_lowercase().as_str() {
                        "strict" => Some(SameSite::Strict),
                        "lax" => Some(SameSite::Lax),
                        "none" => Some(SameSite::None),
                        "omit" => None,
                        _ => {
                            return Err(format!(
                                "--same-site: not strict, lax, none or omit: {text}"
                            ))
                        }
                    });
                }
                "--cookie-name" => options.cookie_name = Some(value()?),
                "--reissue-time" => {
                    let text = value()?;
                    let seconds = text
                        .parse()
                        .map_err(|_| format!("--reissue-time: not a number of seconds: {text}"))?;
                    options.reissue_time = Some(seconds);
                }
                "--create-table" => options.create_table = true,
                "--trust-forwarded-proto" => options.trust_forwarded_proto = true,
                "--secure" => options.secure = true,
                "-h" | "--help" => options.help = true,
                other => return Err(format!("unknown argument {other:?}; try --help")),
            }
        }
        if options.create_table && options.table.is_none() && options.endpoint.is_none() {
            options.table = Some(DEFAULT_TABLE.to_owned());
        }
        options.dummy_credentials =
            options.endpoint.is_some() && env("AWS_ACCESS_KEY_ID").is_none();
        Ok(options)
    }

    /// Whether sessions go to DynamoDB.
    pub fn uses_dynamodb(&self) -> bool {
        self.table.is_some() || self.endpoint.is_some()
    }

    /// The DynamoDB table, when sessions go there.
    pub fn table_name(&self) -> Option<&str> {
        self.uses_dynamodb()
            .then(|| self.table.as_deref().unwrap_or(DEFAULT_TABLE))
    }

    /// The `X-Forwarded-Proto` setting.
    pub fn trust(&self) -> TrustForwardedProto {
        if self.trust_forwarded_proto {
            TrustForwardedProto::Yes
        } else {
            TrustForwardedProto::No
        }
    }

    /// The session settings: the library's defaults, changed by the cookie
    /// and reissue flags.
    pub fn session_config(&self) -> Result<SessionConfig, Box<dyn Error>> {
        let mut builder = SessionConfig::builder()
            .secure(if self.secure {
                Secure::Always
            } else {
                Secure::FollowRequest
            })
            .max_age(self.max_age.map(Duration::from_secs));
        if let Some(same_site) = self.same_site {
            builder = builder.same_site(same_site);
        }
        if let Some(name) = &self.cookie_name {
            builder = builder.cookie_name(name.clone());
        }
        if let Some(seconds) = self.reissue_time {
            builder = builder.reissue_time(Duration::from_secs(seconds));
        }
        Ok(builder.build()?)
    }

    /// The session manager these options describe, with a line saying where
    /// the sessions live. For DynamoDB this creates the table if asked to,
    /// then reads one item to fail early when the table cannot be reached.
    /// The backend is wrapped in [`Recording`], so that each page can show
    /// the store calls made for it.
    pub fn manager(&self) -> Result<(SessionManager, String), Box<dyn Error>> {
        let config = self.session_config()?;
        let Some(table) = self.table_name() else {
            let backend = Recording::new(MemoryBackend::new(), "MemoryBackend");
            let manager = SessionManager::with_users(backend, config, self.users()?);
            return Ok((manager, "sessions in memory".to_owned()));
        };
        // Each client only where its feature is on, so that the demo also
        // builds with one (for BENCHMARKS.md's binary sizes).
        match self.client {
            #[cfg(feature = "dynamodb")]
            Client::Rusoto => {
                let backend = configured(self, DynamoDbBackend::builder(table)).build()?;
                self.open(backend, "DynamoDbBackend", table, config)
            }
            #[cfg(feature = "aws-sdk")]
            Client::AwsSdk => {
                let backend = configured(self, AwsSdkBackend::builder(table)).build()?;
                self.open(backend, "AwsSdkBackend", table, config)
            }
            #[allow(unreachable_patterns)]
            other => Err(format!("this demo was built without the {other:?} client").into()),
        }
    }

    /// Users' sessions under the secret from `DEMO_USER_SECRET`, or under
    /// one drawn for this run.
    fn users(&self) -> Result<UserSettings, Box<dyn Error>> {
        let secret = match &self.user_secret {
            Some(text) => UserSecret::from_bytes(text.as_bytes())
                .map_err(|error| format!("{USER_SECRET_ENV}: {error}"))?,
            // A fresh token is 256 random bits, as text.
            None => UserSecret::from_bytes(Token::generate()?.as_str().as_bytes())?,
        };
        Ok(UserSettings::new(secret))
    }

    /// The manager on a DynamoDB `backend` (shown as `name`): the table
    /// created if asked, then one item read to fail early.
    fn open<C: DynamoDbClient>(
        &self,
        backend: DynamoDbBackendOn<C>,
        name: &str,
        table: &str,
        config: SessionConfig,
    ) -> Result<(SessionManager, String), Box<dyn Error>> {
        if self.create_table {
            backend.create_table_if_missing()?;
        }
        let _probe = backend
            .load(&StorageKey::from_bytes([0; 32]), Consistency::Eventual)
            .map_err(|error| {
                format!(
                    "cannot read DynamoDB table {table:?} (run with --create-table to create it): {}",
                    super::app::error_chain(&error)
                )
            })?;
        let at = match &self.endpoint {
            Some(endpoint) => format!(" at {endpoint}"),
            None => String::new(),
        };
        let label = format!("{name}, table {table}{at}");
        let backend = Recording::new(backend, &label);
        let manager = SessionManager::with_users(backend, config, self.users()?);
        Ok((manager, format!("sessions in DynamoDB table {table}{at}")))
    }
}

/// `builder` (of either client) with the endpoint, region and dummy
/// credentials `options` ask for.
fn configured<C: DynamoDbClient>(
    options: &Options,
    mut builder: DynamoDbBackendBuilderOn<C>,
) -> DynamoDbBackendBuilderOn<C> {
    if let Some(endpoint) = &options.endpoint {
        builder = builder.endpoint(endpoint.clone());
    }
    if let Some(region) = &options.region {
        builder = builder.region(region.clone());
    }
    if options.dummy_credentials {
        builder = builder.static_credentials("demo", "demo");
    }
    builder
}
