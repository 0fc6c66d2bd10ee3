//! Layered configuration: built-in defaults, then an optional TOML file (`VIGIE_CONFIG`, or
//! `vigie.toml` when present), then the environment (`VIGIE_*`, nested keys with `__`, and
//! `DATABASE_URL`). Unknown keys are refused so a typo never goes unnoticed.

use std::{net::SocketAddr, path::PathBuf};

use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use url::Url;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Address the server listens on.
    pub listen: SocketAddr,
    /// The address users open; its origin is the WebAuthn origin. Port 0 follows `listen`.
    pub public_url: Url,
    /// `sqlite://path?mode=rwc` (default) or `postgres://…`.
    #[serde(serialize_with = "serialize_secret")]
    pub database_url: SecretString,
    /// Connections this instance's pool may open (0: 8 on SQLite, 16 on PostgreSQL). With
    /// several instances on one PostgreSQL server, split the server's budget between them.
    pub database_connections: u32,
    /// Built SPA served beside the API.
    pub dist_dir: PathBuf,
    /// Largest request body accepted, in bytes.
    pub body_limit_bytes: usize,
    /// Log filter (`tracing` syntax).
    pub log: String,
    pub session: SessionSettings,
    pub password: PasswordSettings,
    pub mail: crate::mail::MailSettings,
    /// Web Push to the approver phones.
    pub push: crate::push::PushSettings,
    /// The keys that seal secrets at rest (outside the database).
    pub vault: crate::vault::VaultSettings,
    /// Push requests one IP address may make in 10 minutes, across identities (a vaccination
    /// hall shares one address: size it to the hall).
    pub push_requests_per_ip_per_10_min: u64,
    /// Activations of the approver app one IP address may ask for in an hour, across
    /// identities: each sends a mail and an SMS to whoever the identifier names.
    pub activations_per_ip_per_hour: i32,
    /// Structure-account password sign-ins one IP address may try in an hour, whatever account
    /// each names (right or wrong password): caps password spraying across accounts.
    pub account_sign_ins_per_ip_per_hour: i32,
    /// Certificate checks (`POST /api/certificates/verify`, no sign-in) one IP address may make
    /// in an hour.
    pub certificate_checks_per_ip_per_hour: i32,
    /// Patient look-ups by NIR and searches by name and birth date one person may make in an
    /// hour, together (past it: 429 and an incident).
    pub patient_lookups_per_hour: i32,
    /// Entries one offline permit allows (a day's round of home visits).
    pub offline_permit_entries: i32,
    /// How long an offline permit lasts, never past its session's absolute limit.
    pub offline_permit_hours: i64,
    /// Live event streams one client address may hold open on one instance (a hall's tablets
    /// and phones share one address).
    pub streams_per_address: usize,
    /// Reverse proxies (CIDR networks) whose `Forwarded` / `X-Forwarded-For` say who the client
    /// is. Empty (the default): the socket's peer is the client, headers are ignored.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The header those proxies write. Only it is read: a proxy passes any other header through
    /// untouched, so a client could write that one itself.
    pub forwarded_header: ForwardedHeader,
    /// Lets tests move the server clock (the test-only routes of a `testing` build). Never on in
    /// production.
    pub testing: bool,
}

/// Which header the trusted proxies set to name the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For` (nginx's `$proxy_add_x_forwarded_for`, most load balancers).
    #[default]
    #[serde(rename = "x-forwarded-for")]
    XForwardedFor,
    /// `Forwarded` (RFC 7239).
    #[serde(rename = "forwarded")]
    Forwarded,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionSettings {
    pub idle_minutes: i64,
    pub absolute_minutes: i64,
}

/// Structure password accounts (amelipro rules; see the README on how they depart from ASVS).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordSettings {
    pub min_length: usize,
    /// A password older than this must be replaced at the next sign-in.
    pub max_age_days: i64,
    /// How many earlier passwords may not be chosen again.
    pub history: usize,
    /// Failed sign-ins in a row that lock the account for `lock_minutes`.
    pub lock_after_failures: i32,
    pub lock_minutes: i64,
}

fn serialize_secret<S: serde::Serializer>(_: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str("")
}

