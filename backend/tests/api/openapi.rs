use serde_json::Value;
use vigie_shared::{AccountIdentifier, CpeNumber, Finess, NationalId, Nir, Rpps};

use crate::helpers::{TestApp, ok_json};

/// Every route the router serves is in the document, with its method.
#[tokio::test]
async fn openapi_lists_every_api_route() {
    let app = TestApp::spawn().await;
    let doc: Value = ok_json(app.get("/api/openapi.json").await).await;
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    let expected = [
        ("get", "/api/health"),
        ("post", "/api/passkeys/registration/start"),
        ("post", "/api/passkeys/registration/finish"),
        ("post", "/api/passkeys/authentication/start"),
        ("post", "/api/passkeys/authentication/finish"),
        ("get", "/api/session"),
        ("get", "/api/session/presence"),
        ("post", "/api/session/keep-alive"),
        ("post", "/api/session/logout"),
        ("post", "/api/testing/clock"),
        ("post", "/api/testing/enrolment"),
        ("post", "/api/testing/session"),
        ("post", "/api/approvals"),
        ("get", "/api/approvals/{id}"),
        ("get", "/api/approvals/{id}/events"),
        ("post", "/api/approvals/{id}/cancel"),
        ("post", "/api/approvals/{id}/session"),
        ("get", "/api/approver/presence"),
        ("get", "/api/approver/requests"),
        ("get", "/api/approver/events"),
        ("post", "/api/approver/requests/{id}/code"),
        ("post", "/api/approver/requests/{id}/approve"),
        ("post", "/api/approver/requests/{id}/refuse"),
        ("post", "/api/approver/requests/{id}/report"),
        ("get", "/api/push/key"),
        ("put", "/api/approver/push"),
        ("get", "/api/approver/push"),
        ("delete", "/api/approver/push"),
        ("get", "/api/sessions"),
        ("post", "/api/sessions/{id}/end"),
        ("get", "/api/session/events"),
        ("post", "/api/sessions/report"),
        ("post", "/api/activation"),
        ("post", "/api/activation/verify"),
        ("post", "/api/activation/qr"),
        ("get", "/api/security/incidents"),
        ("post", "/api/security/incidents/{id}/close"),
        ("get", "/api/security/freezes"),
        ("post", "/api/security/freezes/{national_id}/lift"),
        ("post", "/api/accounts/sign-in"),
        ("post", "/api/accounts/second-factor"),
        ("post", "/api/accounts/password"),
        ("get", "/api/accounts/password-policy"),
        ("get", "/api/accounts/me"),
        ("get", "/api/vaccination/context"),
        ("post", "/api/patients/lookup"),
        ("post", "/api/patients/search"),
        ("get", "/api/patients/{id}"),
        ("post", "/api/vaccinations/preview"),
        ("post", "/api/vaccinations"),
        ("post", "/api/injections/{id}/correct"),
        ("post", "/api/injections/{id}/invalidate"),
        ("get", "/api/injections/{id}/revisions"),
        ("post", "/api/injections/{id}/adverse-effects"),
        ("get", "/api/patients/{id}/certificate"),
        ("get", "/api/patients/{id}/recap.pdf"),
        ("get", "/api/structures/{id}/lots"),
        ("post", "/api/structures/{id}/lots"),
        ("post", "/api/lots/{id}/active"),
        ("post", "/api/lots/{id}/wastage"),
        ("put", "/api/vaccination/own-practice"),
        ("post", "/api/offline/permits"),
        ("get", "/api/offline/permits"),
        ("post", "/api/offline/permits/{id}/revoke"),
        ("post", "/api/offline/sync"),
        ("get", "/api/offline/review"),
        ("post", "/api/offline/review/{id}/done"),
        ("get", "/api/certificates/signing-certificate"),
        ("post", "/api/certificates/verify"),
        ("get", "/api/statistics/national"),
        ("get", "/api/statistics/national.csv"),
        ("get", "/api/statistics/departments"),
        ("get", "/api/statistics/departments.csv"),
        ("get", "/api/structures/managed"),
        ("get", "/api/structures/{id}"),
        ("put", "/api/structures/{id}"),
        ("get", "/api/structures/{id}/staff"),
        ("post", "/api/structures/{id}/staff"),
        ("post", "/api/structures/{id}/staff/{staff_id}/withdraw"),
        ("post", "/api/structures/{id}/staff/{staff_id}/enrolment"),
        ("get", "/api/structures/{id}/terminals"),
        ("post", "/api/structures/{id}/terminals"),
        (
            "post",
            "/api/structures/{id}/terminals/{terminal_id}/revoke",
        ),
        ("post", "/api/terminals/nonce"),
        ("post", "/api/terminals/identify"),
        ("get", "/api/credentials"),
        ("delete", "/api/credentials/{id}"),
        ("post", "/api/credentials/report"),
        ("get", "/api/structures/{id}/staff/{staff_id}/credentials"),
        (
            "delete",
            "/api/structures/{id}/staff/{staff_id}/credentials/{credential_id}",
        ),
        ("delete", "/api/security/credentials/{id}"),
        ("post", "/api/delegation/passkeys/registration/start"),
        ("post", "/api/delegation/passkeys/registration/finish"),
        ("post", "/api/delegation/sign-in/start"),
        ("post", "/api/delegation/sign-in/finish"),
        ("get", "/api/delegation/authorities"),
        ("post", "/api/delegation/requests"),
        ("get", "/api/delegation/delegates"),
        ("put", "/api/delegation/delegates/{staff_id}"),
        ("delete", "/api/delegation/delegates/{staff_id}"),
        ("get", "/api/supervision/sessions"),
        ("get", "/api/supervision/events"),
        ("post", "/api/supervision/sessions/{id}/end"),
        ("post", "/api/injections/{id}/contest"),
    ];
    let paths = doc["paths"].as_object().expect("paths");
    for (method, path) in expected {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing from the OpenAPI document"
        );
    }
    // And nothing undocumented answers: each documented path responds (not the API 404).
    let documented: usize = paths
        .values()
        .map(|p| p.as_object().map_or(0, |m| m.len()))
        .sum();
    assert_eq!(
        documented,
        expected.len(),
        "the document lists routes this test does not know: update the test"
    );
    // Changing an entry: 403 when it is not the caller's, 409 when it is closed, each named.
    for path in [
        "/api/injections/{id}/correct",
        "/api/injections/{id}/invalidate",
    ] {
        let responses = &paths[path]["post"]["responses"];
        for (status, code) in [("403", "not_your_entry"), ("409", "correction_closed")] {
            assert!(
                responses[status]["description"]
                    .as_str()
                    .is_some_and(|d| d.contains(code)),
                "{path}: {status} does not name {code}"
            );
        }
    }
    // Schemas of the shared types are there.
    assert!(doc["components"]["schemas"]["ApiError"].is_object());
    assert!(doc["components"]["schemas"]["Health"].is_object());
}

