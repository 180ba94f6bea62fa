//! Turning a provider's server-sent events into [`TitanEvent`]s.

use std::collections::VecDeque;

use futures::stream::{self, BoxStream, StreamExt};

use crate::error::TitanError;
use crate::sse::SseEvent;
use crate::titan::{TitanEvent, TitanStream};

/// A provider's stream grammar.
pub(crate) trait SseDecoder: Send + 'static {
    /// Handles one event, pushing what it produced. Returns `true` when the
    /// provider marked the end of the answer (`[DONE]`, `message_stop`); the
    /// decoder has then pushed [`TitanEvent::Completed`].
    fn on_event(&mut self, ev: SseEvent, out: &mut Vec<TitanEvent>) -> Result<bool, TitanError>;

    /// The byte stream ended without an end marker: finish (Gemini has no
    /// marker) or fail (a cut-off stream).
    fn on_end(&mut self, out: &mut Vec<TitanEvent>) -> Result<(), TitanError>;
}

/// Runs `decoder` over `events`.
pub(crate) fn decode<D: SseDecoder>(
    events: BoxStream<'static, Result<SseEvent, TitanError>>,
    decoder: D,
) -> TitanStream {
    struct State<D> {
        events: BoxStream<'static, Result<SseEvent, TitanError>>,
        decoder: D,
        ready: VecDeque<TitanEvent>,
        done: bool,
    }
    let state = State {
        events,
        decoder,
        ready: VecDeque::new(),
        done: false,
    };
    stream::unfold(state, |mut st| async move {
        loop {
            if let Some(ev) = st.ready.pop_front() {
                return Some((Ok(ev), st));
            }
            if st.done {
                return None;
            }
            let mut out = Vec::new();
            let step = match st.events.next().await {
                Some(Ok(ev)) => st.decoder.on_event(ev, &mut out),
                Some(Err(e)) => Err(e),
                None => st.decoder.on_end(&mut out).map(|()| true),
            };
            st.ready.extend(out);
            match step {
                Ok(finished) => st.done = finished,
                Err(e) => {
                    st.done = true;
                    st.ready.clear();
                    return Some((Err(e), st));
                }
            }
        }
    })
    .boxed()
}

/// Drains a stream into its final result (used by tests and by callers
/// that want one answer but a streaming transport).
pub async fn collect(mut stream: TitanStream) -> Result<crate::TitanCallResult, TitanError> {
    let mut last = None;
    while let Some(ev) = stream.next().await {
        if let TitanEvent::Completed(r) = ev? {
            last = Some(r);
        }
    }
    last.ok_or_else(|| TitanError::Malformed {
        titan: String::new(),
        detail: "the stream ended without a completed answer".into(),
    })
}
