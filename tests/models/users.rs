use std::time::Instant;

use sifilma::models::{
    uploads::{check_photo, Kind},
    users::{hash_password, LoginOutcome, LoginRefusal, Model as User},
    AppError,
};

use crate::support::{account, with_db, PASSWORD};

#[test]
fn passwords_are_hashed_with_argon2id_and_a_fresh_salt() {
    let a = hash_password("Rahasia-Sekali-2026");
    let b = hash_password("Rahasia-Sekali-2026");
    assert!(a.starts_with("$argon2id$"));
    assert_ne!(a, b);
}

async fn timed(ctx: &loco_rs::app::AppContext, username: &str) -> (std::time::Duration, LoginOutcome) {
    let start = Instant::now();
    let outcome = User::login(&ctx.db, username, "bukan-password-nya", "10.0.0.1", "uji").await.unwrap();
    (start.elapsed(), outcome)
}

/// An unknown user is checked against a dummy hash, so the refusal costs
/// about as much as a wrong password: the time does not tell which it was.
#[tokio::test]
async fn unknown_user_costs_the_same_as_a_wrong_password() {
    with_db(|ctx| async move {
        account(&ctx, "bank_abc", "lembaga", "active").await;
        timed(&ctx, "pemanasan").await;
        let (mut known, mut unknown) = (std::time::Duration::ZERO, std::time::Duration::ZERO);
        for i in 0..4 {
            let (t, outcome) = timed(&ctx, "bank_abc").await;
            assert!(matches!(outcome, LoginOutcome::Refused(LoginRefusal::BadCredentials)));
            known += t;
            let (t, outcome) = timed(&ctx, &format!("tidak_ada_{i}")).await;
            assert!(matches!(outcome, LoginOutcome::Refused(LoginRefusal::BadCredentials)));
            unknown += t;
        }
        let ratio = unknown.as_secs_f64() / known.as_secs_f64();
        assert!((0.5..2.0).contains(&ratio), "unknown {unknown:?} vs wrong password {known:?}");
    })
    .await;
}

#[tokio::test]
async fn the_right_password_signs_in_case_insensitively_on_the_username() {
    with_db(|ctx| async move {
        account(&ctx, "pt_nyra", "produsen", "active").await;
        match User::login(&ctx.db, "  PT_NYRA ", PASSWORD, "10.0.0.2", "uji").await.unwrap() {
            LoginOutcome::SignedIn { token, user } => {
                assert_eq!(token.len(), 64);
                assert!(user.last_login_at.is_some());
            }
            LoginOutcome::Refused(r) => panic!("refused: {r:?}"),
        }
    })
    .await;
}

#[test]
fn photos_are_recognised_by_content() {
    assert_eq!(Kind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(Kind::Jpeg));
    assert_eq!(Kind::sniff(b"\x89PNG\r\n\x1a\nrest"), Some(Kind::Png));
    assert_eq!(Kind::sniff(b"%PDF-1.7"), Some(Kind::Pdf));
    assert_eq!(Kind::sniff(b"<html>"), None);
    assert!(matches!(check_photo(b""), Err(AppError::Invalid(_))));
    assert!(matches!(check_photo(b"MZ\x90\x00 executable"), Err(AppError::Invalid(_))));
    assert!(matches!(check_photo(b"%PDF-1.7"), Err(AppError::Invalid(_))));
    assert_eq!(check_photo(&[0xFF, 0xD8, 0xFF, 0xE0, 1, 2]).unwrap(), Kind::Jpeg);
}
