//! GeminiTitan against a fake Gemini API.

use std::time::{Duration, Instant};

use futures::StreamExt;
use omega_protocol::{ChatMessage, ChatRole, ErrorCode, FinishReason};
use omega_titans::http::HttpClient;
use omega_titans::{GeminiTitan, HttpTitanConfig, Titan, TitanError, TitanEvent, collect};
use serde_json::json;

use crate::fake::{Fake, Reply, fixture, header, request, secrets, tool_request};

async fn gemini(fake: &Fake, timeout_ms: u64) -> GeminiTitan {
    let cfg = HttpTitanConfig {
        base_url: Some(fake.base.clone()),
        timeout_ms: Some(timeout_ms),
        ..Default::default()
    };
    GeminiTitan::new(
        &cfg,
        &secrets(&[("GEMINI_API_KEY", "AIza-test")]),
        HttpClient::new().unwrap(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn generate_content_request_and_usage_metadata() {
    let fake = Fake::start(vec![Reply::json(
        200,
        fixture("gemini/generate_content.json"),
    )])
    .await;
    let r = gemini(&fake, 5_000).await.call(&request()).await.unwrap();
    let sent = fake.single();
    assert_eq!(sent.uri, "/v1beta/models/gemini-2.5-flash:generateContent");
    assert_eq!(header(&sent, "x-goog-api-key"), "AIza-test");
    assert!(sent.headers.get("authorization").is_none());
    assert_eq!(
        sent.body,
        json!({
            "contents": [{"role": "user", "parts": [{"text": "VPN drops every hour"}]}],
            "systemInstruction": {"parts": [{"text": "You triage IT tickets."}]},
            "generationConfig": {"maxOutputTokens": 256, "temperature": 0.2},
        })
    );
    assert_eq!(r.titan, "gemini");
    assert_eq!(r.model, "gemini-2.5-flash");
    assert_eq!(
        r.message.content,
        "The VPN drop looks like a DHCP lease issue."
    );
    // Thinking tokens are billed as output.
    assert_eq!((r.usage.input_tokens, r.usage.output_tokens), (8, 23));
    assert_eq!(r.finish_reason, FinishReason::Stop);
}

#[tokio::test]
async fn function_calls_and_function_responses() {
    let fake = Fake::start(vec![
        Reply::json(200, fixture("gemini/generate_content_function_call.json")),
        Reply::json(200, fixture("gemini/generate_content.json")),
    ])
    .await;
    let titan = gemini(&fake, 5_000).await;
    let r = titan.call(&tool_request()).await.unwrap();
    assert_eq!(r.finish_reason, FinishReason::ToolCalls);
    let call = &r.message.tool_calls[0];
    assert_eq!(call.name, "lookup_ticket");
    assert_eq!(call.arguments, json!({"ticketId": "zendesk:42"}));

    let mut follow = tool_request();
    follow.messages.push(r.message.clone());
    let mut answer = ChatMessage::text(ChatRole::Tool, "{\"status\":\"open\"}");
    answer.tool_call_id = Some(call.id.clone());
    follow.messages.push(answer);
    titan.call(&follow).await.unwrap();
    let reqs = fake.requests();
    assert_eq!(
        reqs[0].body["tools"],
        json!([{"functionDeclarations": [{
            "name": "lookup_ticket",
            "description": "Fetch a ticket by id",
            "parametersJsonSchema": {"type": "object", "properties": {"ticketId": {"type": "string"}}, "required": ["ticketId"]},
        }]}])
    );
    let contents = &reqs[1].body["contents"];
    assert_eq!(contents[1]["role"], "model");
    assert_eq!(
        contents[1]["parts"][0]["functionCall"]["name"],
        "lookup_ticket"
    );
    assert_eq!(
        contents[2],
        json!({"role": "user", "parts": [{"functionResponse": {
            "id": call.id, "name": "lookup_ticket", "response": {"status": "open"},
        }}]})
    );
}

#[tokio::test]
async fn stream_generate_content_sse() {
    let fake = Fake::start(vec![Reply::sse(fixture("gemini/stream_text.sse"))]).await;
    let events: Vec<_> = gemini(&fake, 5_000)
        .await
        .stream(&request())
        .await
        .unwrap()
        .collect()
        .await;
    let sent = fake.single();
    assert_eq!(
        sent.uri,
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    );
    assert!(sent.body.get("stream").is_none());
    let texts: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Ok(TitanEvent::TextDelta { text }) => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(texts, ["The VPN", " drop is DHCP."]);
    let Some(Ok(TitanEvent::Completed(r))) = events.last() else {
        panic!("{events:?}")
    };
    assert_eq!(r.message.content, "The VPN drop is DHCP.");
    assert_eq!((r.usage.input_tokens, r.usage.output_tokens), (8, 7));
}

#[tokio::test]
async fn resource_exhausted_uses_retry_info_or_header() {
    let fake = Fake::start(vec![
        Reply::json(429, fixture("gemini/error_resource_exhausted.json")),
        Reply::json(429, fixture("gemini/error_resource_exhausted.json"))
            .header("retry-after", "2"),
        Reply::json(503, fixture("gemini/error_unavailable.json")),
        Reply::json(
            500,
            r#"{"error":{"code":500,"message":"Internal error","status":"INTERNAL"}}"#,
        ),
    ])
    .await;
    let titan = gemini(&fake, 5_000).await;
    let err = titan.call(&request()).await.unwrap_err();
    assert_eq!(
        err,
        TitanError::RateLimited {
            titan: "gemini".into(),
            retry_after: Some(Duration::from_secs(17))
        }
    );
    assert_eq!(err.to_omega().code, ErrorCode::RATE_LIMITED);
    let err = titan.call(&request()).await.unwrap_err();
    assert_eq!(
        err.retry_after(),
        Some(Duration::from_secs(2)),
        "the header wins"
    );
    let err = titan.call(&request()).await.unwrap_err();
    assert_eq!(
        err,
        TitanError::Overloaded {
            titan: "gemini".into()
        }
    );
    let err = titan.call(&request()).await.unwrap_err();
    assert_eq!(
        err,
        TitanError::Server {
            titan: "gemini".into(),
            status: 500
        }
    );
}

#[tokio::test]
async fn malformed_and_timeout() {
    let fake = Fake::start(vec![
        Reply::json(200, r#"{"candidates": "nope"}"#),
        Reply::json(200, r#"{"candidates": []}"#),
        Reply::sse("data: not json\n\n"),
        Reply::json(200, fixture("gemini/generate_content.json")).delayed(Duration::from_secs(5)),
    ])
    .await;
    let titan = gemini(&fake, 300).await;
    for _ in 0..2 {
        let err = titan.call(&request()).await.unwrap_err();
        assert!(matches!(err, TitanError::Malformed { .. }), "{err:?}");
    }
    let err = collect(titan.stream(&request()).await.unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, TitanError::Malformed { .. }), "{err:?}");
    let started = Instant::now();
    let err = titan.call(&request()).await.unwrap_err();
    assert!(matches!(err, TitanError::Timeout { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}
