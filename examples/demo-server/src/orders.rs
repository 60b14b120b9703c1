//! The orders API: a write with a visible side effect that is not idempotent by itself.
//!
//! Every execution of `POST /orders` appends the order to a journal (a JSON line in
//! `orders.jsonl` under the data directory, synced before the response), so that the execution
//! count survives a crash and shows whether a retry ran the handler again.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Json;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use error_mapping::{Problem, ProblemError};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

/// What a client asks for.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOrder {
    /// What is ordered.
    pub item: String,
    /// How many.
    pub quantity: u32,
}

/// An order as stored and returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// Its id, in order of execution.
    pub id: u64,
    /// What was ordered.
    pub item: String,
    /// How many.
    pub quantity: u32,
}

/// `?delay_ms=`: holds the handler so that a duplicate can be sent while it is in flight.
#[derive(Debug, Deserialize)]
pub(crate) struct Processing {
    #[serde(default)]
    delay_ms: u64,
}

/// The longest processing delay a client may ask for.
const MAX_DELAY: Duration = Duration::from_secs(30);

/// Every order executed, kept in memory and journaled to disk.
#[derive(Debug)]
pub struct OrderBook {
    orders: Mutex<BTreeMap<u64, Order>>,
    journal: Mutex<File>,
    in_progress: AtomicUsize,
}

impl OrderBook {
    /// Opens (or creates) the journal at `dir/orders.jsonl` and loads the orders in it.
    pub fn open(dir: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let path = journal_path(dir);
        let mut orders = BTreeMap::new();
        if path.exists() {
            for (index, line) in BufReader::new(File::open(&path)?).lines().enumerate() {
                let line = line?;
                let order: Order = serde_json::from_str(&line).map_err(|err| {
                    let at = format!("{}:{}", path.display(), index + 1);
                    std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{at}: {err}"))
                })?;
                orders.insert(order.id, order);
            }
        }
        let journal = OpenOptions::new().create(true).append(true).open(&path)?;
        Ok(Self {
            orders: Mutex::new(orders),
            journal: Mutex::new(journal),
            in_progress: AtomicUsize::new(0),
        })
    }

    /// How many times the create handler has run to completion, across restarts.
    pub fn executions(&self) -> usize {
        self.orders.lock().len()
    }

    fn create(&self, new: NewOrder) -> std::io::Result<Order> {
        let mut orders = self.orders.lock();
        let id = orders.keys().next_back().map_or(1, |last| last + 1);
        let order = Order {
            id,
            item: new.item,
            quantity: new.quantity,
        };
        let mut line = serde_json::to_vec(&order).expect("an order serializes");
        line.push(b'\n');
        let mut journal = self.journal.lock();
        journal.write_all(&line)?;
        journal.sync_data()?;
        orders.insert(id, order.clone());
        Ok(order)
    }
}

fn journal_path(dir: &Path) -> PathBuf {
    dir.join("orders.jsonl")
}

/// `POST /orders`: executes the order (the side effect), after the requested delay.
pub(crate) async fn create(
    State(book): State<Arc<OrderBook>>,
    Query(processing): Query<Processing>,
    Json(new): Json<NewOrder>,
) -> Result<Response, ProblemError> {
    let delay = Duration::from_millis(processing.delay_ms);
    if delay > MAX_DELAY {
        let detail = format!("delay_ms may be at most {}", MAX_DELAY.as_millis());
        return Err(ProblemError::new(
            Problem::new(StatusCode::BAD_REQUEST).with_detail(detail),
        ));
    }
    book.in_progress.fetch_add(1, Ordering::SeqCst);
    let _done = InProgress(&book);
    tokio::time::sleep(delay).await;
    let order = book.create(new).map_err(|err| {
        ProblemError::with_source(Problem::new(StatusCode::INTERNAL_SERVER_ERROR), err)
    })?;
    let mut headers = HeaderMap::new();
    let location = HeaderValue::from_str(&format!("/orders/{}", order.id)).expect("ascii");
    headers.insert(header::LOCATION, location);
    Ok((StatusCode::CREATED, headers, Json(order)).into_response())
}

/// Counts a handler out of the in-progress gauge however it ends.
struct InProgress<'a>(&'a OrderBook);

impl Drop for InProgress<'_> {
    fn drop(&mut self) {
        self.0.in_progress.fetch_sub(1, Ordering::SeqCst);
    }
}

/// `GET /orders/{id}`.
pub(crate) async fn show(
    State(book): State<Arc<OrderBook>>,
    UrlPath(id): UrlPath<u64>,
) -> Result<Json<Order>, ProblemError> {
    book.orders
        .lock()
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or_else(|| {
            let detail = format!("there is no order {id}");
            ProblemError::new(Problem::new(StatusCode::NOT_FOUND).with_detail(detail))
        })
}

/// What `GET /orders` answers: the executions so far and the handlers running now.
#[derive(Debug, Serialize, Deserialize)]
pub struct Summary {
    /// Orders executed, across restarts.
    pub executions: usize,
    /// Create handlers running at this moment.
    pub in_progress: usize,
    /// Every order.
    pub orders: Vec<Order>,
}

/// `GET /orders`.
pub(crate) async fn list(State(book): State<Arc<OrderBook>>) -> Json<Summary> {
    let orders: Vec<Order> = book.orders.lock().values().cloned().collect();
    Json(Summary {
        executions: orders.len(),
        in_progress: book.in_progress.load(Ordering::SeqCst),
        orders,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_journal_survives_a_reopen_and_names_a_corrupt_line() {
        let dir = tempfile::tempdir().unwrap();
        let book = OrderBook::open(dir.path()).unwrap();
        let first = book
            .create(NewOrder {
                item: "tea".into(),
                quantity: 2,
            })
            .unwrap();
        book.create(NewOrder {
            item: "milk".into(),
            quantity: 1,
        })
        .unwrap();
        drop(book);

        let book = OrderBook::open(dir.path()).unwrap();
        assert_eq!(book.executions(), 2);
        assert_eq!(book.orders.lock()[&first.id], first);
        drop(book);

        std::fs::write(journal_path(dir.path()), "{not json}\n").unwrap();
        let err = OrderBook::open(dir.path()).unwrap_err();
        assert!(err.to_string().contains("orders.jsonl:1"), "{err}");
    }
}
