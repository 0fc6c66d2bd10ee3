//! What happened, as typed domain events. Each one says how the audit trail records it and
//! which live streams hear of it; the unit of work runs those reactions at commit.

use serde::Serialize;
use uuid::Uuid;
use vigie_shared::api::{
    approval::PendingApproval, delegation::DelegatedSessionEnded, session::SessionEnded,
};

use super::Actor;
use crate::{audit, events};

/// Why a session ended; the device is told the code (and, for a delegated session, a
/// sentence for its locked screen).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    /// Its owner signed out on that device.
    Logout,
    /// Its owner ended it from another session ("Mes sessions").
    EndedByUser {
        by_session: Uuid,
    },
    /// "Ce n'est pas moi" in the sign-in mail; an incident was opened.
    Reported {
        incident: Uuid,
    },
    /// The supervising professional ended the delegated session.
    ByAuthority,
    /// The professional withdrew the delegate's authorisation.
    DelegationWithdrawn,
    /// The structure withdrew the staff member.
    StaffWithdrawn,
    /// A password sign-in whose SMS code came too late, or wrong too many times.
    SecondFactorExpired,
    SecondFactorFailed,
}

impl SessionEnd {
    pub fn code(self) -> &'static str {
        match self {
            Self::Logout => "logout",
            Self::EndedByUser { .. } => "ended_by_user",
            Self::Reported { .. } => "reported",
            Self::ByAuthority => "ended_by_authority",
            Self::DelegationWithdrawn => "delegation_withdrawn",
            Self::StaffWithdrawn => "staff_withdrawn",
            Self::SecondFactorExpired => "second_factor_expired",
            Self::SecondFactorFailed => "second_factor_failed",
        }
    }

    fn message(self) -> Option<&'static str> {
        match self {
            Self::ByAuthority => {
                Some("Le professionnel responsable a terminé cette session de saisie déléguée.")
            }
            Self::DelegationWithdrawn => Some(
                "Le professionnel responsable vous a retiré l'autorisation de saisir sous sa responsabilité.",
            ),
            Self::StaffWithdrawn => Some("La structure vous a retiré la délégation de saisie."),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub enum DomainEvent {
    /// A session ended (it was open until now).
    SessionEnded {
        session: Uuid,
        /// The professional signed in, or the authority a delegate typed under.
        professional: Option<Uuid>,
        /// The staff member, for a delegated session.
        delegate: Option<Uuid>,
        terminal: Option<Uuid>,
        reason: SessionEnd,
        at: chrono::DateTime<chrono::Utc>,
    },
    /// A terminal asked for push sign-in. `professional` is `None` for an identity that is
    /// unknown, frozen or without a phone (the request then just expires).
    ApprovalRequested {
        request: PendingApproval,
        professional: Option<Uuid>,
        delegate: Option<Uuid>,
    },
    /// The phone gave a code that is not the terminal's.
    ApprovalCodeRejected {
        approval: Uuid,
        professional: Uuid,
        attempt: i32,
    },
    /// Too many wrong codes: the request is refused.
    ApprovalRefusedForCodes { approval: Uuid, professional: Uuid },
    /// A structure account's password was right; the SMS code is sent.
    PasswordAccepted { account: Uuid, session: Uuid },
    /// A wrong password, counted.
    PasswordRejected { account: Uuid, failures: i32 },
    /// The wrong password that locked the account.
    AccountLocked { account: Uuid, failures: i32 },
    /// A sign-in attempt on a locked account (not counted).
    LockedAccountTried { account: Uuid },
    /// A wrong second-factor code, counted on the session.
    SecondFactorRejected {
        account: Uuid,
        session: Uuid,
        attempt: i32,
    },
    /// A structure account's session passed its second factor.
    SecondFactorPassed { account: Uuid, session: Uuid },
    /// An activation link and SMS code were sent to a professional.
    ActivationStarted {
        professional: Uuid,
        activation: Uuid,
    },
    /// A wrong activation SMS code, counted.
    ActivationCodeRejected {
        professional: Uuid,
        activation: Uuid,
        attempt: i32,
    },
    /// Link and code were right: an enrolment token was issued.
    ActivationVerified {
        professional: Uuid,
        activation: Uuid,
    },
}

/// A live event a stream hears once the work commits.
pub struct LiveNotice {
    pub channel: String,
    pub kind: &'static str,
    pub payload: String,
}

fn by(id: Uuid) -> Option<String> {
    Some(id.to_string())
}

impl DomainEvent {
    /// The audit event: the work's actor, unless the event names who acted.
    pub fn audit(&self, actor: &Actor) -> audit::Event {
        let mut e = audit::Event::new(self.action());
        e.actor = actor.id.map(|id| id.to_string());
        e.authority = actor.authority.map(|id| id.to_string());
        e.session_id = actor.session;
        e.terminal = actor.terminal.map(|id| id.to_string());
        match self {
            Self::SessionEnded {
                session,
                professional,
                delegate,
                terminal,
                reason,
                ..
            } => {
                e.session_id = Some(*session);
                if delegate.is_some() {
                    e.authority = professional.map(|p| p.to_string());
                    e.terminal = terminal.map(|t| t.to_string());
                }
                e.details = match reason {
                    SessionEnd::EndedByUser { by_session } => {
                        serde_json::json!({ "by_session": by_session })
                    }
                    SessionEnd::Reported { incident } => {
                        serde_json::json!({ "incident": incident })
                    }
                    SessionEnd::Logout
                    | SessionEnd::SecondFactorExpired
                    | SessionEnd::SecondFactorFailed => serde_json::Value::Null,
                    other => serde_json::json!({ "reason": other.code() }),
                };
            }
            Self::ApprovalRequested {
                request,
                professional,
                delegate,
            } => {
                e.subject = Some(request.approval_id.to_string());
                e.details = serde_json::json!({
                    "identity_known": professional.is_some(),
                    "atypical": !request.atypical.is_empty(),
                    "delegate": delegate,
                });
                // The identity asked for is the actor of its own requests; a delegate asks
                // under that professional's authority.
                if let Some(p) = professional {
                    match delegate {
                        Some(staff) => {
                            e.actor = by(*staff);
                            e.authority = by(*p);
                        }
                        None => e.actor = by(*p),
                    }
                }
            }
            Self::ApprovalCodeRejected {
                approval,
                professional,
                attempt,
            } => {
                e.actor = by(*professional);
                e.subject = by(*approval);
                e.details = serde_json::json!({ "attempt": attempt });
            }
            Self::ApprovalRefusedForCodes {
                approval,
                professional,
            } => {
                e.actor = by(*professional);
                e.subject = by(*approval);
                e.details = serde_json::json!({ "reason": "wrong_code" });
            }
            Self::PasswordAccepted { account, session } => {
                e.actor = by(*account);
                e.session_id = Some(*session);
            }
            Self::PasswordRejected { account, failures }
            | Self::AccountLocked { account, failures } => {
                e.actor = by(*account);
                e.details = serde_json::json!({ "failures": failures });
            }
            Self::LockedAccountTried { account } => e.actor = by(*account),
            Self::SecondFactorRejected {
                account,
                session,
                attempt,
            } => {
                e.actor = by(*account);
                e.session_id = Some(*session);
                e.details = serde_json::json!({ "attempt": attempt });
            }
            Self::SecondFactorPassed { account, session } => {
                e.actor = by(*account);
                e.session_id = Some(*session);
                e.details = serde_json::json!({ "method": "password+sms" });
            }
            Self::ActivationStarted {
                professional,
                activation,
            }
            | Self::ActivationVerified {
                professional,
                activation,
            } => {
                e.actor = by(*professional);
                e.subject = by(*activation);
            }
            Self::ActivationCodeRejected {
                professional,
                activation,
                attempt,
            } => {
                e.actor = by(*professional);
                e.subject = by(*activation);
                e.details = serde_json::json!({ "attempt": attempt });
            }
        }
        e
    }

    /// The audit action: stable names, read by security officers and tests.
    pub fn action(&self) -> &'static str {
        match self {
            Self::SessionEnded {
                reason, delegate, ..
            } => match reason {
                SessionEnd::Logout => "session.logout",
                SessionEnd::SecondFactorExpired => "account.second_factor_expired",
                SessionEnd::SecondFactorFailed => "account.second_factor_failed",
                SessionEnd::EndedByUser { .. } => "session.ended",
                SessionEnd::Reported { .. } => "session.reported",
                _ if delegate.is_some() => "delegation.session_ended",
                _ => "session.ended",
            },
            Self::ApprovalRequested { .. } => "approval.requested",
            Self::ApprovalCodeRejected { .. } => "approval.wrong_code",
            Self::ApprovalRefusedForCodes { .. } => "approval.refused",
            Self::PasswordAccepted { .. } => "account.password_accepted",
            Self::PasswordRejected { .. } => "account.sign_in_failed",
            Self::AccountLocked { .. } => "account.locked",
            Self::LockedAccountTried { .. } => "account.sign_in_refused_locked",
            Self::SecondFactorRejected { .. } => "account.second_factor_wrong_code",
            Self::SecondFactorPassed { .. } => "session.opened",
            Self::ActivationStarted { .. } => "activation.started",
            Self::ActivationCodeRejected { .. } => "activation.wrong_code",
            Self::ActivationVerified { .. } => "activation.verified",
        }
    }

    /// The live events this one sends.
    pub fn live(&self) -> Vec<LiveNotice> {
        match self {
            // The device that ended it is told by the answer to its own request.
            Self::SessionEnded {
                reason:
                    SessionEnd::Logout
                    | SessionEnd::SecondFactorExpired
                    | SessionEnd::SecondFactorFailed,
                ..
            } => Vec::new(),
            Self::SessionEnded {
                session,
                professional,
                delegate,
                reason,
                at,
                ..
            } => {
                let mut out = vec![notice(
                    events::session_channel(*session),
                    "session_ended",
                    &SessionEnded {
                        reason: Some(reason.code().into()),
                        message: reason.message().map(str::to_owned),
                    },
                )];
                if let (Some(_), Some(p)) = (delegate, professional) {
                    out.push(notice(
                        events::supervision_channel(*p),
                        "delegated_session_ended",
                        &DelegatedSessionEnded {
                            session_id: *session,
                            ended_at: *at,
                        },
                    ));
                }
                out
            }
            Self::ApprovalRequested {
                request,
                professional: Some(p),
                ..
            } => vec![notice(
                events::professional_channel(*p),
                "approval_requested",
                request,
            )],
            _ => Vec::new(),
        }
    }
}

fn notice(channel: String, kind: &'static str, payload: &impl Serialize) -> LiveNotice {
    LiveNotice {
        channel,
        kind,
        // Plain wire types: serialising them cannot fail.
        payload: serde_json::to_string(payload).unwrap_or_else(|_| "null".into()),
    }
}
