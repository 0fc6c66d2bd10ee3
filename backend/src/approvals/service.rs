//! The approval state machine. Every transition is one conditional UPDATE (`WHERE status =
//! 'pending'`), so two instances, or a phone and a terminal, can never both decide a request;
//! the audit event and the live event are written in the same transaction.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rand::Rng;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, sea_query::Expr,
};
use uuid::Uuid;
use vigie_shared::{
    ErrorCode, NationalId,
    api::approval::{
        ApprovalChallenge, ApprovalConfirm, ApprovalCreated, ApprovalState, ApprovalStatus,
        PendingApproval,
    },
    api::delegation::DelegatedSessionView,
    api::session::SessionState,
};
use webauthn_rs::prelude::{Passkey, PasskeyAuthentication};

use super::{LIFETIME, MAX_CODE_ATTEMPTS, approver::Approver, atypical, limits, qr};
use crate::{
    auth::{
        ceremony::{self, Kind, Stored},
        session::{self, ClientInfo, SignedIn},
        sign_in,
    },
    credentials,
    entities::{
        approval_request, approver_device, professional, session as session_row, staff_member,
        structure, terminal, terminal_usage,
    },
    error::{AppError, AppResult},
    incident,
    state::AppState,
    work::{Actor, DomainEvent, ReportOutcome, Subject, Work},
};

const UNATTACHED_PLACE: &str = "Poste non rattaché à une structure";

/// Purpose of the terminal code's keyed hash (see `vault::Fingerprint::code`).
const CODE_PURPOSE: &str = "approval";

fn view(row: &approval_request::Model) -> ApprovalState {
    let status = row.status;
    ApprovalState {
        approval_id: row.id,
        status,
        message: status.label().into(),
        expires_at: row.expires_at,
    }
}

/// The terminal as the request names it: "Tablette 3 — Centre de vaccination de Melun (poste
/// enregistré)" when an enrolled terminal signed it, "Poste inconnu" otherwise.
fn terminal_name(row: &approval_request::Model) -> String {
    match (&row.enrolled_terminal_id, &row.terminal_structure) {
        (Some(_), Some(structure)) => {
            format!("{} — {structure} (poste enregistré)", row.terminal_label)
        }
        _ => row.terminal_label.clone(),
    }
}

/// The terminal a session was opened on, as its sign-in request named it.
pub struct SignInTerminal {
    /// "Tablette 3 — Centre de vaccination de Melun (poste enregistré)" or "Poste inconnu".
    pub name: String,
    /// Signed by an enrolled terminal: the name is the structure's, not typed by anyone.
    pub enrolled: bool,
}

