//! Configuration from the environment, parsed and validated once per cold start.
//!
//! A missing or malformed variable fails the init with a message naming it, so a bad deploy
//! shows up as an init error in the logs and not as a wrong answer later.

use std::time::Duration;

use reqwest::Url;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration variable {variable}: {reason}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub reason: Reason,
}

/// Why a variable was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Reason {
    /// Missing, empty or malformed: the text says which.
    #[error("{0}")]
    Invalid(String),
    /// A Tarabut URL over plain http to another machine: the client secret and the users'
    /// bearer tokens would cross the network unencrypted.
    #[error(
        "must be an https URL unless its host is loopback (127.0.0.1, ::1, localhost); got host {host:?}"
    )]
    InsecureScheme { host: String },
}

impl From<String> for Reason {
    fn from(s: String) -> Reason {
        Reason::Invalid(s)
    }
}

impl From<&str> for Reason {
    fn from(s: &str) -> Reason {
        Reason::Invalid(s.to_string())
    }
}

/// Settings of the token manager (docs/token-protocol.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSettings {
    /// Refresh ahead once the remaining validity drops under this.
    pub refresh_buffer: Duration,
    /// Below this remaining validity a token is not served at all.
    pub min_validity: Duration,
    /// How long a refresh lease protects its holder; longer than the token call's timeout.
    pub lease: Duration,
}

/// The defaults, written once: the environment's variables override them.
impl Default for TokenSettings {
    fn default() -> Self {
        TokenSettings {
            refresh_buffer: Duration::from_secs(300),
            min_validity: Duration::from_secs(30),
            lease: Duration::from_secs(10),
        }
    }
}

#[derive(Debug, Clone)]
pub struct TarabutSettings {
    pub base_url: Url,
    pub token_url: Url,
    pub client_id: String,
    /// `TARABUT_SECRET_ARN`: the Secrets Manager secret holding `{"clientSecret": ...}`, set
    /// only on the functions that call Tarabut (and allowed to read it); read at init by
    /// `secrets::with_tarabut_secret`. Never the secret itself.
    pub secret_arn: Option<String>,
    /// Where Tarabut sends the browser back after consent (our callback route).
    pub redirect_url: Url,
    /// Per-request timeout of a Tarabut call.
    pub request_timeout: Duration,
}

/// Settings of `POST /finance/export` (docs/architecture.md §3.11). Only the export function
/// is given a bucket: the variable is optional here so the other functions need not carry it,
/// and the export use case refuses to run without one (`UseCaseError::NotConfigured`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportSettings {
    /// `EXPORT_BUCKET`: where export documents are written (`exports/<prefix>/<uuid>.json`).
    pub bucket: Option<String>,
    /// `EXPORT_URL_TTL_SECS`: how long the presigned download URL works.
    pub url_ttl: Duration,
}

/// Longest `EXPORT_URL_TTL_SECS`: the URL is a bearer credential for one user's whole banking
/// history, so it lives minutes, not the days S3 would allow.
pub const MAX_EXPORT_URL_TTL_SECS: u64 = 3600;

