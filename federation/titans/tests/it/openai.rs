//! GPTTitan and GrokTitan against a fake Chat Completions API.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures::StreamExt;
use omega_protocol::{ErrorCode, FinishReason};
use omega_titans::http::HttpClient;
use omega_titans::{
    HttpTitanConfig, ModelPrice, OpenAiTitan, Titan, TitanError, TitanEvent, collect,
};
use serde_json::json;

use crate::fake::{Fake, Reply, fixture, header, request, secrets, tool_request};

fn config(fake: &Fake, timeout_ms: u64) -> HttpTitanConfig {
    HttpTitanConfig {
        base_url: Some(format!("{}/v1", fake.base)),
        timeout_ms: Some(timeout_ms),
        prices: BTreeMap::from([(
            "gpt-4o-mini".to_owned(),
            ModelPrice {
                input_per_mtok_usd: 0.15,
                output_per_mtok_usd: 0.60,
            },
        )]),
        ..Default::default()
    }
}

async fn gpt(fake: &Fake, timeout_ms: u64) -> OpenAiTitan {
    OpenAiTitan::gpt(
        &config(fake, timeout_ms),
        &secrets(&[("OPENAI_API_KEY", "sk-test-openai")]),
        HttpClient::new().unwrap(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn call_sends_documented_request_and_reads_usage() {
    let fake = Fake::start(vec![Reply::json(
        200,
        fixture("openai/chat_completion.json"),
    )])
    .await;
    let titan = gpt(&fake, 5_000).await;
    let r = titan.call(&request()).await.unwrap();

    let sent = fake.single();
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.uri, "/v1/chat/completions");
    assert_eq!(header(&sent, "authorization"), "Bearer sk-test-openai");
    assert_eq!(header(&sent, "content-type"), "application/json");
    assert_eq!(
        sent.body,
        json!({
            "model": "gpt-4o-mini",
            "messages": [
                {"role": "system", "content": "You triage IT tickets."},
                {"role": "user", "content": "VPN drops every hour"},
            ],
            "max_completion_tokens": 256,
            "temperature": 0.2,
        })
    );

    assert_eq!(r.titan, "gpt");
    assert_eq!(r.model, "gpt-4o-mini-2024-07-18");
    assert_eq!(
        r.message.content,
        "The VPN drop looks like a DHCP lease issue."
    );
    assert_eq!(r.finish_reason, FinishReason::Stop);
    assert_eq!((r.usage.input_tokens, r.usage.output_tokens), (19, 10));
    let expected = (19.0 * 0.15 + 10.0 * 0.60) / 1e6;
    assert!(
        (r.usage.cost_usd - expected).abs() < 1e-12,
        "{}",
        r.usage.cost_usd
    );
}

#[tokio::test]
async fn call_with_tools_round_trips_tool_calls() {
    let fake = Fake::start(vec![Reply::json(
        200,
        fixture("openai/chat_completion_tool_call.json"),
    )])
    .await;
    let r = gpt(&fake, 5_000).await.call(&tool_request()).await.unwrap();
    let sent = fake.single();
    assert_eq!(
        sent.body["tools"],
        json!([{
            "type": "function",
            "function": {
                "name": "lookup_ticket",
                "description": "Fetch a ticket by id",
                "parameters": {
                    "type": "object",
                    "properties": {"ticketId": {"type": "string"}},
                    "required": ["ticketId"],
                },
            },
        }])
    );
    assert_eq!(r.finish_reason, FinishReason::ToolCalls);
    assert_eq!(r.message.tool_calls.len(), 1);
    assert_eq!(r.message.tool_calls[0].id, "call_abc123");
    assert_eq!(
        r.message.tool_calls[0].arguments,
        json!({"ticketId": "zendesk:42"})
    );

    // The answer goes back as an assistant tool_calls message and a tool message.
    let fake2 = Fake::start(vec![Reply::json(
        200,
        fixture("openai/chat_completion.json"),
    )])
    .await;
    let mut follow = tool_request();
    follow.messages.push(r.message.clone());
    let mut answer =
        omega_protocol::ChatMessage::text(omega_protocol::ChatRole::Tool, "{\"status\":\"open\"}");
    answer.tool_call_id = Some("call_abc123".into());
    follow.messages.push(answer);
    gpt(&fake2, 5_000).await.call(&follow).await.unwrap();
    let body = fake2.single().body;
    assert_eq!(
        body["messages"][2],
        json!({
            "role": "assistant",
            "content": null,
            "tool_calls": [{
                "id": "call_abc123",
                "type": "function",
                "function": {"name": "lookup_ticket", "arguments": "{\"ticketId\":\"zendesk:42\"}"},
            }],
        })
    );
    assert_eq!(
        body["messages"][3],
        json!({"role": "tool", "tool_call_id": "call_abc123", "content": "{\"status\":\"open\"}"})
    );
}

#[tokio::test]
async fn stream_text_with_usage_chunk() {
    let fake = Fake::start(vec![Reply::sse(fixture("openai/stream_text.sse"))]).await;
    let events: Vec<_> = gpt(&fake, 5_000)
        .await
        .stream(&request())
        .await
        .unwrap()
        .collect()
        .await;
    let sent = fake.single();
    assert_eq!(sent.body["stream"], true);
    assert_eq!(sent.body["stream_options"], json!({"include_usage": true}));
    let texts: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Ok(TitanEvent::TextDelta { text }) => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(texts, ["Hello", " there"]);
    let Some(Ok(TitanEvent::Completed(r))) = events.last() else {
        panic!("last event: {:?}", events.last())
    };
    assert_eq!(r.message.content, "Hello there");
    assert_eq!((r.usage.input_tokens, r.usage.output_tokens), (9, 2));
    assert!(r.usage.cost_usd > 0.0);
    assert_eq!(r.finish_reason, FinishReason::Stop);
}

#[tokio::test]
async fn stream_assembles_tool_call_deltas() {
    let fake = Fake::start(vec![Reply::sse(fixture("openai/stream_tool_call.sse"))]).await;
    let stream = gpt(&fake, 5_000)
        .await
        .stream(&tool_request())
        .await
        .unwrap();
    let r = collect(stream).await.unwrap();
    assert_eq!(r.finish_reason, FinishReason::ToolCalls);
    assert_eq!(r.message.tool_calls[0].id, "call_DdmO9pD3xa9XTPNJ32zg2hcA");
    assert_eq!(r.message.tool_calls[0].name, "lookup_ticket");
    assert_eq!(
        r.message.tool_calls[0].arguments,
        json!({"ticketId": "zendesk:42"})
    );
    assert_eq!(r.usage.output_tokens, 17);
}

#[tokio::test]
async fn rate_limit_429_carries_retry_after() {
    let fake = Fake::start(vec![
        Reply::json(429, fixture("openai/error_rate_limit.json")).header("retry-after", "20"),
    ])
    .await;
    let err = gpt(&fake, 5_000).await.call(&request()).await.unwrap_err();
    assert_eq!(
        err,
        TitanError::RateLimited {
            titan: "gpt".into(),
            retry_after: Some(Duration::from_secs(20)),
        }
    );
    assert!(err.is_retryable());
    let wire = err.to_omega();
    assert_eq!(wire.code, ErrorCode::RATE_LIMITED);
    assert_eq!(wire.data.extra.unwrap()["retryAfterMs"], 20_000);
}

#[tokio::test]
async fn insufficient_quota_is_not_retryable() {
    let fake = Fake::start(vec![Reply::json(
        429,
        fixture("openai/error_insufficient_quota.json"),
    )])
    .await;
    let err = gpt(&fake, 5_000).await.call(&request()).await.unwrap_err();
    assert!(matches!(err, TitanError::QuotaExhausted { .. }), "{err:?}");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn server_error_500_and_stream_500() {
    let fake = Fake::start(vec![
        Reply::json(500, fixture("openai/error_server.json")),
        Reply::json(500, fixture("openai/error_server.json")),
    ])
    .await;
    let titan = gpt(&fake, 5_000).await;
    let err = titan.call(&request()).await.unwrap_err();
    assert_eq!(
        err,
        TitanError::Server {
            titan: "gpt".into(),
            status: 500
        }
    );
    assert_eq!(err.to_omega().code, ErrorCode::UPSTREAM_FAILED);
    let Err(err) = titan.stream(&request()).await else {
        panic!("a 500 must fail before the stream starts")
    };
    assert!(matches!(err, TitanError::Server { status: 500, .. }));
}

#[tokio::test]
async fn malformed_responses() {
    let fake = Fake::start(vec![
        Reply::json(200, "<html>gateway</html>"),
        Reply::json(
            200,
            r#"{"id":"x","object":"chat.completion","model":"m","choices":[]}"#,
        ),
        Reply::sse("data: {\"choices\": [\n\ndata: [DONE]\n\n"),
        // Cut off before [DONE].
        Reply::sse(fixture("openai/stream_text.sse").replace("data: [DONE]\n", "")),
    ])
    .await;
    let titan = gpt(&fake, 5_000).await;
    for _ in 0..2 {
        let err = titan.call(&request()).await.unwrap_err();
        assert!(matches!(err, TitanError::Malformed { .. }), "{err:?}");
        assert!(!err.is_retryable());
    }
    let err = collect(titan.stream(&request()).await.unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, TitanError::Malformed { .. }), "{err:?}");
    let err = collect(titan.stream(&request()).await.unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, TitanError::Transport { .. }), "{err:?}");
}

#[tokio::test]
async fn deadline_is_enforced_for_calls_and_stalled_streams() {
    let fake = Fake::start(vec![
        Reply::json(200, fixture("openai/chat_completion.json")).delayed(Duration::from_secs(5)),
        Reply::sse(fixture("openai/stream_text.sse").replace("data: [DONE]\n", "")).stalled(),
    ])
    .await;
    let titan = gpt(&fake, 300).await;
    let started = Instant::now();
    let err = titan.call(&request()).await.unwrap_err();
    assert_eq!(
        err,
        TitanError::Timeout {
            titan: "gpt".into(),
            after: Duration::from_millis(300)
        }
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(err.to_omega().code, ErrorCode::DEADLINE_EXCEEDED);

    let started = Instant::now();
    let events: Vec<_> = titan.stream(&request()).await.unwrap().collect().await;
    assert!(matches!(
        events.first(),
        Some(Ok(TitanEvent::TextDelta { .. }))
    ));
    assert!(
        matches!(events.last(), Some(Err(TitanError::Timeout { .. }))),
        "{events:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn grok_uses_xai_shape_and_key() {
    let fake = Fake::start(vec![Reply::json(
        200,
        fixture("openai/chat_completion.json"),
    )])
    .await;
    let cfg = HttpTitanConfig {
        base_url: Some(format!("{}/v1", fake.base)),
        model: Some("grok-4".into()),
        ..Default::default()
    };
    let titan = OpenAiTitan::grok(
        &cfg,
        &secrets(&[("XAI_API_KEY", "xai-test-key")]),
        HttpClient::new().unwrap(),
    )
    .await
    .unwrap();
    assert!(!format!("{titan:?}").contains("xai-test-key"));
    let r = titan.call(&request()).await.unwrap();
    assert_eq!(r.titan, "grok");
    let sent = fake.single();
    assert_eq!(sent.uri, "/v1/chat/completions");
    assert_eq!(header(&sent, "authorization"), "Bearer xai-test-key");
    assert_eq!(sent.body["model"], "grok-4");
    assert_eq!(sent.body["max_tokens"], 256);
    assert!(sent.body.get("max_completion_tokens").is_none());
}

#[tokio::test]
async fn missing_key_is_a_config_error() {
    let err = OpenAiTitan::gpt(
        &HttpTitanConfig::default(),
        &secrets(&[]),
        HttpClient::new().unwrap(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("OPENAI_API_KEY"), "{err}");
}
