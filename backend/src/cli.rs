//! `vigie`: the server and its operator commands (the program of both binaries, `vigie` and
//! the test build `vigie-testing`).

use crate::{
    Application, Settings, auth, clock::Clock, db, demo, entities::professional, telemetry,
};
use anyhow::Context;
use clap::{Parser, Subcommand};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use secrecy::ExposeSecret;
use vigie_shared::NationalId;

#[derive(Parser)]
#[command(
    name = "vigie",
    version,
    about = "Vigie : traçabilité de la vaccination COVID-19"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the server (the default).
    Serve {
        /// Load the demonstration data first, and print a passkey activation link.
        #[arg(long)]
        demo: bool,
    },
    /// Load the demonstration data and exit.
    Demo,
    /// Apply the database migrations and exit.
    Migrate,
    /// Import the professional directory from a CSV file (see backend/src/directory/mod.rs).
    ImportDirectory {
        /// Path of the CSV file.
        file: std::path::PathBuf,
    },
    /// Give a professional the security officer role (incidents, frozen identities).
    GrantSecurityOfficer {
        /// National identifier (8 + RPPS).
        national_id: String,
    },
    /// Name a professional manager of a structure (declares and withdraws its staff, signed in
    /// with their passkey), besides the structure's password account.
    GrantStructureManager {
        /// National identifier (8 + RPPS).
        national_id: String,
        /// FINESS of the structure.
        #[arg(long)]
        finess: String,
    },
    /// Check the audit trail's hash chain; exits non-zero when it is broken.
    AuditVerify,
    /// Print the mail and SMS outboxes (messages not delivered by a relay), opened with the
    /// vault's keys.
    Outbox,
    /// Rotate the vault's keys file: a fresh key seals every secret of the database, the old
    /// keys leave the file. Stop the servers first (they hold the keys they started with).
    VaultRotate,
    /// Re-seal every secret with the first configured key (after putting a new key first in
    /// VIGIE_VAULT__KEYS; the old keys can go once this is done).
    VaultReseal,
    /// Print a fresh vault key (base64), to put in VIGIE_VAULT__KEYS.
    VaultNewKey,
    /// Create a structure's password account; prints a first password to replace at first
    /// sign-in (the second factor goes by SMS to the mobile given here).
    CreateStructureAccount {
        /// FINESS of the structure (already in the directory or demo data).
        #[arg(long)]
        finess: String,
        /// Sign-in identifier: the FINESS or an Assurance Maladie number (defaults to the FINESS).
        #[arg(long)]
        identifier: Option<String>,
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        mobile: String,
    },
    /// Print a single-use link (30 minutes) that lets a professional create a passkey.
    Enrol {
        /// National identifier (8 + RPPS).
        national_id: String,
    },
}

