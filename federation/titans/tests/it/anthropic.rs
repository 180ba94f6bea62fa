//! ClaudeTitan against a fake Anthropic Messages API.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures::StreamExt;
use omega_protocol::{ChatMessage, ChatRole, ErrorCode, FinishReason};
use omega_titans::http::HttpClient;
use omega_titans::{
    ClaudeTitan, HttpTitanConfig, ModelPrice, Titan, TitanError, TitanEvent, collect,
};
use serde_json::json;

use crate::fake::{Fake, Reply, fixture, header, request, secrets, tool_request};

async fn claude(fake: &Fake, timeout_ms: u64) -> ClaudeTitan {
    let cfg = HttpTitanConfig {
        base_url: Some(fake.base.clone()),
        timeout_ms: Some(timeout_ms),
        prices: BTreeMap::from([(
            "claude-sonnet-4-5".to_owned(),
            ModelPrice {
                input_per_mtok_usd: 3.0,
                output_per_mtok_usd: 15.0,
            },
        )]),
        ..Default::default()
    };
    ClaudeTitan::new(
        &cfg,
        &secrets(&[("ANTHROPIC_API_KEY", "sk-ant-test")]),
        HttpClient::new().unwrap(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn call_sends_messages_request_with_headers() {
    let fake = Fake::start(vec![Reply::json(200, fixture("anthropic/message.json"))]).await;
    let r = claude(&fake, 5_000).await.call(&request()).await.unwrap();
    let sent = fake.single();
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.uri, "/v1/messages");
    assert_eq!(header(&sent, "x-api-key"), "sk-ant-test");
    assert_eq!(header(&sent, "anthropic-version"), "2023-06-01");
    assert!(sent.headers.get("authorization").is_none());
    assert_eq!(
        sent.body,
        json!({
            "model": "claude-sonnet-4-5",
            "max_tokens": 256,
            "system": "You triage IT tickets.",
            "messages": [{"role": "user", "content": [{"type": "text", "text": "VPN drops every hour"}]}],
            "temperature": 0.2,
        })
    );
    assert_eq!(r.titan, "claude");
    assert_eq!(r.model, "claude-sonnet-4-5-20250929");
    assert_eq!(
        r.message.content,
        "Hello! The VPN drop looks like a DHCP lease issue."
    );
    assert_eq!((r.usage.input_tokens, r.usage.output_tokens), (12, 6));
    let expected = (12.0 * 3.0 + 6.0 * 15.0) / 1e6;
    assert!((r.usage.cost_usd - expected).abs() < 1e-12);
    assert_eq!(r.finish_reason, FinishReason::Stop);
}

#[tokio::test]
async fn max_tokens_defaults_because_the_api_requires_it() {
    let fake = Fake::start(vec![Reply::json(200, fixture("anthropic/message.json"))]).await;
    let mut req = request();
    req.max_output_tokens = None;
    req.temperature = Some(1.7);
    claude(&fake, 5_000).await.call(&req).await.unwrap();
    let body = fake.single().body;
    assert_eq!(body["max_tokens"], 1024);
    assert_eq!(body["temperature"], 1.0, "clamped to Anthropic's range");
}

#[tokio::test]
async fn tool_use_and_tool_result_blocks() {
    let fake = Fake::start(vec![
        Reply::json(200, fixture("anthropic/message_tool_use.json")),
        Reply::json(200, fixture("anthropic/message.json")),
    ])
    .await;
    let titan = claude(&fake, 5_000).await;
    let r = titan.call(&tool_request()).await.unwrap();
    assert_eq!(r.finish_reason, FinishReason::ToolCalls);
    assert_eq!(r.message.content, "I'll look that ticket up.");
    assert_eq!(r.message.tool_calls[0].id, "toolu_01A09q90qw90lq917835lq9");
    assert_eq!(
        r.message.tool_calls[0].arguments,
        json!({"ticketId": "zendesk:42"})
    );

    let mut follow = tool_request();
    follow.messages.push(r.message.clone());
    let mut answer = ChatMessage::text(ChatRole::Tool, "status: open");
    answer.tool_call_id = Some("toolu_01A09q90qw90lq917835lq9".into());
    follow.messages.push(answer);
    titan.call(&follow).await.unwrap();
    let reqs = fake.requests();
    assert_eq!(
        reqs[0].body["tools"],
        json!([{
            "name": "lookup_ticket",
            "description": "Fetch a ticket by id",
            "input_schema": {"type": "object", "properties": {"ticketId": {"type": "string"}}, "required": ["ticketId"]},
        }])
    );
    let msgs = &reqs[1].body["messages"];
    assert_eq!(
        msgs[1],
        json!({"role": "assistant", "content": [
            {"type": "text", "text": "I'll look that ticket up."},
            {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": "lookup_ticket",
             "input": {"ticketId": "zendesk:42"}},
        ]})
    );
    assert_eq!(
        msgs[2],
        json!({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_01A09q90qw90lq917835lq9", "content": "status: open"},
        ]})
    );
}

#[tokio::test]
async fn stream_text_events() {
    let fake = Fake::start(vec![Reply::sse(fixture("anthropic/stream_text.sse"))]).await;
    let events: Vec<_> = claude(&fake, 5_000)
        .await
        .stream(&request())
        .await
        .unwrap()
        .collect()
        .await;
    assert_eq!(fake.single().body["stream"], true);
    let texts: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Ok(TitanEvent::TextDelta { text }) => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(texts, ["Hello", "!"]);
    let Some(Ok(TitanEvent::Completed(r))) = events.last() else {
        panic!("{events:?}")
    };
    assert_eq!(r.message.content, "Hello!");
    // input from message_start, output cumulative from message_delta.
    assert_eq!((r.usage.input_tokens, r.usage.output_tokens), (25, 15));
}

#[tokio::test]
async fn stream_tool_use_input_json_deltas() {
    let fake = Fake::start(vec![Reply::sse(fixture("anthropic/stream_tool_use.sse"))]).await;
    let r = collect(
        claude(&fake, 5_000)
            .await
            .stream(&tool_request())
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(r.finish_reason, FinishReason::ToolCalls);
    assert_eq!(r.message.content, "Okay, let me check the ticket");
    assert_eq!(r.message.tool_calls.len(), 1);
    assert_eq!(r.message.tool_calls[0].id, "toolu_01T1x1fJ34qAmk2tNTrN7Up6");
    assert_eq!(
        r.message.tool_calls[0].arguments,
        json!({"ticketId": "zendesk:42"})
    );
    assert_eq!((r.usage.input_tokens, r.usage.output_tokens), (472, 89));
}

#[tokio::test]
async fn overloaded_529_and_mid_stream_overload() {
    let fake = Fake::start(vec![
        Reply::json(529, fixture("anthropic/error_overloaded.json")),
        Reply::sse(fixture("anthropic/stream_overloaded.sse")),
    ])
    .await;
    let titan = claude(&fake, 5_000).await;
    let err = titan.call(&request()).await.unwrap_err();
    assert_eq!(
        err,
        TitanError::Overloaded {
            titan: "claude".into()
        }
    );
    assert!(err.is_retryable());
    assert_eq!(err.to_omega().code, ErrorCode::OVERLOADED);
    let err = collect(titan.stream(&request()).await.unwrap())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        TitanError::Overloaded {
            titan: "claude".into()
        }
    );
}

#[tokio::test]
async fn rate_limit_429_with_retry_after_and_500() {
    let fake = Fake::start(vec![
        Reply::json(429, fixture("anthropic/error_rate_limit.json")).header("retry-after", "3"),
        Reply::json(500, fixture("anthropic/error_api.json")),
    ])
    .await;
    let titan = claude(&fake, 5_000).await;
    let err = titan.call(&request()).await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3)));
    assert_eq!(err.to_omega().data.extra.unwrap()["retryAfterMs"], 3000);
    let err = titan.call(&request()).await.unwrap_err();
    assert_eq!(
        err,
        TitanError::Server {
            titan: "claude".into(),
            status: 500
        }
    );
}

#[tokio::test]
async fn malformed_and_timeout() {
    let fake = Fake::start(vec![
        Reply::json(200, r#"{"type":"message","content":"not blocks"}"#),
        Reply::sse("event: message_start\ndata: {oops}\n\n"),
        Reply::json(200, fixture("anthropic/message.json")).delayed(Duration::from_secs(5)),
    ])
    .await;
    let titan = claude(&fake, 300).await;
    let err = titan.call(&request()).await.unwrap_err();
    assert!(matches!(err, TitanError::Malformed { .. }), "{err:?}");
    let err = collect(titan.stream(&request()).await.unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, TitanError::Malformed { .. }), "{err:?}");
    let started = Instant::now();
    let err = titan.call(&request()).await.unwrap_err();
    assert!(matches!(err, TitanError::Timeout { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}
