//! The API client's suite in three categories with their own worker caps (config
//! `[max_concurrency]`: unit 8, integration 4, e2e 10), all requests through the shared
//! 429-aware limiter, whose statistics print before the summary.

use example_support::{say, span};
use rate_limited_api::{order_total, parse_item, price_of, Item, Server};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// The API for this run: at most 3 requests in flight and 40 per 100 ms, so a parallel
/// run does get throttled.
fn api() -> Arc<Server> {
    partest::per_run(|| Server::start(3, 40, Duration::from_millis(100)))
}

/// The API's client: every request goes through partest's shared rate limiter, and a
/// 429 is retried with exponential backoff (`PARTEST_MAX_RETRIES`, …).
struct Client {
    addr: SocketAddr,
}

impl Client {
    /// A client of the server at `addr`.
    fn new(addr: SocketAddr) -> Client {
        Client { addr }
    }

    fn request(&self, method: &str, path: &str, body: &str) -> Result<String, u16> {
        let policy = partest::RetryPolicy::from_env();
        let outcome = partest::rate_limiter().retry(&policy, |_| {
            match rate_limited_api::send(self.addr, method, path, body) {
                Ok((429, _)) => partest::Attempt::Retry {
                    outcome: Err(429),
                    after: Some(Duration::ZERO),
                },
                Ok((200, body)) => partest::Attempt::Done(Ok(body)),
                Ok((status, _)) => partest::Attempt::Done(Err(status)),
                Err(_) => partest::Attempt::Done(Err(0)),
            }
        });
        outcome.unwrap_or_else(|last| last)
    }

    /// `GET /items/{id}`.
    fn item(&self, id: u32) -> Result<Item, u16> {
        self.request("GET", &format!("/items/{id}"), "")
            .map(|body| parse_item(&body).expect("the API sends well-formed items"))
    }

    /// `POST /orders` with a reference and a total.
    fn place_order(&self, reference: &str, total: u64) -> Result<(), u16> {
        self.request("POST", "/orders", &format!("{reference} {total}"))
            .map(drop)
    }

    /// `GET /orders/{reference}`: the total the API recorded.
    fn order(&self, reference: &str) -> Result<u64, u16> {
        self.request("GET", &format!("/orders/{reference}"), "")
            .map(|b| b.parse().unwrap_or(0))
    }
}

mod unit {
    use super::*;

    macro_rules! unit_tests {
        ($($name:ident: $id:expr;)*) => { $(
            #[partest::test(markers(unit))]
            fn $name() {
                span(|| {
                    let item = parse_item(&format!("id={};price={}", $id, price_of($id))).unwrap();
                    assert_eq!(item, Item { id: $id, price_cents: price_of($id) });
                    assert_eq!(order_total(&[(item.clone(), 3)]), 3 * item.price_cents);
                })
            }
        )* };
    }
    unit_tests! {
        parses_item_1: 1; parses_item_2: 2; parses_item_3: 3; parses_item_5: 5;
        parses_item_8: 8; parses_item_13: 13; parses_item_21: 21; parses_item_34: 34;
    }

    #[partest::test(markers(unit))]
    fn rejects_a_malformed_body() {
        span(|| {
            assert_eq!(parse_item("id=1;colour=red"), None);
            assert_eq!(parse_item("price=5"), None);
        })
    }
}

mod integration {
    use super::*;

    macro_rules! fetch_tests {
        ($($name:ident: $range:expr;)*) => { $(
            #[partest::test(markers(integration))]
            fn $name() {
                span(|| {
                    let client = Client::new(api().addr());
                    for id in $range {
                        let item = client.item(id).expect("every request succeeds in the end");
                        assert_eq!(item.price_cents, price_of(id));
                    }
                })
            }
        )* };
    }
    fetch_tests! {
        fetches_items_0_to_19: 0..20; fetches_items_20_to_39: 20..40;
        fetches_items_40_to_59: 40..60; fetches_items_60_to_79: 60..80;
        fetches_items_80_to_99: 80..100; fetches_items_100_to_119: 100..120;
    }

    #[partest::test(markers(integration))]
    fn an_unknown_path_is_404_not_retried() {
        span(|| {
            let client = Client::new(api().addr());
            assert_eq!(client.order("no-such-order"), Err(404));
        })
    }
}

mod e2e {
    use super::*;

    fn order_round_trip(n: u32) {
        span(|| {
            let client = Client::new(api().addr());
            let lines: Vec<(Item, u32)> = (n..n + 4)
                .map(|id| (client.item(id).unwrap(), id % 3 + 1))
                .collect();
            let total = order_total(&lines);
            let reference = partest::unique_test_id();
            client.place_order(&reference, total).unwrap();
            assert_eq!(client.order(&reference), Ok(total));
            say(&format!("e2e: order {n} for {total} cents confirmed"));
        })
    }

    #[partest::test(markers(e2e))]
    fn orders_a_basket_1() {
        order_round_trip(1)
    }

    #[partest::test(markers(e2e))]
    fn orders_a_basket_2() {
        order_round_trip(10)
    }

    #[partest::test(markers(e2e))]
    fn orders_a_basket_3() {
        order_round_trip(20)
    }

    #[partest::test(markers(e2e))]
    fn orders_a_basket_4() {
        order_round_trip(30)
    }

    /// The server never served more requests at once than it allows: the limiter's cap
    /// and the 429 retries kept every test within it.
    #[partest::test(markers(e2e))]
    fn the_server_never_exceeded_its_concurrency() {
        span(|| {
            let server = api();
            let client = Client::new(server.addr());
            for id in 0..10 {
                client.item(id).unwrap();
            }
            let peak = server
                .stats()
                .peak_in_flight
                .load(std::sync::atomic::Ordering::SeqCst);
            assert!((1..=3).contains(&peak), "peak in flight {peak}");
        })
    }
}

partest::main!();