/// Parses the command line and runs the command.
pub async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::load().context("reading configuration")?;
    telemetry::init(&settings.log);
    match cli.command.unwrap_or(Command::Serve { demo: false }) {
        Command::Serve { demo } => {
            let app = Application::build(settings).await?;
            if demo {
                demo::load(&app.state.db).await?;
                let national_id = vigie_shared::Rpps::parse(demo::JEAN_MARTIN_RPPS)?.national_id();
                let link = enrolment_link(&app.state, &national_id).await?;
                println!("Données de démonstration chargées.");
                println!("Activer une clé d'accès pour le Dr Jean Martin ({national_id}) : {link}");
            }
            println!("Vigie écoute sur {}", app.public_url());
            app.run_until_stopped().await?;
        }
        Command::Demo => {
            let db = db::connect(settings.database_url.expose_secret()).await?;
            demo::load(&db).await?;
            println!("Données de démonstration chargées.");
        }
        Command::Migrate => {
            db::connect(settings.database_url.expose_secret()).await?;
            println!("Migrations appliquées.");
        }
        Command::ImportDirectory { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let db = db::connect(settings.database_url.expose_secret()).await?;
            let report = crate::directory::import(&db, Clock::default().now(), &text).await?;
            println!(
                "{} créé(s), {} mis à jour, {} remarque(s).",
                report.created,
                report.updated,
                report.skipped.len()
            );
            for (line, reason) in report.skipped {
                println!("  ligne {line} : {reason}");
            }
        }
        Command::GrantSecurityOfficer { national_id } => {
            use sea_orm::ActiveValue::Set;
            let national_id =
                NationalId::parse(&national_id).map_err(|e| anyhow::anyhow!("{e}"))?;
            let db = db::connect(settings.database_url.expose_secret()).await?;
            let p = professional::Entity::find()
                .filter(professional::Column::NationalId.eq(national_id.as_str()))
                .one(&db)
                .await?
                .ok_or_else(|| {
                    anyhow::anyhow!("aucun professionnel avec l'identifiant {national_id}")
                })?;
            crate::entities::role_grant::Entity::insert(crate::entities::role_grant::ActiveModel {
                professional_id: Set(p.id),
                role: Set(crate::routes::security::ROLE.into()),
                granted_at: Set(Clock::default().now()),
            })
            .on_conflict_do_nothing_on([
                crate::entities::role_grant::Column::ProfessionalId,
                crate::entities::role_grant::Column::Role,
            ])
            .exec(&db)
            .await?;
            println!("Rôle d'officier de sécurité accordé à {national_id}.");
        }
        Command::GrantStructureManager {
            national_id,
            finess,
        } => {
            let national_id = vigie_shared::NationalId::parse(&national_id)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let finess =
                vigie_shared::Finess::parse(&finess).map_err(|e| anyhow::anyhow!("{e}"))?;
            let db = db::connect(settings.database_url.expose_secret()).await?;
            let (who, place) = crate::delegation::structures::grant_manager(
                &db,
                Clock::default().now(),
                &national_id,
                &finess,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}: identifiant ou FINESS inconnu"))?;
            println!("{who} gère désormais {place}.");
        }
        Command::CreateStructureAccount {
            finess,
            identifier,
            name,
            email,
            mobile,
        } => {
            let finess =
                vigie_shared::Finess::parse(&finess).map_err(|e| anyhow::anyhow!("{e}"))?;
            let identifier = vigie_shared::AccountIdentifier::parse(
                identifier.as_deref().unwrap_or(finess.as_str()),
            )
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            let db = db::connect(settings.database_url.expose_secret()).await?;
            let structure = crate::entities::structure::Entity::find()
                .filter(crate::entities::structure::Column::Finess.eq(finess.as_str()))
                .one(&db)
                .await?
                .ok_or_else(|| {
                    anyhow::anyhow!("aucune structure avec le FINESS {}", finess.as_str())
                })?;
            // Four random words' worth of entropy, replaced at the first sign-in anyway.
            let first = crate::auth::tokens::random_token(18);
            crate::accounts::create(
                &db,
                &settings,
                Clock::default().now(),
                crate::accounts::NewAccount {
                    structure: &structure,
                    identifier: &identifier,
                    display_name: &name,
                    email: &email,
                    mobile: &mobile,
                    password: &first,
                    must_change_password: true,
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "Compte {} créé pour {}.",
                identifier.as_str(),
                structure.name
            );
            println!("Mot de passe provisoire (à remplacer à la première connexion) : {first}");
        }
        Command::AuditVerify => {
            let opened = async {
                let (db, vault) = open_sealed(&settings).await?;
                let key = crate::audit::ChainKey::load(&db, &vault).await?;
                anyhow::Ok((db, key))
            }
            .await;
            // A database altered behind the server's back (its chain key deleted, a secret
            // planted in clear) is reported as such, never verified under a key made anew.
            let (db, key) = match opened {
                Err(e) if e.downcast_ref::<crate::vault::Tampered>().is_some() => {
                    println!("Journal d'audit ALTÉRÉ : {e:#}.");
                    std::process::exit(2);
                }
                opened => opened?,
            };
            // Events committed but not yet in the chain (a crash before sealing) join it first.
            crate::audit::seal(&db, &key)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            match crate::audit::verify(&db, &key)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
            {
                crate::audit::Verdict::Intact { events } => {
                    println!("Journal d'audit intègre : {events} événements vérifiés.");
                }
                crate::audit::Verdict::Broken { seq, reason } => {
                    println!("Journal d'audit ALTÉRÉ à l'événement n° {seq} : {reason}.");
                    std::process::exit(2);
                }
            }
        }
        Command::Outbox => {
            use crate::vault::{MAIL_BODY, SMS_BODY};
            use sea_orm::QueryOrder;
            let (db, vault) = open_sealed(&settings).await?;
            // A body handed to the relay is wiped; one that does not open says why.
            let open = |purpose: &str, body: &str| {
                if body.is_empty() {
                    "(contenu effacé après remise au relais)".to_owned()
                } else {
                    vault
                        .open_text(purpose, body)
                        .unwrap_or_else(|e| format!("(illisible : {e})"))
                }
            };
            let mails = crate::entities::mail_outbox::Entity::find()
                .order_by_asc(crate::entities::mail_outbox::Column::CreatedAt)
                .all(&db)
                .await?;
            for m in mails {
                let state = if m.sent_at.is_some() {
                    "envoyé"
                } else {
                    "en attente"
                };
                println!(
                    "--- {} [{state}] à {} : {}\n{}",
                    m.created_at,
                    m.recipient,
                    m.subject,
                    open(MAIL_BODY, &m.body)
                );
            }
            let sms = crate::entities::sms_outbox::Entity::find()
                .order_by_asc(crate::entities::sms_outbox::Column::CreatedAt)
                .all(&db)
                .await?;
            for m in sms {
                println!(
                    "--- SMS {} à {} :\n{}",
                    m.created_at,
                    m.recipient,
                    open(SMS_BODY, &m.body)
                );
            }
        }
        Command::VaultRotate => {
            let (db, _) = open_sealed(&settings).await?;
            let (id, n) = crate::vault::rotate_file(&settings.vault, &db).await?;
            println!(
                "Clés du coffre renouvelées : nouvelle clé {id}, {n} secret(s) rescellé(s) ; \
                 l'ancienne clé a quitté {}.",
                settings.vault.keys_file.display()
            );
        }
        Command::VaultReseal => {
            let (db, vault) = open_sealed(&settings).await?;
            let n = crate::vault::reseal(&db, &vault).await?;
            println!(
                "{n} secret(s) rescellé(s) avec la clé {}.",
                vault.sealing_key_id()
            );
        }
        Command::VaultNewKey => {
            use base64::Engine;
            println!(
                "{}",
                base64::engine::general_purpose::STANDARD
                    .encode(crate::vault::Vault::generate_key())
            );
        }
        Command::Enrol { national_id } => {
            let national_id =
                NationalId::parse(&national_id).map_err(|e| anyhow::anyhow!("{e}"))?;
            let db = db::connect(settings.database_url.expose_secret()).await?;
            let state_like = EnrolTarget {
                db,
                public_url: settings.public_url.clone(),
            };
            let link = state_like.link(&national_id).await?;
            println!("{link}");
        }
    }
    Ok(())
}

