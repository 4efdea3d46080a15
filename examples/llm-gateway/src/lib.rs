//! An LLM gateway: completions are cached in Redis (keyed by the normalised prompt,
//! expiring after `GATEWAY_CACHE_TTL` seconds, default 300), hits and misses are counted
//! there, and each answer can be appended to a transcript file.

use redis::Commands;
use std::io::Write;
use std::path::Path;

/// The cache key of a prompt: case and runs of whitespace do not matter.
pub fn cache_key(model: &str, prompt: &str) -> String {
    let normal: Vec<String> = prompt.split_whitespace().map(str::to_lowercase).collect();
    format!("completion:{model}:{}", normal.join(" "))
}

/// How long cached completions live: `GATEWAY_CACHE_TTL` seconds, default 300.
pub fn cache_ttl() -> u64 {
    std::env::var("GATEWAY_CACHE_TTL")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

/// The gateway in front of an upstream model.
pub struct Gateway<U: FnMut(&str) -> Result<String, u16>> {
    con: redis::Connection,
    model: String,
    upstream: U,
}

impl<U: FnMut(&str) -> Result<String, u16>> Gateway<U> {
    /// A gateway caching in the Redis database at `url`, asking `upstream` on a miss.
    pub fn new(url: &str, model: &str, upstream: U) -> redis::RedisResult<Self> {
        Ok(Gateway {
            con: redis::Client::open(url)?.get_connection()?,
            model: model.to_owned(),
            upstream,
        })
    }

    /// The completion of `prompt`: from the cache, else from upstream (then cached).
    /// An upstream error status is passed on, and nothing is cached.
    pub fn complete(&mut self, prompt: &str) -> Result<String, u16> {
        let key = cache_key(&self.model, prompt);
        let cached: Option<String> = self.con.get(&key).map_err(|_| 502u16)?;
        if let Some(answer) = cached {
            let _: u64 = self.con.incr("stats:hits", 1).map_err(|_| 502u16)?;
            return Ok(answer);
        }
        let answer = (self.upstream)(prompt)?;
        let _: () = self
            .con
            .set_ex(&key, &answer, cache_ttl())
            .map_err(|_| 502u16)?;
        let _: u64 = self.con.incr("stats:misses", 1).map_err(|_| 502u16)?;
        Ok(answer)
    }

    /// `(hits, misses)` so far.
    pub fn stats(&mut self) -> redis::RedisResult<(u64, u64)> {
        let hits: Option<u64> = self.con.get("stats:hits")?;
        let misses: Option<u64> = self.con.get("stats:misses")?;
        Ok((hits.unwrap_or(0), misses.unwrap_or(0)))
    }

    /// Seconds until the cached completion of `prompt` expires (-2 when not cached).
    pub fn expires_in(&mut self, prompt: &str) -> redis::RedisResult<i64> {
        self.con.ttl(cache_key(&self.model, prompt))
    }
}

/// Appends `prompt` and `answer` to the transcript in `dir`; the transcript's path.
pub fn append_transcript(
    dir: &Path,
    prompt: &str,
    answer: &str,
) -> std::io::Result<std::path::PathBuf> {
    let path = dir.join("transcript.txt");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)?;
    writeln!(file, "> {prompt}\n{answer}")?;
    Ok(path)
}
