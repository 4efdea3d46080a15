//! An OAuth client registry kept in Redis: clients are registered under unique names (a
//! taken name is a 409 conflict) and get tokens whose lifetime is a global setting.

use redis::Commands;

/// The token lifetime when none is configured.
pub const DEFAULT_TOKEN_TTL: u64 = 3600;

/// Why a registration was refused.
#[derive(Debug)]
pub enum RegisterError {
    /// The name is taken (HTTP 409).
    Conflict,
    /// Redis failed.
    Redis(redis::RedisError),
}

impl RegisterError {
    /// The HTTP status the gateway answers with.
    pub fn status(&self) -> u16 {
        match self {
            RegisterError::Conflict => 409,
            RegisterError::Redis(_) => 500,
        }
    }
}

impl From<redis::RedisError> for RegisterError {
    fn from(e: redis::RedisError) -> Self {
        RegisterError::Redis(e)
    }
}

/// The registry, on one Redis connection.
pub struct Registry {
    con: redis::Connection,
}

impl Registry {
    /// Connects to the registry's database.
    pub fn connect(url: &str) -> redis::RedisResult<Registry> {
        Ok(Registry {
            con: redis::Client::open(url)?.get_connection()?,
        })
    }

    /// Registers a client named `name`; its id, or `Conflict` when the name is taken.
    pub fn register(&mut self, name: &str, redirect_uri: &str) -> Result<String, RegisterError> {
        let id: u64 = self.con.incr("clients:next_id", 1)?;
        let id = format!("client-{id}");
        let claimed: bool = redis::cmd("SET")
            .arg(format!("client_name:{name}"))
            .arg(&id)
            .arg("NX")
            .query::<Option<String>>(&mut self.con)?
            .is_some();
        if !claimed {
            return Err(RegisterError::Conflict);
        }
        let _: () = self.con.hset_multiple(
            format!("client:{id}"),
            &[("name", name), ("redirect_uri", redirect_uri)],
        )?;
        Ok(id)
    }

    /// The name a client was registered under.
    pub fn client_name(&mut self, id: &str) -> redis::RedisResult<Option<String>> {
        self.con.hget(format!("client:{id}"), "name")
    }

    /// Removes a client and frees its name.
    pub fn unregister(&mut self, id: &str) -> redis::RedisResult<()> {
        let name: Option<String> = self.client_name(id)?;
        if let Some(name) = name {
            let _: () = self.con.del(format!("client_name:{name}"))?;
        }
        self.con.del(format!("client:{id}"))
    }

    /// The token lifetime in force (global: every client's new tokens get it).
    pub fn token_ttl(&mut self) -> redis::RedisResult<u64> {
        let ttl: Option<u64> = self.con.get("config:token_ttl")?;
        Ok(ttl.unwrap_or(DEFAULT_TOKEN_TTL))
    }

    /// Changes the token lifetime for every client.
    pub fn set_token_ttl(&mut self, seconds: u64) -> redis::RedisResult<()> {
        self.con.set("config:token_ttl", seconds)
    }

    /// Issues a token for `client_id` with the lifetime in force; the token and the
    /// lifetime Redis holds it for.
    pub fn issue_token(&mut self, client_id: &str, token: &str) -> redis::RedisResult<u64> {
        let ttl = self.token_ttl()?;
        let _: () = self.con.set_ex(format!("token:{token}"), client_id, ttl)?;
        self.con.ttl(format!("token:{token}"))
    }
}
