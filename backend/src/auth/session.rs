//! Server-side sessions. The cookie holds 128 random bits; the database holds their hash, the
//! idle and absolute deadlines, and when the session ended. Any instance can check any session.

use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, header, request::Parts},
};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, JoinType,
    QueryFilter, QuerySelect,
};
use uuid::Uuid;
use vigie_shared::{
    ErrorCode,
    api::session::{PrincipalKind, SessionStage, SessionState},
};

use super::tokens;
use crate::{
    config::Settings,
    entities::{professional, role_grant, session, staff_member, structure, structure_account},
    error::{AppError, AppResult},
    http::cookies::{self, Jar},
    state::AppState,
};

/// Where a request came from, recorded with the session.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub user_agent: Option<String>,
    /// The client's address as shown to people.
    pub ip: Option<String>,
    /// The address limits count under (an IPv6 client's /64 network).
    pub counted: Option<String>,
}

pub struct Opened {
    pub token: String,
    pub session: session::Model,
}

/// Whose session it is.
#[derive(Debug, Clone, Copy)]
pub enum Owner {
    Professional(Uuid),
    Account(Uuid),
    /// A staff member signed in on a tablet of this structure; the authority comes with the
    /// professional's approval.
    Staff {
        staff_member_id: Uuid,
        structure_id: Uuid,
    },
}

pub async fn open(
    db: &impl ConnectionTrait,
    settings: &Settings,
    now: DateTime<Utc>,
    professional_id: Uuid,
    method: &str,
    client: ClientInfo,
) -> AppResult<Opened> {
    open_for(
        db,
        settings,
        now,
        Owner::Professional(professional_id),
        SessionStage::Active,
        method,
        client,
    )
    .await
}

pub async fn open_for(
    db: &impl ConnectionTrait,
    settings: &Settings,
    now: DateTime<Utc>,
    owner: Owner,
    stage: SessionStage,
    method: &str,
    client: ClientInfo,
) -> AppResult<Opened> {
    let token = tokens::random_token(16);
    let absolute = now + Duration::minutes(settings.session.absolute_minutes);
    let idle = (now + Duration::minutes(settings.session.idle_minutes)).min(absolute);
    let (professional_id, account_id, staff_member_id, structure_id) = match owner {
        Owner::Professional(id) => (Some(id), None, None, None),
        Owner::Account(id) => (None, Some(id), None, None),
        Owner::Staff {
            staff_member_id,
            structure_id,
        } => (None, None, Some(staff_member_id), Some(structure_id)),
    };
    let session = session::ActiveModel {
        id: Set(Uuid::new_v4()),
        token_hash: Set(tokens::hash(&token)),
        professional_id: Set(professional_id),
        account_id: Set(account_id),
        staff_member_id: Set(staff_member_id),
        structure_id: Set(structure_id),
        terminal_id: Set(None),
        stage: Set(stage),
        factor_code_hash: Set(None),
        factor_expires_at: Set(None),
        factor_attempts: Set(0),
        method: Set(method.into()),
        created_at: Set(now),
        last_seen_at: Set(now),
        idle_expires_at: Set(idle),
        absolute_expires_at: Set(absolute),
        ended_at: Set(None),
        user_agent: Set(client.user_agent.map(|ua| ua.chars().take(200).collect())),
        ip: Set(client.ip),
        report_token_hash: Set(None),
    }
    .insert(db)
    .await?;
    Ok(Opened { token, session })
}

pub fn stage_name(stage: SessionStage) -> &'static str {
    match stage {
        SessionStage::Active => "active",
        SessionStage::SecondFactor => "second_factor",
        SessionStage::PasswordChange => "password_change",
    }
}