/// The terminal each of these sessions was opened on, as its sign-in request named it (never
/// the label typed on the terminal: anyone can type "Tablette 3"). Sessions opened otherwise
/// (passkey) are absent.
pub async fn session_terminals(
    db: &impl ConnectionTrait,
    sessions: &[Uuid],
) -> AppResult<HashMap<Uuid, SignInTerminal>> {
    if sessions.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(approval_request::Entity::find()
        .filter(approval_request::Column::SessionId.is_in(sessions.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|row| {
            let terminal = SignInTerminal {
                name: terminal_name(&row),
                enrolled: row.enrolled_terminal_id.is_some(),
            };
            row.session_id.map(|session| (session, terminal))
        })
        .collect())
}

fn pending_view(row: &approval_request::Model) -> PendingApproval {
    PendingApproval {
        approval_id: row.id,
        terminal: terminal_name(row),
        place: row.place.clone(),
        ip: row.ip.clone(),
        requested_at: row.created_at,
        expires_at: row.expires_at,
        requested_by: row.requested_by.clone(),
        atypical: serde_json::from_str(&row.atypical).unwrap_or_default(),
        terminal_enrolled: row.enrolled_terminal_id.is_some(),
        terminal_name: row.enrolled_terminal_id.map(|_| row.terminal_label.clone()),
        terminal_structure: row.terminal_structure.clone(),
    }
}

/// A delegated request: a staff member asks, from their tablet session, in their structure.
pub struct Delegated {
    pub staff_member_id: Uuid,
    pub structure: structure::Model,
    pub requested_by: String,
    pub requester_session_id: Uuid,
}

/// Terminal: a new request. Unknown, frozen or not-yet-activated identities get a request that
/// looks the same and simply expires: the terminal cannot tell them apart.
///
/// The asking terminal is found (or created, with its new cookie token returned) in the same
/// unit of work: one transaction, one durable commit for the whole request.
pub async fn create(
    state: &AppState,
    national_id: &NationalId,
    asking: super::terminal::Asking<'_>,
    ip: &str,
    delegated: Option<Delegated>,
) -> AppResult<(ApprovalCreated, Option<String>)> {
    let mut actor = Actor::default();
    if let Some(d) = &delegated {
        actor.id = Some(d.staff_member_id);
        actor.session = Some(d.requester_session_id);
    }
    let mut work = Work::begin(state, actor).await?;
    let now = work.now();
    let (terminal, new_token) = super::terminal::find_or_create(
        work.db(),
        &state.settings,
        now,
        asking.headers,
        asking.label,
        &super::terminal::describe(asking.headers),
    )
    .await?;
    work.from_terminal(terminal.id);
    let terminal = &terminal;
    // The identity's and the address's limits are counted alone: parallel requests queue here.
    work.guard(Subject::PushIdentity(national_id.as_str()))
        .await?;
    let asker = match &delegated {
        Some(d) => {
            work.guard(Subject::Delegate(d.staff_member_id)).await?;
            limits::Asker::Delegate(d.staff_member_id)
        }
        None => limits::Asker::Own,
    };
    work.guard(Subject::PushAddress(ip)).await?;
    let db = work.db();
    limits::check_request_allowed(
        db,
        now,
        national_id.as_str(),
        asker,
        ip,
        state.settings.push_requests_per_ip_per_10_min,
    )
    .await?;
    let professional = professional::Entity::find()
        .filter(professional::Column::NationalId.eq(national_id.as_str()))
        .one(db)
        .await?;
    let frozen_until = limits::frozen_until(db, now, national_id.as_str()).await?;
    let mut target = professional.filter(|_| frozen_until.is_none());
    if let Some(p) = &target {
        let has_phone = approver_device::Entity::find()
            .filter(approver_device::Column::ProfessionalId.eq(p.id))
            .filter(approver_device::Column::RevokedAt.is_null())
            .one(db)
            .await?
            .is_some();
        if !has_phone {
            target = None;
        }
    }
    // A delegate is signed in and allowed to ask this professional: she is told at once why
    // the phone cannot answer, instead of waiting for a request that can only expire. (A
    // terminal asking for an identity learns nothing: its request just expires.)
    if delegated.is_some() && target.is_none() {
        let message = match frozen_until {
            Some(until) => format!(
                "La validation par téléphone de ce professionnel est suspendue jusqu'au {} : \
                 demandez-lui de se connecter avec sa clé d'accès, ou réessayez après.",
                crate::mail::paris_time(until)
            ),
            None => "Ce professionnel n'a pas de téléphone activé pour valider les demandes : \
                     demandez-lui d'activer l'application de validation."
                .to_owned(),
        };
        return Err(AppError::with_message(
            ErrorCode::AuthorityUnavailable,
            message,
        ));
    }
    // Only a valid signature by an enrolled, unrevoked terminal over a fresh nonce names it;
    // its nonce is spent in this transaction.
    let enrolled = match asking.proof {
        Some(signed) => {
            crate::terminals::verify(db, now, Some(signed.proof), signed.purpose, signed.subject)
                .await?
        }
        None => None,
    };
    // Enrolled in a structure where the professional does not practise, and never used by them.
    let foreign_and_new = match (&enrolled, &target) {
        (Some(e), Some(p)) => {
            !crate::access::structures_of(db, p.id)
                .await?
                .contains(&e.structure.id)
                && terminal_usage::Entity::find_by_id((p.id, terminal.id))
                    .one(db)
                    .await?
                    .is_none()
        }
        _ => false,
    };
    let identities_asked = crate::terminals::identities_asked(
        db,
        now,
        enrolled.as_ref().map(|e| e.terminal.id),
        terminal.id,
        national_id.as_str(),
    )
    .await?;
    let mut reasons = atypical::reasons(&atypical::Facts {
        now,
        enrolled_in: enrolled.as_ref().map(|e| &e.structure),
        foreign_and_new,
        identities_asked,
    });
    if let Some(d) = &delegated
        && enrolled
            .as_ref()
            .is_none_or(|e| e.structure.id != d.structure.id)
    {
        reasons.extend(crate::directory::hours::outside_hours(&d.structure, now));
    }
    let id = Uuid::new_v4();
    let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
    let row = approval_request::Model {
        id,
        national_id: national_id.as_str().to_owned(),
        professional_id: target.as_ref().map(|p| p.id),
        terminal_id: terminal.id,
        // The name typed on a terminal is not shown: anyone can type "Tablette 3".
        terminal_label: enrolled.as_ref().map_or_else(
            || crate::terminals::UNKNOWN_TERMINAL.to_owned(),
            |e| e.terminal.name.clone(),
        ),
        place: match (&delegated, &enrolled) {
            (Some(d), _) => d.structure.name.clone(),
            (None, Some(e)) => e.structure.name.clone(),
            (None, None) => UNATTACHED_PLACE.into(),
        },
        ip: ip.to_owned(),
        created_at: now,
        expires_at: now + LIFETIME,
        status: ApprovalStatus::Pending,
        decided_at: None,
        code_hash: state.code_key.code(CODE_PURPOSE, id, &code),
        code_attempts: 0,
        atypical: serde_json::to_string(&reasons).map_err(AppError::internal)?,
        session_id: None,
        claimed: false,
        staff_member_id: delegated.as_ref().map(|d| d.staff_member_id),
        structure_id: delegated.as_ref().map(|d| d.structure.id),
        requested_by: delegated.as_ref().map(|d| d.requested_by.clone()),
        requester_session_id: delegated.as_ref().map(|d| d.requester_session_id),
        enrolled_terminal_id: enrolled.as_ref().map(|e| e.terminal.id),
        terminal_structure: enrolled.as_ref().map(|e| e.structure.name.clone()),
    };
    approval_request::ActiveModel::from(row.clone())
        .insert(db)
        .await?;
    work.emit(DomainEvent::ApprovalRequested {
        request: pending_view(&row),
        professional: target.as_ref().map(|p| p.id),
        delegate: row.staff_member_id,
    });
    work.commit().await?;
    Ok((
        ApprovalCreated {
            approval_id: id,
            qr_svg: qr::svg(&state.settings.public_url, id, &code),
            code,
            expires_at: row.expires_at,
        },
        new_token,
    ))
}

async fn load(db: &impl ConnectionTrait, id: Uuid) -> AppResult<approval_request::Model> {
    approval_request::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::code(ErrorCode::NotFound))
}

