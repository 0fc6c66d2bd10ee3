//! The refusals every route shares, added to the OpenAPI document where a route can give them:
//! they come from layers and extractors, not from the handler, so no handler lists them.
//!
//! - 400 `invalid_input` / `malformed_json`: a body, a path id or a query that does not parse;
//! - 401: no session (or no activated phone) where one is needed;
//! - 403 `cross_origin`: a change not sent by Vigie's own pages;
//! - 404: a path id that names nothing the caller may see;
//! - 413 / 415: a body too large, or not JSON.

use utoipa::openapi::{
    Content, OpenApi, Ref, RefOr, ResponseBuilder,
    path::{Operation, ParameterIn},
};

/// Routes anyone may call: no 401 there.
const PUBLIC: &[&str] = &[
    "/api/health",
    "/api/statistics/",
    "/api/certificates/signing-certificate",
    "/api/certificates/verify",
];

pub fn complete_refusals(doc: &mut OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        let public = PUBLIC.iter().any(|p| path.starts_with(p));
        let read_only = [(&mut item.get, false), (&mut item.head, false)];
        let changes = [
            (&mut item.post, true),
            (&mut item.put, true),
            (&mut item.delete, true),
            (&mut item.patch, true),
        ];
        for (op, changing) in read_only.into_iter().chain(changes) {
            if let Some(op) = op.as_mut() {
                complete(op, public, changing);
            }
        }
    }
}

fn complete(op: &mut Operation, public: bool, changing: bool) {
    let params = op.parameters.as_deref().unwrap_or_default();
    let in_path = params
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Path));
    let in_query = params
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Query));
    let body = op.request_body.is_some();
    let mut add = |status: &str, why: &str| {
        op.responses
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
    if changing {
        add(
            "403",
            "Refusé : demande venue d'ailleurs que les pages de Vigie, ou droits insuffisants",
        );
    }
    if in_path {
        add("404", "Introuvable, ou hors de portée de l'appelant");
    }
    if body {
        add("413", "Corps de requête trop volumineux");
        add("415", "Le corps doit être du JSON");
    }
}
