//! The refusals every route shares, added to the OpenAPI document where a route can give them:
//! they come from layers and extractors, not from the handler, so no handler lists them.
//!
//! - 400 `invalid_input` / `malformed_json`: a body, a path id or a query that does not parse;
//! - 401: no session (or no activated phone) where one is needed;
//! - 403 on every route behind a finished sign-in (the `Authenticated` guard and those built on
//!   it: `SignedIn`, `Actor`, `SecurityOfficer`, `DelegateSession`), reads included: a sign-in
//!   still waiting for its SMS code or a new password (`second_factor_required`,
//!   `password_change_required`), or a caller of the wrong kind (`forbidden`,
//!   `delegation_required`, `delegation_not_allowed`);
//! - 403 `cross_origin`: a change not sent by Vigie's own pages;
//! - 404: a path id that names nothing the caller may see;
//! - 413 / 415: a body too large, or not JSON.

use utoipa::openapi::{
    Content, OpenApi, Ref, RefOr, ResponseBuilder,
    path::{Operation, ParameterIn},
};

/// Routes anyone may call: no 401 there. (In these lists, an entry ending in `/` names every
/// path under it; any other entry one path.)
const PUBLIC: &[&str] = &[
    "/api/health",
    "/api/session/presence",
    "/api/statistics/",
    "/api/certificates/signing-certificate",
    "/api/certificates/verify",
    "/api/accounts/password-policy",
    "/api/push/key",
    // Enrolled terminals' nonces and "which terminal am I?": anonymous, proven by signature.
    "/api/terminals/",
];

/// Routes not behind a finished sign-in: the sign-in steps themselves (anonymous, or any
/// stage through `AnyStage` / `SessionPeek`), the terminal's push requests and the phone's
/// approver app (their own cookies). Every other route that is not public goes through
/// `Authenticated`, so it can answer 403. (The test routes, in test builds only, are added by
/// `TEST_ROUTES`: the release binary must not even name them.)
const SIGN_IN_STEPS: &[&str] = &[
    "/api/passkeys/",
    "/api/delegation/passkeys/",
    "/api/delegation/sign-in/",
    "/api/session",
    "/api/session/keep-alive",
    "/api/session/logout",
    "/api/session/events",
    "/api/sessions/report",
    "/api/approvals",
    "/api/approvals/",
    "/api/approver/",
    "/api/activation",
    "/api/activation/verify",
    "/api/accounts/sign-in",
    "/api/accounts/second-factor",
    "/api/accounts/password",
];

#[cfg(feature = "testing")]
const TEST_ROUTES: &[&str] = &["/api/testing/"];
#[cfg(not(feature = "testing"))]
const TEST_ROUTES: &[&str] = &[];

fn listed(list: &[&str], path: &str) -> bool {
    list.iter().any(|p| {
        if p.ends_with('/') {
            path.starts_with(p)
        } else {
            path == *p
        }
    })
}

/// Why a route behind `Authenticated` answers 403, whatever its method.
const GUARD_403: &str = "Connexion inachevée (`second_factor_required`, `password_change_required`), ou appelant sans ce droit (`forbidden`, `delegation_required`, `delegation_not_allowed`)";
/// Why a change answers 403.
const CROSS_ORIGIN_403: &str =
    "Demande venue d'ailleurs que les pages de Vigie (`cross_origin`), ou droits insuffisants";

pub fn complete_refusals(doc: &mut OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        let public = listed(PUBLIC, path);
        let guarded = !public && !listed(SIGN_IN_STEPS, path) && !listed(TEST_ROUTES, path);
        let read_only = [(&mut item.get, false), (&mut item.head, false)];
        let changes = [
            (&mut item.post, true),
            (&mut item.put, true),
            (&mut item.delete, true),
            (&mut item.patch, true),
        ];
        for (op, changing) in read_only.into_iter().chain(changes) {
            if let Some(op) = op.as_mut() {
                complete(op, public, guarded, changing);
            }
        }
    }
}

fn complete(op: &mut Operation, public: bool, guarded: bool, changing: bool) {
    let params = op.parameters.as_deref().unwrap_or_default();
    let in_path = params
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Path));
    let in_query = params
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Query));
    let body = op.request_body.is_some();
    // A status the handler already documents keeps its words; an empty description takes the
    // shared reason, and a 403's gets it added (once): its reasons differ in kind.
    let mut add = |status: &str, why: &str| {
        let response = op
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| {
                RefOr::T(
                    ResponseBuilder::new()
                        .description(why)
                        .content(
                            "application/json",
                            Content::new(Some(Ref::from_schema_name("ApiError"))),
                        )
                        .build(),
                )
            });
        if let RefOr::T(response) = response
            && (response.description.trim().is_empty() || status == "403")
            && !response.description.contains(why)
        {
            response.description = if response.description.trim().is_empty() {
                why.to_owned()
            } else {
                format!("{} ; {why}", response.description)
            };
        }
    };
    if body || in_path || in_query {
        add(
            "400",
            "Entrée invalide (corps, identifiant de l'adresse ou paramètre)",
        );
    }
    if !public {
        add(
            "401",
            "Pas de session (ou pas de téléphone activé) pour cette action",
        );
    }
    if guarded {
        add("403", GUARD_403);
    }
    if changing {
        add("403", CROSS_ORIGIN_403);
    }
    if in_path {
        add("404", "Introuvable, ou hors de portée de l'appelant");
    }
    if body {
        add("413", "Corps de requête trop volumineux");
        add("415", "Le corps doit être du JSON");
    }
}