/// Moves a pending request to `to`; false when it was not pending (someone else decided).
/// The terminal's and the phone's streams hear it at commit; the audit says who moved it.
async fn transition(
    work: &mut Work,
    row: &approval_request::Model,
    to: ApprovalStatus,
) -> AppResult<bool> {
    if !moved(work, row, to).await? {
        return Ok(false);
    }
    work.emit(DomainEvent::ApprovalMoved {
        approval: row.id,
        professional: row.professional_id,
        terminal: row.terminal_id,
        to,
        report: None,
    });
    Ok(true)
}

/// The transition's one conditional statement, without its event.
async fn moved(work: &Work, row: &approval_request::Model, to: ApprovalStatus) -> AppResult<bool> {
    let now = work.now();
    let mut update = approval_request::Entity::update_many()
        .col_expr(approval_request::Column::Status, Expr::value(to.as_str()))
        .col_expr(approval_request::Column::DecidedAt, Expr::value(now))
        .filter(approval_request::Column::Id.eq(row.id))
        .filter(approval_request::Column::Status.eq(ApprovalStatus::Pending.as_str()));
    update = if to == ApprovalStatus::Expired {
        update.filter(approval_request::Column::ExpiresAt.lte(now))
    } else {
        update.filter(approval_request::Column::ExpiresAt.gt(now))
    };
    Ok(update.exec(work.db()).await?.rows_affected == 1)
}

/// Expires the request if its two minutes are over (reads call this, and so does the sweeper).
async fn expire_if_due(
    state: &AppState,
    row: approval_request::Model,
) -> AppResult<approval_request::Model> {
    if row.status != ApprovalStatus::Pending || row.expires_at > state.now() {
        return Ok(row);
    }
    // Nobody decided: the identity asked for is the actor of its own expired request.
    let actor = Actor {
        id: row.professional_id,
        terminal: Some(row.terminal_id),
        ..Actor::anonymous()
    };
    let mut work = Work::begin(state, actor).await?;
    if transition(&mut work, &row, ApprovalStatus::Expired).await? && row.professional_id.is_some()
    {
        limits::record_failure(
            work.db(),
            work.now(),
            &row.national_id,
            limits::Failure::Unanswered,
        )
        .await?;
    }
    work.commit().await?;
    load(&state.db, row.id).await
}

