//! The fixture server itself: scripted replies in order, recorded requests, unscripted 404s.

use owlery_networks::fixture::{Fixture, Reply};
use serde_json::json;

#[tokio::test]
async fn replies_in_order_and_records_what_it_received() {
    let server = Fixture::start().await.unwrap();
    server.on(
        "POST",
        "/v1/things",
        Reply::json(429, json!({"error": "slow down"})).header("retry-after", "7"),
    );
    server.on("POST", "/v1/things", Reply::json(201, json!({"id": "1"})));
    let client = owlery_networks::http::client(Default::default()).unwrap();
    let url = format!("{}/v1/things?x=1", server.url());
    let first = client
        .post(&url)
        .json(&json!({"a": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 429);
    assert_eq!(first.headers()["retry-after"], "7");
    for _ in 0..2 {
        let next = client.post(&url).send().await.unwrap();
        assert_eq!(next.status(), 201, "the last reply repeats");
    }
    let missing = client
        .get(format!("{}/nope", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    let sent = server.requests_to("POST", "/v1/things");
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[0].json(), json!({"a": 1}));
    assert_eq!(sent[0].query_pairs()["x"], "1");
    assert_eq!(server.requests().len(), 4);
}
