use serde_json::Value;

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
        ("get", "/api/approver/requests"),
        ("get", "/api/approver/events"),
        ("post", "/api/approver/requests/{id}/code"),
        ("post", "/api/approver/requests/{id}/approve"),
        ("post", "/api/approver/requests/{id}/refuse"),
        ("post", "/api/approver/requests/{id}/report"),
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