/// Background sweep: expires overdue requests so terminals and phones hear it live.
pub async fn expire_due(state: &AppState) -> AppResult<usize> {
    let overdue = approval_request::Entity::find()
        .filter(approval_request::Column::Status.eq(ApprovalStatus::Pending.as_str()))
        .filter(approval_request::Column::ExpiresAt.lte(state.now()))
        .limit(500)
        .all(&state.db)
        .await?;
    let n = overdue.len();
    for row in overdue {
        expire_if_due(state, row).await?;
    }
    Ok(n)
}

fn own_terminal(row: &approval_request::Model, terminal: &terminal::Model) -> AppResult<()> {
    // Another terminal learns nothing, not even that the request exists.
    if row.terminal_id != terminal.id {
        return Err(ErrorCode::NotFound.into());
    }
    Ok(())
}

/// Terminal: where its request stands.
pub async fn state_for_terminal(
    state: &AppState,
    id: Uuid,
    terminal: &terminal::Model,
) -> AppResult<ApprovalState> {
    let row = load(&state.db, id).await?;
    own_terminal(&row, terminal)?;
    Ok(view(&expire_if_due(state, row).await?))
}

/// Terminal: "Annuler" — its own request only.
pub async fn cancel(
    state: &AppState,
    id: Uuid,
    terminal: &terminal::Model,
) -> AppResult<ApprovalState> {
    let row = expire_if_due(state, load(&state.db, id).await?).await?;
    own_terminal(&row, terminal)?;
    let mut work = Work::begin(state, Actor::terminal(terminal.id)).await?;
    if !transition(&mut work, &row, ApprovalStatus::Cancelled).await? {
        return Err(ErrorCode::RequestClosed.into());
    }
    work.commit().await?;
    Ok(view(&load(&state.db, id).await?))
}

/// An approved request is claimed by its terminal at once (it hears the approval live): within
/// the request's lifetime, or `CLAIM_AFTER_APPROVAL` after an approval given at its very end.
/// Later it is refused: an approval is not a ticket to keep.
const CLAIM_AFTER_APPROVAL: chrono::Duration = chrono::Duration::seconds(30);

fn claimable(now: DateTime<Utc>) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::ExprTrait;
    approval_request::Column::ExpiresAt
        .gt(now)
        .or(approval_request::Column::DecidedAt.gt(now - CLAIM_AFTER_APPROVAL))
}

/// Terminal: turns an approved request into a session on this terminal, once. A delegated
/// request instead upgrades the staff member's session that asked (new cookie, both identities).
pub async fn claim(
    state: &AppState,
    id: Uuid,
    terminal: &terminal::Model,
    client: ClientInfo,
    requester: Option<session::Current>,
) -> AppResult<(String, SessionState)> {
    let row = load(&state.db, id).await?;
    own_terminal(&row, terminal)?;
    let (Some(professional_id), ApprovalStatus::Approved) = (row.professional_id, row.status)
    else {
        return Err(ErrorCode::RequestClosed.into());
    };
    if row.staff_member_id.is_some() {
        return claim_delegated(state, &row, professional_id, terminal, requester).await;
    }
    let mut work = Work::begin(state, Actor::by(professional_id)).await?;
    let (txn, now) = (work.db(), work.now());
    let claimed = approval_request::Entity::update_many()
        .col_expr(approval_request::Column::Claimed, Expr::value(true))
        .filter(approval_request::Column::Id.eq(id))
        .filter(approval_request::Column::Claimed.eq(false))
        .filter(claimable(now))
        .exec(txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(ErrorCode::RequestClosed.into());
    }
    let opened = session::open(txn, &state.settings, now, professional_id, "push", client).await?;
    // Push sign-ins happen on a terminal: the session (and its entries) name it.
    session_row::Entity::update_many()
        .col_expr(session_row::Column::TerminalId, Expr::value(terminal.id))
        .filter(session_row::Column::Id.eq(opened.session.id))
        .exec(txn)
        .await?;
    approval_request::Entity::update_many()
        .col_expr(
            approval_request::Column::SessionId,
            Expr::value(opened.session.id),
        )
        .filter(approval_request::Column::Id.eq(id))
        .exec(txn)
        .await?;
    terminal_usage::Entity::insert(terminal_usage::ActiveModel {
        professional_id: Set(professional_id),
        terminal_id: Set(terminal.id),
        first_used_at: Set(now),
    })
    .on_conflict_do_nothing_on([
        terminal_usage::Column::ProfessionalId,
        terminal_usage::Column::TerminalId,
    ])
    .exec(txn)
    .await?;
    let professional = professional::Entity::find_by_id(professional_id)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::internal("professional vanished"))?;
    let ctx = sign_in::Context {
        method: "push",
        terminal: &row.terminal_label,
        terminal_id: Some(terminal.id),
        delegate: None,
        place: &row.place,
    };
    sign_in::opened(state, &mut work, &professional, &opened.session, ctx).await?;
    work.commit().await?;
    let signed_in = SignedIn {
        session: opened.session,
        professional,
    };
    Ok((opened.token, signed_in.state_with_roles(&state.db).await?))
}

