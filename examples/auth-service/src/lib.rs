//! An auth service on PostgreSQL: users with salted password digests, sessions with an
//! expiry. Every call takes a [`tokio_postgres::GenericClient`], so tests can run it
//! inside a transaction they roll back.

use tokio_postgres::error::SqlState;
use tokio_postgres::GenericClient;

/// The schema the service runs on.
pub const SCHEMA: &str = "
    CREATE TABLE users (
        id bigserial PRIMARY KEY,
        email text NOT NULL UNIQUE,
        salt text NOT NULL,
        digest text NOT NULL
    );
    CREATE TABLE sessions (
        token text PRIMARY KEY,
        user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        expires_at timestamptz NOT NULL
    );";

/// Why a call was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum AuthError {
    /// The email is registered already.
    DuplicateEmail,
    /// Unknown email or wrong password.
    BadCredentials,
    /// Unknown or expired session.
    NoSession,
    /// The database failed.
    Database(String),
}

impl From<tokio_postgres::Error> for AuthError {
    fn from(e: tokio_postgres::Error) -> Self {
        if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
            AuthError::DuplicateEmail
        } else {
            AuthError::Database(e.to_string())
        }
    }
}

/// Whether `email` looks like an address (one `@`, something on each side, a dot after).
pub fn valid_email(email: &str) -> bool {
    match email.split_once('@') {
        Some((user, domain)) => {
            !user.is_empty()
                && !domain.contains('@')
                && domain.split('.').all(|p| !p.is_empty())
                && domain.contains('.')
        }
        None => false,
    }
}

/// Registers a user; their id.
pub async fn register(
    db: &impl GenericClient,
    email: &str,
    password: &str,
) -> Result<i64, AuthError> {
    let row = db
        .query_one(
            "INSERT INTO users (email, salt, digest)
             SELECT $1, s, md5(s || $2) FROM (SELECT md5(random()::text) AS s) AS salt
             RETURNING id",
            &[&email, &password],
        )
        .await?;
    Ok(row.get(0))
}

/// Checks the password and opens a session valid for `minutes`; its token.
pub async fn login(
    db: &impl GenericClient,
    email: &str,
    password: &str,
    minutes: i32,
) -> Result<String, AuthError> {
    let row = db
        .query_opt(
            "INSERT INTO sessions (token, user_id, expires_at)
             SELECT md5(random()::text || id::text), id, now() + make_interval(mins => $3)
             FROM users WHERE email = $1 AND digest = md5(salt || $2)
             RETURNING token",
            &[&email, &password, &minutes],
        )
        .await?;
    row.map(|r| r.get(0)).ok_or(AuthError::BadCredentials)
}

/// The user a live session belongs to.
pub async fn whoami(db: &impl GenericClient, token: &str) -> Result<i64, AuthError> {
    let row = db
        .query_opt(
            "SELECT user_id FROM sessions WHERE token = $1 AND expires_at > now()",
            &[&token],
        )
        .await?;
    row.map(|r| r.get(0)).ok_or(AuthError::NoSession)
}
