//! A catalogue API and its client. [`Server`] is the API, on loopback: it answers
//! `429 Too Many Requests` (with `Retry-After`) to a request beyond `max_in_flight`
//! concurrent ones or beyond `per_window` requests in any `window`. [`send`] is one
//! request; the tests' client wraps it in partest's 429-aware rate limiter.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// An item of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Its id.
    pub id: u32,
    /// Its price in cents.
    pub price_cents: u64,
}

/// The price the catalogue gives item `id`.
pub fn price_of(id: u32) -> u64 {
    u64::from(id) * 125 + 99
}

/// Parses the API's `id=…;price=…` body.
pub fn parse_item(body: &str) -> Option<Item> {
    let mut id = None;
    let mut price = None;
    for field in body.trim().split(';') {
        match field.split_once('=')? {
            ("id", v) => id = v.parse().ok(),
            ("price", v) => price = v.parse().ok(),
            _ => return None,
        }
    }
    Some(Item {
        id: id?,
        price_cents: price?,
    })
}

/// The total of an order of `(item, quantity)` lines, in cents.
pub fn order_total(lines: &[(Item, u32)]) -> u64 {
    lines
        .iter()
        .map(|(item, n)| item.price_cents * u64::from(*n))
        .sum()
}

/// What the server saw.
#[derive(Debug, Default)]
pub struct ServerStats {
    /// Requests answered 200.
    pub served: AtomicU64,
    /// Requests answered 429.
    pub throttled: AtomicU64,
    /// The most requests in flight at once that were served.
    pub peak_in_flight: AtomicUsize,
    in_flight: AtomicUsize,
}

/// The API server: one thread per connection, stopped when dropped.
pub struct Server {
    addr: SocketAddr,
    stats: Arc<ServerStats>,
    stop: Arc<AtomicBool>,
}

struct Limits {
    max_in_flight: usize,
    per_window: usize,
    window: Duration,
    recent: Mutex<Vec<Instant>>,
    orders: Mutex<Vec<(String, u64)>>,
}

impl Server {
    /// Starts the API on a free loopback port.
    pub fn start(max_in_flight: usize, per_window: usize, window: Duration) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binds a loopback port");
        let addr = listener.local_addr().expect("has an address");
        let stats = Arc::new(ServerStats::default());
        let stop = Arc::new(AtomicBool::new(false));
        let limits = Arc::new(Limits {
            max_in_flight,
            per_window,
            window,
            recent: Mutex::new(Vec::new()),
            orders: Mutex::new(Vec::new()),
        });
        let (s, st) = (Arc::clone(&stop), Arc::clone(&stats));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let (limits, stats) = (Arc::clone(&limits), Arc::clone(&st));
                std::thread::spawn(move || handle(stream, &limits, &stats));
            }
        });
        Server { addr, stats, stop }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// What it saw so far.
    pub fn stats(&self) -> &ServerStats {
        &self.stats
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr); // wakes the accept loop
    }
}

fn handle(mut stream: TcpStream, limits: &Limits, stats: &ServerStats) {
    let mut request_line = String::new();
    let mut reader = BufReader::new(&stream);
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut length = 0;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
            break;
        }
        if let Some(v) = header.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    let in_flight = stats.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    let admitted = in_flight <= limits.max_in_flight && {
        let now = Instant::now();
        let mut recent = limits.recent.lock().unwrap();
        recent.retain(|t| now.duration_since(*t) < limits.window);
        let ok = recent.len() < limits.per_window;
        if ok {
            recent.push(now);
        }
        ok
    };
    let reply = if admitted {
        stats.peak_in_flight.fetch_max(in_flight, Ordering::SeqCst);
        // The work a real endpoint does: long enough for requests to overlap.
        std::thread::sleep(Duration::from_millis(2));
        stats.served.fetch_add(1, Ordering::SeqCst);
        route(&request_line, &String::from_utf8_lossy(&body), limits)
    } else {
        stats.throttled.fetch_add(1, Ordering::SeqCst);
        (429, "retry later".to_owned())
    };
    stats.in_flight.fetch_sub(1, Ordering::SeqCst);
    let status = match reply.0 {
        200 => "200 OK",
        404 => "404 Not Found",
        _ => "429 Too Many Requests\r\nRetry-After: 0",
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        reply.1.len(),
        reply.1
    );
}

fn route(request_line: &str, body: &str, limits: &Limits) -> (u16, String) {
    let mut parts = request_line.split_whitespace();
    match (parts.next(), parts.next()) {
        (Some("GET"), Some(path)) if path.starts_with("/orders/") => {
            let reference = &path["/orders/".len()..];
            let orders = limits.orders.lock().unwrap();
            match orders.iter().find(|(r, _)| r == reference) {
                Some((_, total)) => (200, total.to_string()),
                None => (404, String::new()),
            }
        }
        (Some("GET"), Some(path)) => match path.strip_prefix("/items/").map(str::parse::<u32>) {
            Some(Ok(id)) => (200, format!("id={id};price={}", price_of(id))),
            _ => (404, String::new()),
        },
        (Some("POST"), Some("/orders")) => {
            let (reference, total) = body.split_once(' ').unwrap_or((body, "0"));
            let total = total.trim().parse().unwrap_or(0);
            limits
                .orders
                .lock()
                .unwrap()
                .push((reference.to_owned(), total));
            (200, "accepted".to_owned())
        }
        _ => (404, String::new()),
    }
}

/// One HTTP request; the status and body.
pub fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &str,
) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(addr)?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: api\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply)?;
    let status = reply
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = reply
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    Ok((status, body))
}