/// Every refusal a caller of any kind can get is documented: reads behind a finished sign-in
/// answer 403 too (unfinished sign-in, wrong kind of caller), the password routes and the
/// capped ones 429, and the non-JSON answers say their media type.
#[tokio::test]
async fn openapi_documents_every_refusal_and_media_type() {
    let app = TestApp::spawn().await;
    let doc: Value = ok_json(app.get("/api/openapi.json").await).await;
    let paths = &doc["paths"];
    for path in [
        "/api/patients/{id}",
        "/api/patients/{id}/certificate",
        "/api/patients/{id}/recap.pdf",
        "/api/injections/{id}/revisions",
        "/api/accounts/me",
        "/api/structures/managed",
        "/api/security/incidents",
    ] {
        let refused = &paths[path]["get"]["responses"]["403"];
        for code in [
            "second_factor_required",
            "password_change_required",
            "forbidden",
        ] {
            assert!(
                refused["description"]
                    .as_str()
                    .is_some_and(|d| d.contains(code)),
                "GET {path}: 403 does not name {code}: {refused}"
            );
        }
        assert!(refused["content"]["application/json"].is_object(), "{path}");
    }
    // A public read, or a sign-in step, has no such refusal.
    for path in [
        "/api/health",
        "/api/accounts/password-policy",
        "/api/session",
    ] {
        let responses = &paths[path]["get"]["responses"];
        assert!(responses["403"].is_null(), "GET {path}: {responses}");
    }
    assert!(paths["/api/accounts/password-policy"]["get"]["responses"]["401"].is_null());
    for path in [
        "/api/accounts/sign-in",
        "/api/accounts/password",
        "/api/certificates/verify",
        "/api/patients/lookup",
        "/api/patients/search",
    ] {
        assert!(
            paths[path]["post"]["responses"]["429"].is_object(),
            "{path}: no 429"
        );
    }
    assert!(
        paths["/api/patients/{id}/recap.pdf"]["get"]["responses"]["200"]["content"]
            ["application/pdf"]
            .is_object()
    );
    for path in [
        "/api/approvals/{id}/events",
        "/api/approver/events",
        "/api/session/events",
        "/api/supervision/events",
    ] {
        assert!(
            paths[path]["get"]["responses"]["200"]["content"]["text/event-stream"].is_object(),
            "{path}: no text/event-stream"
        );
    }
    // Identifiers carry the shape their parser accepts; the frozen identity's too.
    let lift = &paths["/api/security/freezes/{national_id}/lift"]["post"]["parameters"][0];
    assert_eq!(lift["name"], "national_id");
    assert_eq!(lift["schema"]["pattern"], "^8[0-9]{11}$");
    let mut found = std::collections::BTreeMap::new();
    fn walk(v: &Value, found: &mut std::collections::BTreeMap<&'static str, usize>) {
        let described = [
            (Rpps::SCHEMA_DESCRIPTION, Rpps::SCHEMA_PATTERN),
            (NationalId::SCHEMA_DESCRIPTION, NationalId::SCHEMA_PATTERN),
            (Nir::SCHEMA_DESCRIPTION, Nir::SCHEMA_PATTERN),
            (Finess::SCHEMA_DESCRIPTION, Finess::SCHEMA_PATTERN),
            (CpeNumber::SCHEMA_DESCRIPTION, CpeNumber::SCHEMA_PATTERN),
            (
                AccountIdentifier::SCHEMA_DESCRIPTION,
                AccountIdentifier::SCHEMA_PATTERN,
            ),
        ];
        match v {
            Value::Object(o) => {
                if let Some((d, p)) = described
                    .iter()
                    .find(|(d, _)| o.get("description").and_then(Value::as_str) == Some(*d))
                {
                    assert_eq!(o.get("pattern").and_then(Value::as_str), Some(*p), "{d}");
                    *found.entry(*d).or_default() += 1;
                }
                o.values().for_each(|v| walk(v, found));
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, found)),
            _ => {}
        }
    }
    walk(&doc, &mut found);
    assert!(found.len() >= 4, "identifier schemas found: {found:?}");
}