/// A new cookie value for the same session (after a second factor): the old one stops working.
pub async fn rotate(db: &impl ConnectionTrait, id: Uuid) -> AppResult<String> {
    let token = tokens::random_token(16);
    session::Entity::update_many()
        .col_expr(
            session::Column::TokenHash,
            sea_orm::sea_query::Expr::value(tokens::hash(&token)),
        )
        .filter(session::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(token)
}

/// The `Set-Cookie` value for a new session (until the browser closes).
pub fn cookie_for(settings: &Settings, token: &str) -> String {
    cookies::set(settings, Jar::Session, token, None)
}

pub fn clearing_cookie(settings: &Settings) -> String {
    cookies::clear(settings, Jar::Session)
}

pub fn client_info(parts: &Parts, state: &AppState) -> ClientInfo {
    let user_agent = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let address = crate::http::client::ClientAddress::of(parts, state);
    ClientInfo {
        user_agent,
        ip: address.shown(),
        counted: address.counted(),
    }
}

/// Who a session belongs to.
#[derive(Debug, Clone)]
pub enum Principal {
    Professional(professional::Model),
    Account {
        account: structure_account::Model,
        structure: structure::Model,
    },
    /// A staff member; `authority` is the professional who approved the delegated session
    /// (`None` until then: such a session can only ask for that approval).
    Delegate {
        staff: staff_member::Model,
        structure: structure::Model,
        authority: Option<professional::Model>,
    },
}

impl Principal {
    /// The id written as the actor of audit events.
    pub fn id(&self) -> Uuid {
        match self {
            Self::Professional(p) => p.id,
            Self::Account { account, .. } => account.id,
            Self::Delegate { staff, .. } => staff.id,
        }
    }
    pub fn kind(&self) -> PrincipalKind {
        match self {
            Self::Professional(_) => PrincipalKind::Professional,
            Self::Account { .. } => PrincipalKind::StructureAccount,
            Self::Delegate { .. } => PrincipalKind::Delegate,
        }
    }
    pub fn identifier(&self) -> &str {
        match self {
            Self::Professional(p) => &p.national_id,
            Self::Account { account, .. } => &account.identifier,
            Self::Delegate { staff, .. } => &staff.cpe_number,
        }
    }
    pub fn display_name(&self) -> String {
        match self {
            Self::Professional(p) => display_name(p),
            Self::Account { account, structure } => {
                format!("{} — {}", account.display_name, structure.name)
            }
            Self::Delegate { staff, .. } => staff_name(staff),
        }
    }
}

/// A live session, whatever its owner and stage.
#[derive(Debug, Clone)]
pub struct Current {
    pub session: session::Model,
    pub principal: Principal,
}

impl Current {
    pub fn stage(&self) -> SessionStage {
        self.session.stage
    }

    pub fn state(&self) -> SessionState {
        let (typist, authority, structure) = match &self.principal {
            Principal::Delegate {
                staff,
                structure,
                authority,
            } => (
                Some(staff_name(staff)),
                authority.as_ref().map(display_name),
                Some(structure.name.clone()),
            ),
            _ => (None, None, None),
        };
        SessionState {
            typist,
            authority,
            structure,
            kind: self.principal.kind(),
            identifier: self.principal.identifier().to_owned(),
            display_name: self.principal.display_name(),
            stage: self.stage(),
            method: self.session.method.clone(),
            started_at: self.session.created_at,
            idle_expires_at: self.session.idle_expires_at,
            absolute_expires_at: self.session.absolute_expires_at,
            security_officer: false,
        }
    }

    /// `state`, with the roles the app's menu follows (one more read).
    pub async fn state_with_roles(&self, db: &impl ConnectionTrait) -> AppResult<SessionState> {
        let mut state = self.state();
        if let Principal::Professional(p) = &self.principal
            && self.stage() == SessionStage::Active
        {
            state.security_officer =
                role_grant::Entity::find_by_id((p.id, crate::routes::security::ROLE.to_owned()))
                    .one(db)
                    .await?
                    .is_some();
        }
        Ok(state)
    }

    /// Refuses a session that still lacks its second factor or a new password: nothing past
    /// this point (health data above all) is open to it.
    pub fn require_active(self) -> AppResult<Self> {
        match self.stage() {
            SessionStage::Active => Ok(self),
            SessionStage::SecondFactor => Err(ErrorCode::SecondFactorRequired.into()),
            SessionStage::PasswordChange => Err(ErrorCode::PasswordChangeRequired.into()),
        }
    }
}

/// A professional's fully signed-in session; the extractor refuses anything else (401 without
/// a live session, 403 for other principals or unfinished sign-ins).
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub session: session::Model,
    pub professional: professional::Model,
}

impl SignedIn {
    fn current(&self) -> Current {
        Current {
            session: self.session.clone(),
            principal: Principal::Professional(self.professional.clone()),
        }
    }

    pub fn state(&self) -> SessionState {
        self.current().state()
    }

    /// `state`, with the roles the app's menu follows.
    pub async fn state_with_roles(&self, db: &impl ConnectionTrait) -> AppResult<SessionState> {
        self.current().state_with_roles(db).await
    }
}

/// "Marie Dupont".
pub fn staff_name(s: &staff_member::Model) -> String {
    format!("{} {}", s.first_name, s.last_name)
}

pub fn display_name(p: &professional::Model) -> String {
    let civility = if p.civility.is_empty() {
        String::new()
    } else {
        format!("{} ", p.civility)
    };
    format!("{civility}{} {}", p.first_name, p.last_name)
}