/// The delegated half of `claim`: only the very session that asked, still allowed, gets the
/// professional's authority; its id rotates; the professional's supervision hears of it.
async fn claim_delegated(
    state: &AppState,
    row: &approval_request::Model,
    professional_id: Uuid,
    terminal: &terminal::Model,
    requester: Option<session::Current>,
) -> AppResult<(String, SessionState)> {
    let Some(current) = requester.filter(|c| Some(c.session.id) == row.requester_session_id) else {
        return Err(ErrorCode::DelegationRequired.into());
    };
    let staff = staff_member::Entity::find_by_id(current.principal.id())
        .one(&state.db)
        .await?
        .ok_or(AppError::code(ErrorCode::DelegationRequired))?;
    if !crate::access::delegation_allowed(&state.db, professional_id, &staff).await? {
        return Err(ErrorCode::DelegationNotAllowed.into());
    }
    let professional = professional::Entity::find_by_id(professional_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::internal("professional vanished"))?;
    let structure = structure::Entity::find_by_id(staff.structure_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::internal("structure vanished"))?;
    let actor = Actor {
        id: Some(staff.id),
        authority: Some(professional_id),
        session: Some(current.session.id),
        terminal: Some(terminal.id),
    };
    let mut work = Work::begin(state, actor).await?;
    let txn = work.db();
    let claimed = approval_request::Entity::update_many()
        .col_expr(approval_request::Column::Claimed, Expr::value(true))
        .col_expr(
            approval_request::Column::SessionId,
            Expr::value(current.session.id),
        )
        .filter(approval_request::Column::Id.eq(row.id))
        .filter(approval_request::Column::Claimed.eq(false))
        .filter(claimable(work.now()))
        .exec(txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(ErrorCode::RequestClosed.into());
    }
    // Only a session still waiting for its authority can take one.
    let upgraded = session_row::Entity::update_many()
        .col_expr(
            session_row::Column::ProfessionalId,
            Expr::value(professional_id),
        )
        .col_expr(session_row::Column::TerminalId, Expr::value(terminal.id))
        .filter(session_row::Column::Id.eq(current.session.id))
        .filter(session_row::Column::ProfessionalId.is_null())
        .filter(session_row::Column::EndedAt.is_null())
        .exec(txn)
        .await?;
    if upgraded.rows_affected != 1 {
        return Err(ErrorCode::RequestClosed.into());
    }
    let token = session::rotate(txn, current.session.id).await?;
    let typist = session::staff_name(&staff);
    let session_now = session_row::Entity::find_by_id(current.session.id)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::internal("session vanished"))?;
    let ctx = sign_in::Context {
        method: "push",
        terminal: &row.terminal_label,
        terminal_id: Some(terminal.id),
        delegate: Some(&typist),
        place: &row.place,
    };
    sign_in::opened(state, &mut work, &professional, &session_now, ctx).await?;
    // The professional's supervision screen shows the new session at once.
    work.emit(DomainEvent::DelegatedSessionOpened {
        approval: row.id,
        view: Box::new(DelegatedSessionView {
            session_id: session_now.id,
            typist: typist.clone(),
            typist_role: staff.role.clone(),
            structure_name: structure.name.clone(),
            terminal: terminal.label.clone(),
            started_at: session_now.created_at,
            ended_at: None,
            entries: Vec::new(),
        }),
    });
    work.commit().await?;
    let current = session::Current {
        session: session_now,
        principal: session::Principal::Delegate {
            staff,
            structure,
            authority: Some(professional),
        },
    };
    Ok((token, current.state()))
}