struct EnrolTarget {
    db: sea_orm::DatabaseConnection,
    public_url: url::Url,
}

impl EnrolTarget {
    async fn link(&self, national_id: &NationalId) -> anyhow::Result<String> {
        let professional = professional::Entity::find()
            .filter(professional::Column::NationalId.eq(national_id.as_str()))
            .one(&self.db)
            .await?
            .ok_or_else(|| {
                anyhow::anyhow!("aucun professionnel avec l'identifiant {national_id}")
            })?;
        let issued = auth::enrolment::issue(
            &self.db,
            Clock::default().now(),
            professional.id,
            auth::enrolment::LIFETIME,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        // The token is in the fragment: browsers never send it to the server in a URL.
        let mut url = self.public_url.join("/activation")?;
        url.set_fragment(Some(&format!("jeton={}", issued.token)));
        Ok(url.to_string())
    }
}

async fn enrolment_link(
    state: &crate::state::AppState,
    national_id: &NationalId,
) -> anyhow::Result<String> {
    EnrolTarget {
        db: state.db.clone(),
        public_url: state.settings.public_url.clone(),
    }
    .link(national_id)
    .await
}

/// The database and the vault that opens its secrets (checked, as the server does at start).
async fn open_sealed(
    settings: &Settings,
) -> anyhow::Result<(sea_orm::DatabaseConnection, crate::vault::Vault)> {
    let vault = crate::vault::load(&settings.vault)?;
    let db = db::connect(settings.database_url.expose_secret()).await?;
    crate::vault::seal_at_rest(&db, &vault).await?;
    Ok((db, vault))
}