pub fn serialize_secret_opt<S: serde::Serializer>(
    _: &Option<SecretString>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_none()
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: Url::parse("http://localhost:8080").expect("static url"),
            database_url: SecretString::from("sqlite://vigie.db?mode=rwc"),
            database_connections: 0,
            dist_dir: PathBuf::from("dist"),
            body_limit_bytes: 64 * 1024,
            log: "info,sqlx=warn,sea_orm=warn".into(),
            mail: crate::mail::MailSettings::default(),
            push: crate::push::PushSettings::default(),
            vault: crate::vault::VaultSettings::default(),
            push_requests_per_ip_per_10_min: 60,
            activations_per_ip_per_hour: 30,
            account_sign_ins_per_ip_per_hour: 30,
            certificate_checks_per_ip_per_hour: 600,
            streams_per_address: 256,
            patient_lookups_per_hour: 120,
            offline_permit_entries: 50,
            offline_permit_hours: 12,
            trusted_proxies: Vec::new(),
            forwarded_header: ForwardedHeader::XForwardedFor,
            session: SessionSettings {
                idle_minutes: 60,
                absolute_minutes: 240,
            },
            password: PasswordSettings {
                min_length: 12,
                max_age_days: 183,
                history: 12,
                lock_after_failures: 5,
                lock_minutes: 15,
            },
            testing: false,
        }
    }
}

impl Settings {
    /// Reads defaults, file, then environment.
    pub fn load() -> Result<Self, figment::Error> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        // The secret serialises empty; put the real default back before the layers apply.
        // (A plain tuple would be a *global* value that no later layer can override.)
        figment = figment.merge(Serialized::default(
            "database_url",
            "sqlite://vigie.db?mode=rwc",
        ));
        let file = std::env::var("VIGIE_CONFIG").unwrap_or_else(|_| "vigie.toml".into());
        figment = figment
            .merge(Toml::file(file))
            .merge(Env::prefixed("VIGIE_").split("__").ignore(&["config"]));
        let mut settings: Settings = figment.extract()?;
        // The conventional variable wins, so hosting platforms can set it as they always do.
        if let Ok(url) = std::env::var("DATABASE_URL") {
            settings.database_url = SecretString::from(url);
        }
        settings.validate().map_err(figment::Error::from)?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), String> {
        if self.session.idle_minutes <= 0
            || self.session.absolute_minutes < self.session.idle_minutes
        {
            return Err("session: idle_minutes must be > 0 and ≤ absolute_minutes".into());
        }
        if self.password.min_length < 8 || self.password.max_age_days <= 0 {
            return Err("password: min_length must be ≥ 8 and max_age_days > 0".into());
        }
        if !(1..=1000).contains(&self.offline_permit_entries)
            || !(1..=72).contains(&self.offline_permit_hours)
        {
            return Err(
                "offline_permit_entries must be 1..=1000 and offline_permit_hours 1..=72".into(),
            );
        }
        if self.public_url.host_str().is_none() {
            return Err("public_url must have a host".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_url_follows_the_environment() {
        figment::Jail::expect_with(|jail| {
            use secrecy::ExposeSecret;
            jail.clear_env();
            assert_eq!(
                Settings::load()
                    .expect("defaults")
                    .database_url
                    .expose_secret(),
                "sqlite://vigie.db?mode=rwc"
            );
            jail.set_env("VIGIE_DATABASE_URL", "sqlite:///tmp/other.db?mode=rwc");
            assert_eq!(
                Settings::load().expect("env").database_url.expose_secret(),
                "sqlite:///tmp/other.db?mode=rwc"
            );
            Ok(())
        });
    }

    #[test]
    fn the_forwarded_header_is_one_of_the_two() {
        figment::Jail::expect_with(|jail| {
            jail.clear_env();
            let header = || Settings::load().map(|s| s.forwarded_header);
            assert_eq!(header().expect("default"), ForwardedHeader::XForwardedFor);
            jail.set_env("VIGIE_FORWARDED_HEADER", "forwarded");
            assert_eq!(header().expect("forwarded"), ForwardedHeader::Forwarded);
            jail.set_env("VIGIE_FORWARDED_HEADER", "x-real-ip");
            assert!(header().is_err(), "an unknown header is refused");
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_are_refused() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "vigie.toml",
                "listen = \"127.0.0.1:9000\"\nlisten_typo = 1\n",
            )?;
            let err = Settings::load().expect_err("unknown key");
            assert!(err.to_string().contains("listen_typo"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn environment_overrides_file() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("vigie.toml", "listen = \"127.0.0.1:9000\"\n[session]\nidle_minutes = 30\nabsolute_minutes = 120\n")?;
            jail.set_env("VIGIE_SESSION__IDLE_MINUTES", "20");
            jail.set_env("DATABASE_URL", "postgres://localhost/vigie");
            jail.set_env("VIGIE_PUBLIC_URL", "http://localhost:9000");
            let s = Settings::load().expect("valid");
            assert_eq!(s.listen.port(), 9000);
            assert_eq!(s.session.idle_minutes, 20);
            assert_eq!(s.session.absolute_minutes, 120);
            assert_eq!(s.public_url.as_str(), "http://localhost:9000/");
            use secrecy::ExposeSecret;
            assert_eq!(s.database_url.expose_secret(), "postgres://localhost/vigie");
            Ok(())
        });
    }
}
