//! A Server-Sent Events parser (the WHATWG event-stream format) for the
//! providers' streaming endpoints.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field, when given.
    pub event: Option<String>,
    /// The `data:` lines joined with `\n`.
    pub data: String,
}

/// Incremental parser: feed bytes as they arrive, take complete events.
#[derive(Debug, Default)]
pub struct SseParser {
    buf: Vec<u8>,
    event: Option<String>,
    data: Option<String>,
}

/// Longest line accepted; a provider sending more without a newline is broken.
const MAX_LINE: usize = 16 * 1024 * 1024;

impl SseParser {
    /// A parser with nothing buffered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds `chunk`, returning the events it completed. Errors when a
    /// line is not UTF-8 or is longer than 16 MiB.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<Vec<SseEvent>, String> {
        self.buf.extend_from_slice(chunk);
        let mut out = Vec::new();
        let mut start = 0;
        let mut i = 0;
        while i < self.buf.len() {
            let b = self.buf[i];
            if b == b'\n' || b == b'\r' {
                // A lone trailing \r may be the first half of \r\n: wait.
                if b == b'\r' && i + 1 == self.buf.len() {
                    break;
                }
                let line = std::str::from_utf8(&self.buf[start..i])
                    .map_err(|_| "an event-stream line is not UTF-8".to_owned())?
                    .to_owned();
                self.line(&line, &mut out);
                if b == b'\r' && self.buf.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            i += 1;
        }
        self.buf.drain(..start);
        if self.buf.len() > MAX_LINE {
            return Err("an event-stream line exceeds 16 MiB".into());
        }
        Ok(out)
    }

    /// At end of stream: an event left without its blank line is dropped,
    /// as the format says.
    pub fn finish(&mut self) -> bool {
        let pending = !self.buf.is_empty() || self.data.is_some();
        self.buf.clear();
        self.data = None;
        self.event = None;
        pending
    }

    fn line(&mut self, line: &str, out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            if let Some(data) = self.data.take() {
                out.push(SseEvent {
                    event: self.event.take(),
                    data,
                });
            }
            self.event = None;
            return;
        }
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "event" => self.event = Some(value.to_owned()),
            "data" => match &mut self.data {
                Some(d) => {
                    d.push('\n');
                    d.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            },
            _ => {} // id, retry and unknown fields do not matter here
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_across_chunks_and_line_endings() {
        let mut p = SseParser::new();
        let mut all = Vec::new();
        for chunk in [
            &b"event: ping\r\ndata: {\"a\""[..],
            b":1}\r",
            b"\n\r\n: comment\n\ndata: x\ndata: y\n",
            b"\n",
        ] {
            all.extend(p.feed(chunk).unwrap());
        }
        assert_eq!(
            all,
            vec![
                SseEvent {
                    event: Some("ping".into()),
                    data: "{\"a\":1}".into()
                },
                SseEvent {
                    event: None,
                    data: "x\ny".into()
                },
            ]
        );
        assert!(!p.finish());
    }

    #[test]
    fn unterminated_event_is_reported_and_bad_utf8_fails() {
        let mut p = SseParser::new();
        assert!(p.feed(b"data: half").unwrap().is_empty());
        assert!(p.finish());
        assert!(SseParser::new().feed(b"data: \xff\n").is_err());
    }

    #[test]
    fn multibyte_split_between_chunks() {
        let mut p = SseParser::new();
        let text = "data: é\n\n".as_bytes();
        assert!(p.feed(&text[..7]).unwrap().is_empty());
        let ev = p.feed(&text[7..]).unwrap();
        assert_eq!(ev[0].data, "é");
    }
}