/// Phone: requests waiting for this professional, newest first.
pub async fn pending_for(state: &AppState, approver: &Approver) -> AppResult<Vec<PendingApproval>> {
    let rows = approval_request::Entity::find()
        .filter(approval_request::Column::ProfessionalId.eq(approver.professional.id))
        .filter(approval_request::Column::Status.eq(ApprovalStatus::Pending.as_str()))
        .filter(approval_request::Column::ExpiresAt.gt(state.now()))
        .order_by_desc(approval_request::Column::CreatedAt)
        .all(&state.db)
        .await?;
    Ok(rows.iter().map(pending_view).collect())
}

/// A request of this phone's professional, still pending.
async fn mine_pending(
    state: &AppState,
    approver: &Approver,
    id: Uuid,
) -> AppResult<approval_request::Model> {
    let row = load(&state.db, id).await?;
    if row.professional_id != Some(approver.professional.id) {
        return Err(ErrorCode::NotFound.into());
    }
    let row = expire_if_due(state, row).await?;
    if row.status != ApprovalStatus::Pending {
        return Err(ErrorCode::RequestClosed.into());
    }
    Ok(row)
}

/// Phone: the code read on the terminal. Right: a WebAuthn challenge tied to this request.
/// Wrong three times: the request is refused. Every code checked spends one of the three
/// attempts first, in one statement, so parallel guesses get no more than three checks.
pub async fn enter_code(
    state: &AppState,
    approver: &Approver,
    id: Uuid,
    code: &str,
) -> AppResult<ApprovalChallenge> {
    let row = mine_pending(state, approver, id).await?;
    let professional_id = approver.professional.id;
    let mut work = Work::begin(state, Actor::by(professional_id)).await?;
    let now = work.now();
    let spent = work
        .take_attempt(
            approval_request::Entity::update_many()
                .filter(approval_request::Column::Id.eq(id))
                .filter(approval_request::Column::Status.eq(ApprovalStatus::Pending.as_str()))
                .filter(approval_request::Column::ExpiresAt.gt(now)),
            approval_request::Column::CodeAttempts,
            MAX_CODE_ATTEMPTS,
        )
        .await?;
    if !spent {
        return Err(ErrorCode::RequestClosed.into());
    }
    if !state
        .code_key
        .code_matches(CODE_PURPOSE, id, code, &row.code_hash)
    {
        let attempts = load(work.db(), id).await?.code_attempts;
        work.emit(DomainEvent::ApprovalCodeRejected {
            approval: id,
            professional: professional_id,
            attempt: attempts,
        });
        if attempts >= MAX_CODE_ATTEMPTS && moved(&work, &row, ApprovalStatus::Refused).await? {
            limits::record_failure(work.db(), now, &row.national_id, limits::Failure::Refused)
                .await?;
            work.emit(DomainEvent::ApprovalRefusedForCodes {
                approval: id,
                professional: professional_id,
            });
        }
        work.commit().await?;
        return Err(ErrorCode::WrongCode.into());
    }
    work.commit().await?;
    let creds: Vec<Passkey> = credentials::passkeys_of(
        &state.db,
        credentials::OwnerKind::Professional,
        &[approver.professional.id],
    )
    .await?
    .into_iter()
    .map(|(_, pk)| pk)
    .collect();
    let (options, auth) = state
        .webauthn
        .start_passkey_authentication(&creds)
        .map_err(|e| {
            tracing::warn!(reason = %e, "approval challenge refused");
            AppError::code(ErrorCode::WebauthnRejected)
        })?;
    let ceremony_id = ceremony::put(
        &state.db,
        now,
        Kind::Approval,
        Stored {
            professional_id: Some(approver.professional.id),
            enrolment_id: None,
            approval_id: Some(id),
            staff_member_id: None,
            state: Some(auth),
        },
    )
    .await?;
    Ok(ApprovalChallenge {
        ceremony_id,
        options,
    })
}