#[derive(Debug, Clone)]
pub struct Config {
    pub table_name: String,
    pub tarabut: TarabutSettings,
    /// The app page the callback redirects to, with `status` and `connectionId`.
    pub app_redirect_url: Url,
    pub token: TokenSettings,
    pub sync_concurrency: usize,
    /// Least time between two syncs one user triggers (per kind; zero: no limit).
    pub user_sync_interval: Duration,
    /// How long audit records are kept (TTL).
    pub audit_retention: Duration,
    /// How long transactions and balance snapshots are kept after their date (TTL, and
    /// ignored on read past it).
    pub retention: Duration,
    /// `CURSOR_KEY_SECRET_ARN`: the secret holding the key of the HMAC that authenticates the
    /// transaction list's page cursors; set only on that function, read at init by
    /// `secrets::with_cursor_key`.
    pub cursor_key_secret_arn: Option<String>,
    pub export: ExportSettings,
}

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads through `lookup` so tests can pass a map instead of mutating the process env.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let env = Env(&lookup);
        let defaults = TokenSettings::default();
        let token = TokenSettings {
            refresh_buffer: env.secs("TOKEN_REFRESH_BUFFER_SECS", defaults.refresh_buffer)?,
            min_validity: env.secs("TOKEN_MIN_VALIDITY_SECS", defaults.min_validity)?,
            lease: env.secs("TOKEN_LEASE_SECS", defaults.lease)?,
        };
        if token.min_validity >= token.refresh_buffer {
            return Err(ConfigError {
                variable: "TOKEN_MIN_VALIDITY_SECS",
                reason: "must be smaller than TOKEN_REFRESH_BUFFER_SECS".into(),
            });
        }
        // docs/token-protocol.md, "Timing budget".
        if token.min_validity <= token.lease {
            return Err(ConfigError {
                variable: "TOKEN_MIN_VALIDITY_SECS",
                reason: "must be longer than TOKEN_LEASE_SECS: a token handed out must outlive a request made with it, and a request is shorter than the lease".into(),
            });
        }
        if token.refresh_buffer < token.min_validity + token.lease {
            return Err(ConfigError {
                variable: "TOKEN_REFRESH_BUFFER_SECS",
                reason: "must be at least TOKEN_MIN_VALIDITY_SECS + TOKEN_LEASE_SECS, so a dead refresher's lease lapses while the current token is still served".into(),
            });
        }
        let request_timeout = env.millis("TARABUT_TIMEOUT_MS", 5_000)?;
        if request_timeout >= token.lease {
            return Err(ConfigError {
                variable: "TOKEN_LEASE_SECS",
                reason: "must be longer than TARABUT_TIMEOUT_MS, or a lease can expire while its holder still waits for the token call".into(),
            });
        }
        let sync_concurrency = env.number("SYNC_CONCURRENCY", 32)?;
        if sync_concurrency == 0 || sync_concurrency > 256 {
            return Err(ConfigError {
                variable: "SYNC_CONCURRENCY",
                reason: "must be between 1 and 256".into(),
            });
        }
        let user_sync_interval = env.number("USER_SYNC_MIN_INTERVAL_SECS", 60)?;
        if user_sync_interval > 3600 {
            return Err(ConfigError {
                variable: "USER_SYNC_MIN_INTERVAL_SECS",
                reason: "must be at most 3600 (0 turns the limit off)".into(),
            });
        }
        let retention_days = env.number("RETENTION_DAYS", 731)?;
        if !(400..=3653).contains(&retention_days) {
            return Err(ConfigError {
                variable: "RETENTION_DAYS",
                reason: "must be between 400 (the insights read 400 days back) and 3653 days"
                    .into(),
            });
        }
        let audit_days = env.number("AUDIT_RETENTION_DAYS", 1826)?;
        if !(30..=3653).contains(&audit_days) {
            return Err(ConfigError {
                variable: "AUDIT_RETENTION_DAYS",
                reason: "must be between 30 and 3653 days".into(),
            });
        }
        let export_url_ttl = env.secs("EXPORT_URL_TTL_SECS", Duration::from_secs(300))?;
        if export_url_ttl.as_secs() > MAX_EXPORT_URL_TTL_SECS {
            return Err(ConfigError {
                variable: "EXPORT_URL_TTL_SECS",
                reason: format!("must be at most {MAX_EXPORT_URL_TTL_SECS}").into(),
            });
        }
        let export = ExportSettings {
            bucket: env.optional("EXPORT_BUCKET")?,
            url_ttl: export_url_ttl,
        };
        // The secrets themselves never come from the environment (readable by anyone with
        // lambda:GetFunctionConfiguration): only where to read them.
        for variable in ["TARABUT_CLIENT_SECRET", "CURSOR_HMAC_KEY"] {
            if lookup(variable).is_some() {
                return Err(ConfigError {
                    variable,
                    reason: "is no longer read: put the value in Secrets Manager and set the secret's ARN (TARABUT_SECRET_ARN, CURSOR_KEY_SECRET_ARN)".into(),
                });
            }
        }
        Ok(Config {
            table_name: env.required("TABLE_NAME")?,
            tarabut: TarabutSettings {
                base_url: env.tarabut_url("TARABUT_BASE_URL")?,
                token_url: env.tarabut_url("TARABUT_TOKEN_URL")?,
                client_id: env.required("TARABUT_CLIENT_ID")?,
                secret_arn: env.optional("TARABUT_SECRET_ARN")?,
                redirect_url: env.url("TARABUT_REDIRECT_URL")?,
                request_timeout,
            },
            app_redirect_url: env.url("APP_REDIRECT_URL")?,
            token,
            sync_concurrency: sync_concurrency as usize,
            user_sync_interval: Duration::from_secs(user_sync_interval),
            audit_retention: Duration::from_secs(audit_days * 86_400),
            retention: Duration::from_secs(retention_days * 86_400),
            cursor_key_secret_arn: env.optional("CURSOR_KEY_SECRET_ARN")?,
            export,
        })
    }
}

