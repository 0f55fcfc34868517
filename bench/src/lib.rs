//! What the benchmark binaries share: seeding DynamoDB Local in bulk.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};

pub type Failure = Box<dyn std::error::Error + Send + Sync>;

/// Concurrent `BatchWriteItem`s while seeding.
const WRITERS: usize = 16;

/// Puts `items` into `table` with [`WRITERS`] concurrent `BatchWriteItem`s of 25 items.
pub async fn put_all(
    client: &Client,
    table: &str,
    items: impl IntoIterator<Item = HashMap<String, AttributeValue>>,
) -> Result<(), Failure> {
    let mut batches: Vec<Vec<WriteRequest>> = Vec::new();
    let mut batch = Vec::new();
    for item in items {
        let put = PutRequest::builder().set_item(Some(item)).build()?;
        batch.push(WriteRequest::builder().put_request(put).build());
        if batch.len() == 25 {
            batches.push(std::mem::take(&mut batch));
        }
    }
    if !batch.is_empty() {
        batches.push(batch);
    }
    let queue = Arc::new(tokio::sync::Mutex::new(batches));
    let mut writers = tokio::task::JoinSet::new();
    for _ in 0..WRITERS {
        let queue = Arc::clone(&queue);
        let client = client.clone();
        let table = table.to_owned();
        writers.spawn(async move {
            loop {
                let Some(batch) = queue.lock().await.pop() else {
                    return Ok::<(), Failure>(());
                };
                write_batch(&client, &table, batch).await?;
            }
        });
    }
    while let Some(joined) = writers.join_next().await {
        joined??;
    }
    Ok(())
}

/// One `BatchWriteItem`, resent with what it leaves unprocessed until nothing is left.
async fn write_batch(
    client: &Client,
    table: &str,
    batch: Vec<WriteRequest>,
) -> Result<(), Failure> {
    let mut pending = HashMap::from([(table.to_owned(), batch)]);
    for attempt in 0..20u32 {
        let output = client
            .batch_write_item()
            .set_request_items(Some(pending))
            .send()
            .await?;
        match output.unprocessed_items.filter(|left| !left.is_empty()) {
            None => return Ok(()),
            Some(left) => {
                pending = left;
                tokio::time::sleep(Duration::from_millis(10 << attempt.min(6))).await;
            }
        }
    }
    Err("BatchWriteItem left items unprocessed 20 times".into())
}

/// The `p`-th percentile (nearest rank) of `ms`, sorted here, to two decimals.
pub fn percentile_ms(ms: &mut [f64], p: f64) -> f64 {
    ms.sort_by(f64::total_cmp);
    if ms.is_empty() {
        return 0.0;
    }
    let i = ((p * ms.len() as f64).ceil() as usize).clamp(1, ms.len()) - 1;
    (ms[i] * 100.0).round() / 100.0
}