/// Phone: PIN/biometrics done — the request is approved if the ceremony was the one started
/// for this very request (after its code), by this professional's passkey, with UV.
pub async fn approve(
    state: &AppState,
    approver: &Approver,
    id: Uuid,
    confirm: ApprovalConfirm,
) -> AppResult<ApprovalState> {
    let now = state.now();
    let stored: Stored<PasskeyAuthentication> =
        ceremony::take(&state.db, now, Kind::Approval, confirm.ceremony_id).await?;
    if stored.approval_id != Some(id) || stored.professional_id != Some(approver.professional.id) {
        return Err(ErrorCode::WebauthnRejected.into());
    }
    let auth = stored
        .state
        .ok_or(AppError::code(ErrorCode::WebauthnRejected))?;
    let row = mine_pending(state, approver, id).await?;
    let work = Work::begin(state, Actor::by(approver.professional.id)).await?;
    credentials::verify_assertion(
        state,
        work.db(),
        work.now(),
        credentials::OwnerKind::Professional,
        &[approver.professional.id],
        &confirm.credential,
        &auth,
    )
    .await?;
    limits::record_success(work.db(), work.now(), &row.national_id).await?;
    decide(state, work, &row, ApprovalStatus::Approved).await
}

/// Phone: "Quitter l'authentification" — one tap refuses the request.
pub async fn refuse(state: &AppState, approver: &Approver, id: Uuid) -> AppResult<ApprovalState> {
    let row = mine_pending(state, approver, id).await?;
    let work = Work::begin(state, Actor::by(approver.professional.id)).await?;
    limits::record_failure(
        work.db(),
        work.now(),
        &row.national_id,
        limits::Failure::Refused,
    )
    .await?;
    decide(state, work, &row, ApprovalStatus::Refused).await
}

/// The phone's decision on a pending request: the transition, its events, commit. When
/// someone else decided first, nothing of the work is kept.
async fn decide(
    state: &AppState,
    mut work: Work,
    row: &approval_request::Model,
    to: ApprovalStatus,
) -> AppResult<ApprovalState> {
    if !transition(&mut work, row, to).await? {
        return Err(ErrorCode::RequestClosed.into());
    }
    work.commit().await?;
    Ok(view(&load(&state.db, row.id).await?))
}

/// Phone: "Ce n'est pas moi" — refuses this request, cancels every other pending one of this
/// identity, freezes push sign-in for 24 h, opens an incident for the security officers,
/// e-mails the professional and writes it all to the audit trail.
pub async fn report(state: &AppState, approver: &Approver, id: Uuid) -> AppResult<ApprovalState> {
    let row = mine_pending(state, approver, id).await?;
    let p = &approver.professional;
    let mut work = Work::begin(state, Actor::by(p.id)).await?;
    let now = work.now();
    if !moved(&work, &row, ApprovalStatus::Reported).await? {
        return Err(ErrorCode::RequestClosed.into());
    }
    let others = approval_request::Entity::find()
        .filter(approval_request::Column::NationalId.eq(row.national_id.clone()))
        .filter(approval_request::Column::Status.eq(ApprovalStatus::Pending.as_str()))
        .filter(approval_request::Column::ExpiresAt.gt(now))
        .all(work.db())
        .await?;
    let mut cancelled = 0;
    for other in &others {
        if transition(&mut work, other, ApprovalStatus::Cancelled).await? {
            cancelled += 1;
        }
    }
    let until = limits::freeze_for_report(work.db(), now, &row.national_id).await?;
    let incident_id = incident::open(
        work.db(),
        now,
        incident::Concerning::Professional(p.id),
        Some(id),
        "push_fraud_report",
    )
    .await?;
    work.emit(DomainEvent::ApprovalMoved {
        approval: id,
        professional: row.professional_id,
        terminal: row.terminal_id,
        to: ApprovalStatus::Reported,
        report: Some(ReportOutcome {
            cancelled_others: cancelled,
            push_frozen_until: until,
            incident: incident_id,
        }),
    });
    crate::mail::queue(
        &work,
        p,
        "Vigie : tentative de connexion signalée",
        &format!(
            "Bonjour {},\n\nVous avez signalé une demande de connexion que vous n'aviez pas faite \
             (poste « {} », adresse IP {}, le {}).\n\nLa connexion par notification est suspendue \
             pour votre identifiant jusqu'au {} ; la connexion par clé d'accès reste possible. \
             Un incident a été ouvert pour l'équipe de sécurité.\n",
            session::display_name(p),
            row.terminal_label,
            row.ip,
            crate::mail::paris_time(row.created_at),
            crate::mail::paris_time(until),
        ),
    )
    .await?;
    work.commit().await?;
    Ok(view(&load(&state.db, id).await?))
}