struct Env<'a>(&'a dyn Fn(&str) -> Option<String>);

impl Env<'_> {
    fn required(&self, variable: &'static str) -> Result<String, ConfigError> {
        match (self.0)(variable) {
            Some(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
            Some(_) => Err(ConfigError {
                variable,
                reason: "is empty".into(),
            }),
            None => Err(ConfigError {
                variable,
                reason: "is not set".into(),
            }),
        }
    }

    /// A variable only some functions need: unset is `None`, set but empty is refused (a
    /// template typo should fail the init, not look like "unset").
    fn optional(&self, variable: &'static str) -> Result<Option<String>, ConfigError> {
        match (self.0)(variable) {
            None => Ok(None),
            Some(_) => self.required(variable).map(Some),
        }
    }

    fn url(&self, variable: &'static str) -> Result<Url, ConfigError> {
        let raw = self.required(variable)?;
        let url = Url::parse(&raw).map_err(|e| ConfigError {
            variable,
            reason: format!("is not a URL ({e})").into(),
        })?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(ConfigError {
                variable,
                reason: "must be an http(s) URL".into(),
            });
        }
        Ok(url)
    }

    /// A URL the client secret or a bearer token is sent to: https, or http to this machine
    /// only (the dev server's and the tests' sandbox on 127.0.0.1).
    fn tarabut_url(&self, variable: &'static str) -> Result<Url, ConfigError> {
        let url = self.url(variable)?;
        // The URL parser normalises IP hosts (an IPv6 one in brackets), so a name that merely
        // starts with "127.0.0.1" or "localhost" is a domain and does not pass.
        let host = url.host_str().unwrap_or_default();
        let loopback = host.eq_ignore_ascii_case("localhost")
            || host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if url.scheme() != "https" && !loopback {
            return Err(ConfigError {
                variable,
                reason: Reason::InsecureScheme {
                    host: url.host_str().unwrap_or_default().to_string(),
                },
            });
        }
        Ok(url)
    }

    fn number(&self, variable: &'static str, default: u64) -> Result<u64, ConfigError> {
        match (self.0)(variable) {
            None => Ok(default),
            Some(v) => v.trim().parse::<u64>().map_err(|_| ConfigError {
                variable,
                reason: format!("must be a non-negative integer, got {v:?}").into(),
            }),
        }
    }

    fn secs(&self, variable: &'static str, default: Duration) -> Result<Duration, ConfigError> {
        let n = self.number(variable, default.as_secs())?;
        if n == 0 {
            return Err(ConfigError {
                variable,
                reason: "must be at least 1".into(),
            });
        }
        Ok(Duration::from_secs(n))
    }

    fn millis(&self, variable: &'static str, default: u64) -> Result<Duration, ConfigError> {
        let n = self.number(variable, default)?;
        if n == 0 {
            return Err(ConfigError {
                variable,
                reason: "must be at least 1".into(),
            });
        }
        Ok(Duration::from_millis(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn base() -> HashMap<&'static str, String> {
        HashMap::from([
            ("TABLE_NAME", "finance".to_string()),
            (
                "TARABUT_BASE_URL",
                "https://api.sandbox.tarabutgateway.io".into(),
            ),
            (
                "TARABUT_TOKEN_URL",
                "https://oauth.tarabutgateway.io/sandbox/token".into(),
            ),
            ("TARABUT_CLIENT_ID", "client".into()),
            (
                "TARABUT_REDIRECT_URL",
                "https://api.example.com/tarabut/callback".into(),
            ),
            ("APP_REDIRECT_URL", "https://app.example.com/linked".into()),
        ])
    }

    fn load(vars: &HashMap<&'static str, String>) -> Result<Config, ConfigError> {
        Config::from_lookup(|k| vars.get(k).cloned())
    }

    #[test]
    fn defaults_apply() {
        let c = load(&base()).unwrap();
        assert_eq!(c.token, TokenSettings::default());
        assert_eq!(c.sync_concurrency, 32);
        assert_eq!(c.tarabut.secret_arn, None);
        assert_eq!(c.cursor_key_secret_arn, None);
    }

    #[test]
    fn the_secrets_come_by_arn_and_never_as_values() {
        let arn = "arn:aws:secretsmanager:me-central-1:123456789012:secret:tarabut-AbCdEf";
        let mut vars = base();
        vars.insert("TARABUT_SECRET_ARN", arn.into());
        vars.insert("CURSOR_KEY_SECRET_ARN", "finance-local/cursor-key".into());
        let c = load(&vars).unwrap();
        assert_eq!(c.tarabut.secret_arn.as_deref(), Some(arn));
        assert_eq!(
            c.cursor_key_secret_arn.as_deref(),
            Some("finance-local/cursor-key")
        );
        // An old deployment's value in the environment fails the init, naming the variable
        // (and never echoing the value).
        for variable in ["TARABUT_CLIENT_SECRET", "CURSOR_HMAC_KEY"] {
            let mut vars = base();
            vars.insert(variable, "s3cr3t-value-0123456789-0123456789".into());
            let err = load(&vars).unwrap_err();
            assert_eq!(err.variable, variable);
            assert!(!err.to_string().contains("s3cr3t"));
        }
        let mut vars = base();
        vars.insert("TARABUT_SECRET_ARN", " ".into());
        assert_eq!(load(&vars).unwrap_err().variable, "TARABUT_SECRET_ARN");
    }

    #[test]
    fn missing_variable_is_named() {
        for var in [
            "TABLE_NAME",
            "TARABUT_BASE_URL",
            "TARABUT_TOKEN_URL",
            "TARABUT_CLIENT_ID",
            "TARABUT_REDIRECT_URL",
            "APP_REDIRECT_URL",
        ] {
            let mut vars = base();
            vars.remove(var);
            let err = load(&vars).unwrap_err();
            assert_eq!(err.variable, var);
            assert!(err.to_string().contains(var));
        }
    }

    #[test]
    fn malformed_values_are_refused_by_name() {
        let cases = [
            ("TARABUT_BASE_URL", "not a url"),
            ("APP_REDIRECT_URL", "ftp://x"),
            ("TOKEN_REFRESH_BUFFER_SECS", "five"),
            ("TOKEN_LEASE_SECS", "0"),
            ("SYNC_CONCURRENCY", "-1"),
            ("SYNC_CONCURRENCY", "0"),
            ("TABLE_NAME", "  "),
        ];
        for (var, value) in cases {
            let mut vars = base();
            vars.insert(var, value.to_string());
            let err = load(&vars).unwrap_err();
            assert_eq!(err.variable, var, "{var}={value}");
        }
    }

    /// The client secret and bearer tokens travel to these URLs: plain http only to this
    /// machine (the dev server's and the tests' sandbox).
    #[test]
    fn tarabut_urls_need_https_unless_loopback() {
        for var in ["TARABUT_BASE_URL", "TARABUT_TOKEN_URL"] {
            for url in [
                "http://api.sandbox.tarabutgateway.io",
                "http://10.0.0.7:8600/oauth/token",
                "http://localhost.evil.example/token",
                "http://127.0.0.1.nip.io/token",
            ] {
                let mut vars = base();
                vars.insert(var, url.into());
                let err = load(&vars).unwrap_err();
                assert_eq!(err.variable, var, "{url}");
                assert!(
                    matches!(err.reason, Reason::InsecureScheme { .. }),
                    "{url}: {err}"
                );
            }
            for url in [
                "http://127.0.0.1:8600",
                "http://[::1]:8600/oauth/token",
                "http://localhost:8600",
                "https://api.tarabutgateway.io",
            ] {
                let mut vars = base();
                vars.insert(var, url.into());
                assert!(load(&vars).is_ok(), "{var}={url}");
            }
        }
    }

    #[test]
    fn the_export_bucket_is_optional_and_its_url_lives_minutes() {
        let c = load(&base()).unwrap();
        assert_eq!(
            c.export,
            ExportSettings {
                bucket: None,
                url_ttl: Duration::from_secs(300)
            }
        );
        let mut vars = base();
        vars.insert("EXPORT_BUCKET", "exports-123".into());
        vars.insert("EXPORT_URL_TTL_SECS", "600".into());
        let c = load(&vars).unwrap();
        assert_eq!(c.export.bucket.as_deref(), Some("exports-123"));
        assert_eq!(c.export.url_ttl, Duration::from_secs(600));
        for (var, value) in [
            ("EXPORT_BUCKET", " "),
            ("EXPORT_URL_TTL_SECS", "0"),
            ("EXPORT_URL_TTL_SECS", "3601"),
        ] {
            let mut vars = base();
            vars.insert(var, value.into());
            assert_eq!(load(&vars).unwrap_err().variable, var, "{var}={value}");
        }
    }

    #[test]
    fn inconsistent_token_settings_are_refused() {
        let mut vars = base();
        vars.insert("TOKEN_MIN_VALIDITY_SECS", "400".into());
        assert_eq!(load(&vars).unwrap_err().variable, "TOKEN_MIN_VALIDITY_SECS");
        let mut vars = base();
        vars.insert("TOKEN_LEASE_SECS", "2".into());
        vars.insert("TARABUT_TIMEOUT_MS", "5000".into());
        assert_eq!(load(&vars).unwrap_err().variable, "TOKEN_LEASE_SECS");
        // A lease as long as the minimum validity: refused, naming the minimum validity.
        let mut vars = base();
        vars.insert("TOKEN_LEASE_SECS", "30".into());
        assert_eq!(load(&vars).unwrap_err().variable, "TOKEN_MIN_VALIDITY_SECS");
        let mut vars = base();
        vars.insert("TOKEN_LEASE_SECS", "31".into());
        vars.insert("TOKEN_MIN_VALIDITY_SECS", "60".into());
        vars.insert("TOKEN_REFRESH_BUFFER_SECS", "90".into());
        assert_eq!(
            load(&vars).unwrap_err().variable,
            "TOKEN_REFRESH_BUFFER_SECS"
        );
        vars.insert("TOKEN_REFRESH_BUFFER_SECS", "91".into());
        assert!(load(&vars).is_ok());
    }
}