/// Who the session belongs to; `signed_in` is the professional read with the session (a
/// professional's session, the busiest kind, costs no second query).
async fn principal_of(
    state: &AppState,
    row: &session::Model,
    signed_in: Option<professional::Model>,
) -> AppResult<Option<Principal>> {
    if let Some(id) = row.account_id {
        let Some(account) = structure_account::Entity::find_by_id(id)
            .one(&state.db)
            .await?
        else {
            return Ok(None);
        };
        let Some(structure) = structure::Entity::find_by_id(account.structure_id)
            .one(&state.db)
            .await?
        else {
            return Ok(None);
        };
        return Ok(Some(Principal::Account { account, structure }));
    }
    if let Some(id) = row.staff_member_id {
        let Some(staff) = staff_member::Entity::find_by_id(id).one(&state.db).await? else {
            return Ok(None);
        };
        // A withdrawn staff member's sessions are ended with the withdrawal; refuse anyway.
        if staff.withdrawn_at.is_some() {
            return Ok(None);
        }
        let Some(structure) = structure::Entity::find_by_id(staff.structure_id)
            .one(&state.db)
            .await?
        else {
            return Ok(None);
        };
        let authority = match row.professional_id {
            Some(p) => Some(
                signed_in
                    .filter(|a| a.id == p)
                    .ok_or(AppError::code(ErrorCode::Unauthenticated))?,
            ),
            None => None,
        };
        return Ok(Some(Principal::Delegate {
            staff,
            structure,
            authority,
        }));
    }
    Ok(signed_in
        .filter(|p| row.professional_id == Some(p.id))
        .map(Principal::Professional))
}

/// Looks the session up and checks both limits. `touch` records activity (pushes the idle limit),
/// unless the request says the app made it on its own (`BACKGROUND_HEADER`).
pub async fn find_live(state: &AppState, headers: &HeaderMap, touch: bool) -> AppResult<Current> {
    let touch = touch && !headers.contains_key(vigie_shared::api::session::BACKGROUND_HEADER);
    let token = cookies::read(headers, &state.settings, Jar::Session)
        .ok_or(AppError::code(ErrorCode::Unauthenticated))?;
    let now = state.now();
    // The session and, for a professional's, the professional: one query.
    let found = session::Entity::find()
        .filter(session::Column::TokenHash.eq(tokens::hash(&token)))
        .select_also(professional::Entity)
        .join(
            JoinType::LeftJoin,
            session::Entity::belongs_to(professional::Entity)
                .from(session::Column::ProfessionalId)
                .to(professional::Column::Id)
                .into(),
        )
        .one(&state.db)
        .await?;
    let Some((row, signed_in)) = found else {
        return Err(ErrorCode::Unauthenticated.into());
    };
    if row.ended_at.is_some() {
        return Err(ErrorCode::SessionExpired.into());
    }
    if now >= row.idle_expires_at || now >= row.absolute_expires_at {
        end(&state.db, now, row.id).await?;
        return Err(ErrorCode::SessionExpired.into());
    }
    let Some(principal) = principal_of(state, &row, signed_in).await? else {
        return Err(ErrorCode::Unauthenticated.into());
    };
    // Activity is written at most every TOUCH_EVERY per session: a busy tablet's requests do
    // not each cost a write (the idle limit may fall up to that much early).
    let row = if touch && now - row.last_seen_at >= TOUCH_EVERY {
        let idle = (now + Duration::minutes(state.settings.session.idle_minutes))
            .min(row.absolute_expires_at);
        // Through the writer: on SQLite every request's touch shares a batch (one fsync).
        crate::work::write_unaudited(
            state,
            session::Entity::update_many()
                .col_expr(session::Column::LastSeenAt, Expr::value(now))
                .col_expr(session::Column::IdleExpiresAt, Expr::value(idle))
                .filter(session::Column::Id.eq(row.id)),
        )
        .await?;
        session::Model {
            last_seen_at: now,
            idle_expires_at: idle,
            ..row
        }
    } else {
        row
    };
    Ok(Current {
        session: row,
        principal,
    })
}

/// How often a session's last activity (and so its idle limit) is written at most.
const TOUCH_EVERY: Duration = Duration::seconds(30);

pub async fn end(db: &impl ConnectionTrait, now: DateTime<Utc>, id: Uuid) -> AppResult<()> {
    session::Entity::update_many()
        .col_expr(
            session::Column::EndedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(session::Column::Id.eq(id))
        .filter(session::Column::EndedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Any fully signed-in session (professional or structure account).
pub struct Authenticated(pub Current);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        find_live(state, &parts.headers, true)
            .await?
            .require_active()
            .map(Authenticated)
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Authenticated(current) = Authenticated::from_request_parts(parts, state).await?;
        match current.principal {
            Principal::Professional(professional) => Ok(SignedIn {
                session: current.session,
                professional,
            }),
            _ => Err(ErrorCode::Forbidden.into()),
        }
    }
}

/// A live session at any stage, counted as activity: for the steps that finish a sign-in.
pub struct AnyStage(pub Current);

impl FromRequestParts<AppState> for AnyStage {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        find_live(state, &parts.headers, true).await.map(AnyStage)
    }
}

/// A live session at any stage, without counting the request as activity (the header's live
/// state polls).
pub struct SessionPeek(pub Current);

impl FromRequestParts<AppState> for SessionPeek {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        find_live(state, &parts.headers, false)
            .await
            .map(SessionPeek)
    }
}

/// Request metadata recorded with new sessions.
pub struct Client(pub ClientInfo);

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Client(client_info(parts, state)))
    }
}
