//! Real WebAuthn ceremonies with SoftPasskey from webauthn-authenticator-rs.

use reqwest::StatusCode;
use serde_json::{Value, json};
use vigie_backend::demo::{CLAIRE_BERNARD_RPPS, JEAN_MARTIN_RPPS};
use vigie_shared::{
    ErrorCode,
    api::passkey::{
        AuthenticationChallenge, AuthenticationFinish, RegistrationChallenge, RegistrationFinish,
    },
};
use webauthn_authenticator_rs::{WebauthnAuthenticator, softpasskey::SoftPasskey};

use crate::helpers::{TestApp, api_error, national_id, ok_json};

#[tokio::test]
async fn register_then_sign_in_opens_a_session() {
    let app = TestApp::spawn().await;
    let mut key = SoftPasskey::new(true);
    let registered = app.register_passkey(JEAN_MARTIN_RPPS, &mut key).await;
    assert_eq!(registered.label, "Téléphone");

    let response = app.sign_in_response(JEAN_MARTIN_RPPS, &mut key).await;
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(cookie.starts_with("vigie_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let token = cookie
        .trim_start_matches("vigie_session=")
        .split(';')
        .next()
        .expect("value");
    assert!(token.len() >= 22, "at least 128 random bits");
    let state: vigie_shared::api::session::SessionState = ok_json(response).await;
    assert_eq!(state.display_name, "Dr Jean Martin");
    assert_eq!(state.identifier, national_id(JEAN_MARTIN_RPPS).as_str());
    assert_eq!(
        state.stage,
        vigie_shared::api::session::SessionStage::Active
    );

    let current: vigie_shared::api::session::SessionState =
        ok_json(app.get("/api/session").await).await;
    assert_eq!(current.display_name, "Dr Jean Martin");
}

#[tokio::test]
async fn an_enrolment_token_works_once() {
    let app = TestApp::spawn().await;
    let token = app.enrolment_token(JEAN_MARTIN_RPPS).await;
    let mut key = SoftPasskey::new(true);
    let challenge: RegistrationChallenge = ok_json(
        app.post(
            "/api/passkeys/registration/start",
            &json!({ "enrolment_token": token }),
        )
        .await,
    )
    .await;
    let credential = key
        .do_registration(app.base.clone(), challenge.options)
        .expect("registers");
    let finish = RegistrationFinish {
        ceremony_id: challenge.ceremony_id,
        credential,
        label: None,
    };
    ok_json::<Value>(app.post("/api/passkeys/registration/finish", &finish).await).await;

    // Replaying the same finish: the ceremony is gone.
    let err = api_error(
        app.post("/api/passkeys/registration/finish", &finish).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(err.code, ErrorCode::CeremonyExpired);
    // The token cannot start another registration.
    let err = api_error(
        app.post(
            "/api/passkeys/registration/start",
            &json!({ "enrolment_token": token }),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(err.code, ErrorCode::EnrolmentInvalid);
}

#[tokio::test]
async fn unknown_or_expired_enrolment_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let err = api_error(
        app.post(
            "/api/passkeys/registration/start",
            &json!({ "enrolment_token": "not-a-token" }),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(err.code, ErrorCode::EnrolmentInvalid);
    let token = app.enrolment_token(JEAN_MARTIN_RPPS).await;
    app.clock().advance(chrono::Duration::minutes(31));
    let err = api_error(
        app.post(
            "/api/passkeys/registration/start",
            &json!({ "enrolment_token": token }),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(err.code, ErrorCode::EnrolmentInvalid);
}

#[tokio::test]
async fn unknown_identifier_gets_the_same_shape_of_challenge() {
    let app = TestApp::spawn().await;
    let mut key = SoftPasskey::new(true);
    app.register_passkey(JEAN_MARTIN_RPPS, &mut key).await;
    let known: Value = ok_json(
        app.post(
            "/api/passkeys/authentication/start",
            &json!({ "national_id": national_id(JEAN_MARTIN_RPPS) }),
        )
        .await,
    )
    .await;
    // A valid identifier nobody holds, and a real one without passkey.
    let unknown_id = national_id("10022222227");
    for other in [unknown_id.clone(), national_id(CLAIRE_BERNARD_RPPS)] {
        let decoy: Value = ok_json(
            app.post(
                "/api/passkeys/authentication/start",
                &json!({ "national_id": other }),
            )
            .await,
        )
        .await;
        assert_eq!(
            shape(&known),
            shape(&decoy),
            "the answer betrays whether {other} exists"
        );
        let real_id = known["options"]["publicKey"]["allowCredentials"][0]["id"]
            .as_str()
            .expect("id")
            .len();
        let decoy_id = decoy["options"]["publicKey"]["allowCredentials"][0]["id"]
            .as_str()
            .expect("id")
            .len();
        assert_eq!(real_id, decoy_id, "credential ids of the same length");
    }
    // Asking twice for the unknown identifier names the same decoy credential.
    let a: Value = ok_json(
        app.post(
            "/api/passkeys/authentication/start",
            &json!({ "national_id": unknown_id }),
        )
        .await,
    )
    .await;
    let b: Value = ok_json(
        app.post(
            "/api/passkeys/authentication/start",
            &json!({ "national_id": unknown_id }),
        )
        .await,
    )
    .await;
    assert_eq!(
        a["options"]["publicKey"]["allowCredentials"],
        b["options"]["publicKey"]["allowCredentials"]
    );
    assert_ne!(
        a["options"]["publicKey"]["challenge"],
        b["options"]["publicKey"]["challenge"]
    );
}

/// The JSON structure without its values.
fn shape(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(shape).collect()),
        Value::String(_) => json!("s"),
        Value::Number(_) => json!(0),
        other => other.clone(),
    }
}

#[tokio::test]
async fn a_challenge_is_answered_once() {
    let app = TestApp::spawn().await;
    let mut key = SoftPasskey::new(true);
    app.register_passkey(JEAN_MARTIN_RPPS, &mut key).await;
    let finish = app
        .signed_challenge(&app.client, JEAN_MARTIN_RPPS, &mut key)
        .await;
    ok_json::<Value>(
        app.post("/api/passkeys/authentication/finish", &finish)
            .await,
    )
    .await;
    let err = api_error(
        app.post("/api/passkeys/authentication/finish", &finish)
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(err.code, ErrorCode::CeremonyExpired);
}

#[tokio::test]
async fn another_professionals_key_does_not_open_a_session() {
    let app = TestApp::spawn().await;
    let mut jean = SoftPasskey::new(true);
    let mut claire = SoftPasskey::new(true);
    app.register_passkey(JEAN_MARTIN_RPPS, &mut jean).await;
    app.register_passkey(CLAIRE_BERNARD_RPPS, &mut claire).await;
    let challenge: AuthenticationChallenge = ok_json(
        app.post(
            "/api/passkeys/authentication/start",
            &json!({ "national_id": national_id(JEAN_MARTIN_RPPS) }),
        )
        .await,
    )
    .await;
    // Claire's authenticator does not hold Jean's credential: it cannot even answer.
    assert!(
        claire
            .do_authentication(app.base.clone(), challenge.options)
            .is_err()
    );
}

#[tokio::test]
async fn wrong_origin_is_rejected() {
    let app = TestApp::spawn().await;
    let mut key = SoftPasskey::new(true);
    app.register_passkey(JEAN_MARTIN_RPPS, &mut key).await;
    let challenge: AuthenticationChallenge = ok_json(
        app.post(
            "/api/passkeys/authentication/start",
            &json!({ "national_id": national_id(JEAN_MARTIN_RPPS) }),
        )
        .await,
    )
    .await;
    let phishing = url::Url::parse(&format!(
        "http://localhost:{}",
        app.base.port().expect("port") + 1
    ))
    .expect("url");
    let credential = key
        .do_authentication(phishing, challenge.options)
        .expect("the soft key signs anything");
    let r = app
        .post(
            "/api/passkeys/authentication/finish",
            &AuthenticationFinish {
                ceremony_id: challenge.ceremony_id,
                credential,
            },
        )
        .await;
    assert_eq!(
        api_error(r, StatusCode::BAD_REQUEST).await.code,
        ErrorCode::WebauthnRejected
    );
    assert_eq!(
        app.get("/api/session").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn decoy_challenges_never_open_a_session() {
    let app = TestApp::spawn().await;
    let challenge: AuthenticationChallenge = ok_json(
        app.post(
            "/api/passkeys/authentication/start",
            &json!({ "national_id": national_id(CLAIRE_BERNARD_RPPS) }),
        )
        .await,
    )
    .await;
    // Build a well-formed answer with a key registered for somebody else.
    let mut key = SoftPasskey::new(true);
    app.register_passkey(JEAN_MARTIN_RPPS, &mut key).await;
    let jean: AuthenticationChallenge = ok_json(
        app.post(
            "/api/passkeys/authentication/start",
            &json!({ "national_id": national_id(JEAN_MARTIN_RPPS) }),
        )
        .await,
    )
    .await;
    let credential = key
        .do_authentication(app.base.clone(), jean.options)
        .expect("signs");
    let r = app
        .post(
            "/api/passkeys/authentication/finish",
            &AuthenticationFinish {
                ceremony_id: challenge.ceremony_id,
                credential,
            },
        )
        .await;
    assert_eq!(
        api_error(r, StatusCode::BAD_REQUEST).await.code,
        ErrorCode::WebauthnRejected
    );
}

#[tokio::test]
async fn expired_ceremony_is_refused() {
    let app = TestApp::spawn().await;
    let mut key = SoftPasskey::new(true);
    app.register_passkey(JEAN_MARTIN_RPPS, &mut key).await;
    let challenge: AuthenticationChallenge = ok_json(
        app.post(
            "/api/passkeys/authentication/start",
            &json!({ "national_id": national_id(JEAN_MARTIN_RPPS) }),
        )
        .await,
    )
    .await;
    let credential = key
        .do_authentication(app.base.clone(), challenge.options)
        .expect("signs");
    app.clock().advance(chrono::Duration::seconds(121));
    let r = app
        .post(
            "/api/passkeys/authentication/finish",
            &AuthenticationFinish {
                ceremony_id: challenge.ceremony_id,
                credential,
            },
        )
        .await;
    assert_eq!(
        api_error(r, StatusCode::BAD_REQUEST).await.code,
        ErrorCode::CeremonyExpired
    );
}

#[tokio::test]
async fn user_verification_not_performed_is_rejected() {
    let app = TestApp::spawn().await;
    let mut key = SoftPasskey::new(true);
    app.register_passkey(JEAN_MARTIN_RPPS, &mut key).await;
    let mut challenge: AuthenticationChallenge = ok_json(
        app.post(
            "/api/passkeys/authentication/start",
            &json!({ "national_id": national_id(JEAN_MARTIN_RPPS) }),
        )
        .await,
    )
    .await;
    // A client that ignores the requirement: the authenticator signs without verifying the user.
    challenge.options.public_key.user_verification =
        webauthn_rs_proto::UserVerificationPolicy::Discouraged_DO_NOT_USE;
    let credential = key
        .do_authentication(app.base.clone(), challenge.options)
        .expect("signs without UV");
    let r = app
        .post(
            "/api/passkeys/authentication/finish",
            &AuthenticationFinish {
                ceremony_id: challenge.ceremony_id,
                credential,
            },
        )
        .await;
    assert_eq!(
        api_error(r, StatusCode::BAD_REQUEST).await.code,
        ErrorCode::WebauthnRejected
    );
    assert_eq!(
        app.get("/api/session").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

/// Sets every `counter` field of a stored passkey (a cloned authenticator would sign with a
/// counter at or below the one the server has seen).
fn bump_counters(v: &mut Value, to: u64) {
    match v {
        Value::Object(m) => {
            for (k, v) in m.iter_mut() {
                if k == "counter" {
                    *v = json!(to);
                } else {
                    bump_counters(v, to);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|v| bump_counters(v, to)),
        _ => {}
    }
}

#[tokio::test]
async fn signature_counter_regression_is_rejected() {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel};
    let app = TestApp::spawn().await;
    let mut key = SoftPasskey::new(true);
    app.register_passkey(JEAN_MARTIN_RPPS, &mut key).await;
    app.sign_in(JEAN_MARTIN_RPPS, &mut key).await;
    let row = vigie_backend::entities::credential::Entity::find()
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("passkey");
    let mut credential: Value = serde_json::from_str(&row.passkey).expect("json");
    bump_counters(&mut credential, 1000);
    let mut active = row.into_active_model();
    active.passkey = Set(credential.to_string());
    active.update(&app.state.db).await.expect("update");
    let r = app.sign_in_response(JEAN_MARTIN_RPPS, &mut key).await;
    assert_eq!(
        api_error(r, StatusCode::BAD_REQUEST).await.code,
        ErrorCode::WebauthnRejected
    );
}

/// Every sign-in challenge names exactly four credentials — a professional's own (one or two
/// here) padded with stable decoys, or decoys only for an identifier nobody holds — so the count
/// says nothing; and the padding is the same at every request (a diff would show the real ones).
#[tokio::test]
async fn every_challenge_names_the_same_number_of_credentials() {
    let app = TestApp::spawn().await;
    let (mut first, mut second) = (SoftPasskey::new(true), SoftPasskey::new(true));
    app.register_passkey(JEAN_MARTIN_RPPS, &mut first).await;
    let listed = |id: vigie_shared::NationalId| {
        let app = &app;
        async move {
            let v: Value = ok_json(
                app.post(
                    "/api/passkeys/authentication/start",
                    &json!({ "national_id": id }),
                )
                .await,
            )
            .await;
            v["options"]["publicKey"]["allowCredentials"]
                .as_array()
                .expect("list")
                .clone()
        }
    };
    let one = listed(national_id(JEAN_MARTIN_RPPS)).await;
    app.register_passkey(JEAN_MARTIN_RPPS, &mut second).await;
    let two = listed(national_id(JEAN_MARTIN_RPPS)).await;
    let nobody = listed(national_id("10022222227")).await;
    let no_passkey = listed(national_id(CLAIRE_BERNARD_RPPS)).await;
    for list in [&one, &two, &nobody, &no_passkey] {
        assert_eq!(list.len(), 4, "{list:?}");
        assert!(
            list.iter()
                .all(|c| c.get("transports").is_none_or(Value::is_null))
        );
    }
    // Jean's first passkey stays named; the second takes a decoy's place.
    assert_eq!(one[0], two[0]);
    assert!(
        !one.contains(&two[1]),
        "the second passkey is new to the list"
    );
    assert_eq!(two, listed(national_id(JEAN_MARTIN_RPPS)).await, "stable");
    assert_eq!(nobody, listed(national_id("10022222227")).await, "stable");
    // Both passkeys still sign in.
    app.sign_in(JEAN_MARTIN_RPPS, &mut first).await;
    app.sign_in(JEAN_MARTIN_RPPS, &mut second).await;
}

/// Labels with a hidden character: right-to-left override, NUL, zero-width space.
const HIDDEN_LABELS: [&str; 3] = ["Clé\u{202E}enohpéléT", "Clé\u{0}USB", "Clé\u{200B}USB"];

/// A passkey's name is shown back on the phone and in mails: a hidden character is refused
/// (400 `invalid_input`, in French), not stripped, and before the ceremony is taken, so the
/// same ceremony then finishes with a plain name.
#[tokio::test]
async fn a_passkey_label_with_hidden_characters_is_refused() {
    let app = TestApp::spawn().await;
    let token = app.enrolment_token(JEAN_MARTIN_RPPS).await;
    let mut key = SoftPasskey::new(true);
    let challenge: RegistrationChallenge = ok_json(
        app.post(
            "/api/passkeys/registration/start",
            &json!({ "enrolment_token": token }),
        )
        .await,
    )
    .await;
    let credential = key
        .do_registration(app.base.clone(), challenge.options)
        .expect("registers");
    let finish = |label: &str| RegistrationFinish {
        ceremony_id: challenge.ceremony_id,
        credential: credential.clone(),
        label: Some(label.to_owned()),
    };
    for label in HIDDEN_LABELS {
        let err = api_error(
            app.post("/api/passkeys/registration/finish", &finish(label))
                .await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(err.code, ErrorCode::InvalidInput, "{label:?}");
        assert!(err.message.contains("Nom de l'appareil"), "{}", err.message);
    }
    let registered: vigie_shared::api::passkey::RegisteredPasskey = ok_json(
        app.post("/api/passkeys/registration/finish", &finish("Clé USB"))
            .await,
    )
    .await;
    assert_eq!(registered.label, "Clé USB");
}

/// The same for a delegate's passkey, created from the manager's link.
#[tokio::test]
async fn a_staff_passkey_label_with_hidden_characters_is_refused() {
    let app = TestApp::spawn().await;
    let manager = crate::delegation::manager(&app).await;
    let (_, _, link) = crate::delegation::marie_link(&manager).await;
    let tablet = app.device();
    let challenge: RegistrationChallenge = ok_json(
        tablet
            .post(
                "/api/delegation/passkeys/registration/start",
                &json!({ "enrolment_token": link.enrolment_token }),
            )
            .await,
    )
    .await;
    let mut key = SoftPasskey::new(true);
    let credential = key
        .do_registration(app.base.clone(), challenge.options)
        .expect("registers");
    let finish = |label: &str| json!({ "ceremony_id": challenge.ceremony_id, "credential": credential, "label": label });
    for label in HIDDEN_LABELS {
        let err = api_error(
            tablet
                .post(
                    "/api/delegation/passkeys/registration/finish",
                    &finish(label),
                )
                .await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(err.code, ErrorCode::InvalidInput, "{label:?}");
        assert!(err.message.contains("Nom de l'appareil"), "{}", err.message);
    }
    let registered: vigie_shared::api::passkey::RegisteredPasskey = ok_json(
        tablet
            .post(
                "/api/delegation/passkeys/registration/finish",
                &finish("Tablette"),
            )
            .await,
    )
    .await;
    assert_eq!(registered.label, "Tablette");
}
