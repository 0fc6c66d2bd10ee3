//! Password hashing (Argon2id, OWASP parameters) and the strength rule: a minimum length and
//! zxcvbn's estimate, fed with French words and the account's own names so that "azerty",
//! "motdepasse" or the structure's name never pass.

use std::sync::OnceLock;

use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version,
    password_hash::SaltString,
};
use rand::RngCore;
use vigie_shared::{ApiError, ErrorCode};

use crate::error::{AppError, AppResult};

/// Longest password accepted: enough for any passphrase, short enough that hashing stays cheap.
pub const MAX_LENGTH: usize = 128;

/// Words French users reach for, on top of zxcvbn's English lists.
const FRENCH_COMMON: &[&str] = &[
    "azerty",
    "azertyuiop",
    "motdepasse",
    "soleil",
    "bonjour",
    "doudou",
    "chouchou",
    "marseille",
    "paris",
    "france",
    "vaccin",
    "vaccination",
    "covid",
    "centre",
    "hopital",
    "sante",
    "vigie",
    "ameli",
    "amelipro",
];

fn argon2() -> Argon2<'static> {
    // OWASP's first recommendation for Argon2id: 19 MiB, 2 passes, 1 lane.
    let params = Params::new(19 * 1024, 2, 1, None).expect("static Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) of a password.
pub fn hash(password: &str) -> AppResult<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(AppError::internal)?;
    Ok(argon2()
        .hash_password(password.as_bytes(), &salt)
        .map_err(AppError::internal)?
        .to_string())
}

pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|parsed| {
            argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to check against when the identifier is unknown, so the answer takes as long.
pub fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash("decoy password, never valid").expect("hashing a constant"))
}

/// Hashing is deliberately slow: keep it off the async workers.
/// Argon2 runs at most one per core at a time (each takes 19 MiB and a core for tens of
/// milliseconds): a flood of anonymous sign-ins queues instead of exhausting memory and the
/// blocking pool, and beyond `MAX_WAITING` callers in the queue it is refused at once.
struct Gate {
    running: tokio::sync::Semaphore,
    waiting: std::sync::atomic::AtomicUsize,
}

const MAX_WAITING: usize = 256;

static GATE: std::sync::LazyLock<Gate> = std::sync::LazyLock::new(|| Gate {
    running: tokio::sync::Semaphore::new(
        std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
    ),
    waiting: std::sync::atomic::AtomicUsize::new(0),
});

pub async fn gated<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> AppResult<T> {
    use std::sync::atomic::Ordering;
    /// One place in the queue, given back however the wait ends (served, or the caller gone).
    struct Waiting;
    impl Drop for Waiting {
        fn drop(&mut self) {
            GATE.waiting.fetch_sub(1, Ordering::SeqCst);
        }
    }
    let waiting = Waiting;
    if GATE.waiting.fetch_add(1, Ordering::SeqCst) >= MAX_WAITING {
        return Err(AppError::with_message(
            ErrorCode::RateLimited,
            "Le service est très sollicité : réessayez dans un instant.",
        ));
    }
    let permit = GATE.running.acquire().await;
    drop(waiting);
    let _permit = permit.map_err(AppError::internal)?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(AppError::internal)
}

pub async fn hash_blocking(password: String) -> AppResult<String> {
    gated(move || hash(&password)).await?
}

pub async fn verify_blocking(password: String, phc: String) -> AppResult<bool> {
    gated(move || verify(&password, &phc)).await
}

fn weak(message: impl Into<String>) -> AppError {
    AppError::Api(ApiError::new(ErrorCode::WeakPassword, message))
}

/// Refuses short, long and guessable passwords. `personal` holds the account's identifier and
/// names: a password built from them is guessable by whoever knows the structure.
pub fn check_strength(password: &str, min_length: usize, personal: &[&str]) -> AppResult<()> {
    let length = password.chars().count();
    if length < min_length {
        return Err(weak(format!(
            "Le mot de passe doit compter au moins {min_length} caractères ({length} saisis)."
        )));
    }
    if length > MAX_LENGTH {
        return Err(weak(format!(
            "Le mot de passe ne peut pas dépasser {MAX_LENGTH} caractères."
        )));
    }
    let mut inputs: Vec<&str> = FRENCH_COMMON.to_vec();
    inputs.extend(personal.iter().flat_map(|s| s.split_whitespace()));
    let estimate = zxcvbn::zxcvbn(password, &inputs);
    if u8::from(estimate.score()) < 3 {
        return Err(weak(
            "Ce mot de passe est trop facile à deviner (mot courant, suite de touches, nom de \
             la structure…). Une phrase de plusieurs mots peu courants convient bien.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One Argon2 per core at most, whatever the callers; a caller that gives up while waiting
    /// gives its place back; past the queue's bound, refused at once with 429 — and every queued
    /// caller is served once the work drains.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn argon2_runs_one_per_core_and_refuses_past_its_queue() {
        use std::sync::{
            Arc,
            atomic::{AtomicBool, AtomicUsize, Ordering},
        };
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        let go = Arc::new(AtomicBool::new(false));
        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let caller = || {
            let (go, running, most) = (go.clone(), running.clone(), most.clone());
            tokio::spawn(gated(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                while !go.load(Ordering::SeqCst) {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                running.fetch_sub(1, Ordering::SeqCst);
            }))
        };
        let mut callers: Vec<_> = (0..cores).map(|_| caller()).collect();
        while running.load(Ordering::SeqCst) < cores {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        // Every core busy: this one waits, gives up, and its place is free again.
        let gave_up =
            tokio::time::timeout(std::time::Duration::from_millis(20), gated(|| ())).await;
        assert!(gave_up.is_err(), "it had to wait");
        assert_eq!(GATE.waiting.load(Ordering::SeqCst), 0);
        callers.extend((0..MAX_WAITING).map(|_| caller()));
        while GATE.waiting.load(Ordering::SeqCst) < MAX_WAITING {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let refused = gated(|| ()).await.expect_err("the queue is full");
        assert!(
            matches!(&refused, AppError::Api(e) if e.code == ErrorCode::RateLimited),
            "{refused:?}"
        );
        go.store(true, Ordering::SeqCst);
        for c in callers {
            c.await.expect("task").expect("served");
        }
        assert_eq!(most.load(Ordering::SeqCst), cores);
        assert_eq!(GATE.waiting.load(Ordering::SeqCst), 0);
        // Drained: a new caller is served.
        gated(|| ()).await.expect("served");
    }

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let a = hash("une longue phrase secrète").expect("hash");
        let b = hash("une longue phrase secrète").expect("hash");
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(verify("une longue phrase secrète", &a));
        assert!(!verify("une longue phrase secrete", &a));
        assert!(!verify("anything", "not a phc string"));
    }

    #[test]
    fn common_short_and_personal_passwords_are_refused() {
        for common in [
            "azertyuiop123",
            "motdepasse2024",
            "Password1234",
            "123456789012",
        ] {
            assert!(
                check_strength(common, 12, &[]).is_err(),
                "{common} should be refused"
            );
        }
        assert!(check_strength("court", 12, &[]).is_err());
        assert!(check_strength(&"x".repeat(129), 12, &[]).is_err());
        assert!(
            check_strength("Melun770012342", 12, &["770012342", "Centre de Melun"]).is_err(),
            "the structure's own identifier and name"
        );
        assert!(check_strength("cheval violet mange 7 nuages", 12, &[]).is_ok());
    }
}
