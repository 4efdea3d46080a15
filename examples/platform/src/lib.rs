//! A ledger on PostgreSQL: accounts and transfers between them, refusing overdrafts.
//! Every call takes a [`postgres::GenericClient`], so it runs inside whatever
//! transaction or savepoint the caller holds.

use postgres::GenericClient;

/// The schema.
pub const SCHEMA: &str = "
    CREATE TABLE accounts (
        id bigserial PRIMARY KEY,
        owner text NOT NULL,
        balance bigint NOT NULL CHECK (balance >= 0)
    );
    CREATE TABLE transfers (
        id bigserial PRIMARY KEY,
        source bigint NOT NULL REFERENCES accounts (id),
        target bigint NOT NULL REFERENCES accounts (id),
        amount bigint NOT NULL CHECK (amount > 0)
    );";

/// Opens an account with `balance` cents; its id.
pub fn open(
    db: &mut impl GenericClient,
    owner: &str,
    balance: i64,
) -> Result<i64, postgres::Error> {
    Ok(db
        .query_one(
            "INSERT INTO accounts (owner, balance) VALUES ($1, $2) RETURNING id",
            &[&owner, &balance],
        )?
        .get(0))
}

/// An account's balance.
pub fn balance(db: &mut impl GenericClient, account: i64) -> Result<i64, postgres::Error> {
    Ok(db
        .query_one("SELECT balance FROM accounts WHERE id = $1", &[&account])?
        .get(0))
}

/// Moves `amount` from `source` to `target` in one nested transaction: all or nothing
/// (an overdraft violates the balance check and changes nothing).
pub fn transfer(
    db: &mut impl GenericClient,
    source: i64,
    target: i64,
    amount: i64,
) -> Result<(), postgres::Error> {
    let mut tx = db.transaction()?;
    tx.execute(
        "UPDATE accounts SET balance = balance - $2 WHERE id = $1",
        &[&source, &amount],
    )?;
    tx.execute(
        "UPDATE accounts SET balance = balance + $2 WHERE id = $1",
        &[&target, &amount],
    )?;
    tx.execute(
        "INSERT INTO transfers (source, target, amount) VALUES ($1, $2, $3)",
        &[&source, &target, &amount],
    )?;
    tx.commit()
}
