//! The VAPID token (RFC 8292): a JWT signed ES256 with the server's key, naming the push
//! service's origin (`aud`), when it expires (`exp`, at most 24 h ahead) and whom to contact
//! (`sub`). Three base64url parts: a dozen lines, no JWT library needed.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use p256::ecdsa::{Signature, SigningKey, signature::Signer};

/// How long a token is valid (RFC 8292 allows up to 24 h).
pub const VALIDITY: chrono::Duration = chrono::Duration::hours(12);

/// The `Authorization` header value for a push to `endpoint`.
pub fn authorization(
    key: &SigningKey,
    public_key: &str,
    endpoint: &url::Url,
    contact: &str,
    now: DateTime<Utc>,
) -> String {
    format!(
        "vapid t={}, k={public_key}",
        token(key, endpoint, contact, now)
    )
}

/// The signed JWT.
pub fn token(key: &SigningKey, endpoint: &url::Url, contact: &str, now: DateTime<Utc>) -> String {
    let header = serde_json::json!({ "typ": "JWT", "alg": "ES256" });
    let claims = serde_json::json!({
        "aud": endpoint.origin().ascii_serialization(),
        "exp": (now + VALIDITY).timestamp(),
        "sub": contact,
    });
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    // JWS ES256: the raw r ‖ s (64 bytes), not DER.
    let signature: Signature = key.sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::{
        ecdsa::{VerifyingKey, signature::Verifier},
        elliptic_curve::Generate,
    };

    #[test]
    fn the_token_names_the_origin_and_verifies() {
        let key = SigningKey::try_generate().expect("key");
        let now = Utc::now();
        let endpoint = url::Url::parse("http://127.0.0.1:8443/push/abc?x=1").expect("url");
        let jwt = token(&key, &endpoint, "mailto:ops@example.org", now);
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("json");
        // The origin keeps a port that is not the scheme's default, and nothing of the path.
        assert_eq!(claims["aud"], "http://127.0.0.1:8443");
        assert_eq!(claims["sub"], "mailto:ops@example.org");
        let exp = claims["exp"].as_i64().expect("exp");
        assert!(exp > now.timestamp() && exp <= (now + chrono::Duration::hours(24)).timestamp());
        let sig = Signature::from_slice(&URL_SAFE_NO_PAD.decode(parts[2]).expect("b64"))
            .expect("64-byte signature");
        let public = VerifyingKey::from(&key);
        public
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)
            .expect("signature verifies");
        let https = url::Url::parse("https://fcm.googleapis.com:443/fcm/send/x").expect("url");
        let jwt = token(&key, &https, "mailto:a@b", now);
        let claims: serde_json::Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(jwt.split('.').nth(1).expect("claims"))
                .expect("b64"),
        )
        .expect("json");
        assert_eq!(claims["aud"], "https://fcm.googleapis.com");
    }
}
