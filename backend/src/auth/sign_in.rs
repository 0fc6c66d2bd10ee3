//! What follows every successful sign-in, whatever the method: the audit event, and the mail
//! to the professional (time, terminal, place, method) whose "Ce n'est pas moi" link ends that
//! session and reports fraud.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use uuid::Uuid;
use vigie_shared::ErrorCode;

use super::{session, tokens};
use crate::{
    approvals::limits,
    entities::{professional, session as session_row},
    error::{AppError, AppResult},
    incident, mail,
    state::AppState,
    work::{Actor, DomainEvent, SessionEnd, Work},
};

pub struct Context<'a> {
    pub method: &'a str,
    pub terminal: &'a str,
    pub terminal_id: Option<Uuid>,
    pub place: &'a str,
    /// Delegated session: the staff member who will type under this professional's name.
    pub delegate: Option<&'a str>,
}

fn method_label(method: &str) -> &'static str {
    match method {
        "push" => "validation sur votre téléphone",
        "passkey" => "clé d'accès",
        _ => "autre",
    }
}

pub async fn opened(
    state: &AppState,
    work: &mut Work,
    professional: &professional::Model,
    session: &session_row::Model,
    ctx: Context<'_>,
) -> AppResult<()> {
    let now = work.now();
    let report_token = tokens::random_token(24);
    session_row::Entity::update_many()
        .col_expr(
            session_row::Column::ReportTokenHash,
            Expr::value(tokens::hash(&report_token)),
        )
        .filter(session_row::Column::Id.eq(session.id))
        .exec(work.db())
        .await?;
    work.emit(DomainEvent::SessionOpened {
        professional: professional.id,
        session: session.id,
        method: ctx.method.to_owned(),
        terminal: ctx.terminal_id,
    });
    let mut link = state
        .settings
        .public_url
        .join("/signalement")
        .map_err(AppError::internal)?;
    link.set_fragment(Some(&format!("jeton={report_token}")));
    let body = format!(
        "Bonjour {name},\n\nUne connexion à Vigie a eu lieu avec votre identité :\n\
         - le {when}\n- poste : {terminal}\n- lieu : {place}\n- méthode : {method}\n{delegate}\n\
         Si ce n'était pas vous, ouvrez ce lien : la session sera fermée immédiatement et \
         l'incident signalé à l'équipe de sécurité.\n{link}\n",
        name = session::display_name(professional),
        when = mail::paris_time(now),
        terminal = ctx.terminal,
        place = ctx.place,
        method = method_label(ctx.method),
        delegate = ctx
            .delegate
            .map(|d| format!("- saisie déléguée : {d} saisit sous votre responsabilité\n"))
            .unwrap_or_default(),
    );
    mail::queue(
        work,
        professional,
        "Vigie : nouvelle connexion à votre compte",
        &body,
    )
    .await
}

/// How long the sign-in mail's "Ce n'est pas moi" link works: long enough for a mail read the
/// next week, not a token that lives forever in a mailbox.
pub const REPORT_VALID: chrono::Duration = chrono::Duration::days(7);

/// The sign-in mail's "Ce n'est pas moi": ends that session, freezes push sign-in for 24 h,
/// opens an incident. Asking twice changes nothing more; after `REPORT_VALID` the link is dead.
pub async fn report(state: &AppState, token: &str) -> AppResult<()> {
    let row = session_row::Entity::find()
        .filter(session_row::Column::ReportTokenHash.eq(tokens::hash(token)))
        .one(&state.db)
        .await?
        .ok_or(AppError::code(ErrorCode::NotFound))?;
    // Only professionals' sign-in mails carry the link.
    let professional_id = row
        .professional_id
        .ok_or(AppError::code(ErrorCode::NotFound))?;
    let professional = professional::Entity::find_by_id(professional_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::code(ErrorCode::NotFound))?;
    let mut work = Work::begin(state, Actor::by(professional.id)).await?;
    let now = work.now();
    // Only the first report acts: the token is consumed. One that lost the race to a parallel
    // report gets the same answer as a late one.
    let consumed = session_row::Entity::update_many()
        .col_expr(
            session_row::Column::ReportTokenHash,
            Expr::value(Option::<String>::None),
        )
        .filter(session_row::Column::Id.eq(row.id))
        .filter(session_row::Column::ReportTokenHash.is_not_null())
        .filter(session_row::Column::CreatedAt.gt(now - REPORT_VALID))
        .exec(work.db())
        .await?;
    if consumed.rows_affected != 1 {
        return Err(ErrorCode::NotFound.into());
    }
    limits::freeze_for_report(work.db(), now, &professional.national_id).await?;
    let incident = incident::open(
        work.db(),
        now,
        incident::Concerning::Professional(professional.id),
        None,
        "session_fraud_report",
    )
    .await?;
    // Ended even if it had ended already: the report is what is recorded.
    if !work
        .end_session(&row, SessionEnd::Reported { incident })
        .await?
    {
        work.emit(DomainEvent::SessionReported {
            session: row.id,
            incident,
        });
    }
    work.commit().await?;
    Ok(())
}
