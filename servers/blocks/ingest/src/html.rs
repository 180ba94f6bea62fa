//! A small, forgiving HTML-to-text converter for ticket descriptions.

/// Tags whose content is dropped entirely.
const DROPPED: &[&str] = &["script", "style", "head", "template", "noscript", "title"];

/// Tags that start or end a line.
const BLOCK: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tr",
    "ul",
];

/// Longest entity name or number looked at after `&`.
const MAX_ENTITY: usize = 32;

/// Converts HTML to plain text: tags removed, `script`/`style` content dropped,
/// entities decoded, block tags turned into line breaks, runs of whitespace
/// collapsed (except inside `<pre>`), at most one blank line in a row.
///
/// Text without any tag is returned trimmed, with `\r\n` turned into `\n` and
/// entities left alone (a plain-text `AT&amp;T` stays as typed). Never panics;
/// unclosed tags and comments swallow the rest of the input, as browsers do.
pub fn strip_html(input: &str) -> String {
    if !looks_like_html(input) {
        return input.replace("\r\n", "\n").trim().to_owned();
    }
    let mut out = Out::default();
    let mut pre_depth = 0usize;
    let mut i = 0usize;
    let bytes = input.as_bytes();
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'<' && starts_tag(bytes, i) {
            if input[i..].starts_with("<!--") {
                i = find(input, i + 4, "-->").map_or(bytes.len(), |e| e + 3);
                continue;
            }
            let end = tag_end(bytes, i + 1);
            let tag = &input[i + 1..end.min(bytes.len())];
            i = (end + 1).min(bytes.len());
            let closing = tag.starts_with('/');
            let name = tag_name(tag.trim_start_matches('/'));
            if name.is_empty() {
                continue;
            }
            if !closing && DROPPED.contains(&name.as_str()) && !tag.ends_with('/') {
                i = skip_element(input, i, &name);
                continue;
            }
            if name == "pre" {
                pre_depth = if closing {
                    pre_depth.saturating_sub(1)
                } else {
                    pre_depth + 1
                };
            }
            if BLOCK.contains(&name.as_str()) {
                out.newline();
            } else if name == "td" || name == "th" {
                out.space();
            }
            continue;
        }
        if b == b'&'
            && let Some((ch, len)) = entity(&input[i..])
        {
            out.push(ch, pre_depth > 0);
            i += len;
            continue;
        }
        let ch = input[i..].chars().next().unwrap_or('\u{FFFD}');
        out.push(ch, pre_depth > 0);
        i += ch.len_utf8();
    }
    out.finish()
}

/// Common HTML element names; text is treated as HTML only if it has one of them.
const KNOWN: &[&str] = &[
    "a",
    "abbr",
    "b",
    "big",
    "blockquote",
    "body",
    "br",
    "center",
    "cite",
    "code",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "font",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "hr",
    "html",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "meta",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "span",
    "strike",
    "strong",
    "style",
    "sub",
    "sup",
    "script",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "title",
    "tr",
    "tt",
    "u",
    "ul",
];

/// Whether the text contains a tag of a known HTML element, a comment or a
/// doctype. Plain text with `<GC1060>` or `a < b` is not HTML.
fn looks_like_html(s: &str) -> bool {
    let b = s.as_bytes();
    (0..b.len()).any(|i| {
        if b[i] != b'<' {
            return false;
        }
        let rest = &s[i + 1..];
        if rest.starts_with("!--")
            || rest
                .get(..8)
                .is_some_and(|d| d.eq_ignore_ascii_case("!doctype"))
        {
            return true;
        }
        let rest = rest.strip_prefix('/').unwrap_or(rest);
        let name_len = rest.bytes().take_while(u8::is_ascii_alphanumeric).count();
        let after = rest.as_bytes().get(name_len);
        name_len > 0
            && matches!(after, Some(b'>' | b'/' | b' ' | b'\t' | b'\n' | b'\r'))
            && KNOWN.contains(&rest[..name_len].to_ascii_lowercase().as_str())
    })
}

fn starts_tag(b: &[u8], i: usize) -> bool {
    match b.get(i + 1) {
        Some(c) if c.is_ascii_alphabetic() || *c == b'!' || *c == b'?' => true,
        Some(b'/') => b.get(i + 2).is_some_and(u8::is_ascii_alphabetic),
        _ => false,
    }
}

/// Index of the `>` closing a tag that starts at `from`, honouring quoted
/// attribute values; `b.len()` when there is none.
fn tag_end(b: &[u8], from: usize) -> usize {
    let mut quote = None;
    for (j, &c) in b.iter().enumerate().skip(from) {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'"' || c == b'\'' => quote = Some(c),
            None if c == b'>' => return j,
            None => {}
        }
    }
    b.len()
}

fn tag_name(tag: &str) -> String {
    tag.chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase()
}

fn find(s: &str, from: usize, needle: &str) -> Option<usize> {
    s.get(from..)?.find(needle).map(|p| p + from)
}

/// Skips past `</name ...>` (case-insensitive) or to the end. Linear in the
/// skipped length: no allocation, one pass.
fn skip_element(input: &str, from: usize, name: &str) -> usize {
    let b = input.as_bytes();
    let n = name.as_bytes();
    let mut i = from;
    while i + 1 < b.len() {
        if b[i] == b'<'
            && b[i + 1] == b'/'
            && b.get(i + 2..i + 2 + n.len())
                .is_some_and(|s| s.eq_ignore_ascii_case(n))
        {
            return (tag_end(b, i + 1) + 1).min(b.len());
        }
        i += 1;
    }
    b.len()
}

/// Decodes an entity at the start of `s` (which begins with `&`).
fn entity(s: &str) -> Option<(char, usize)> {
    let semi = s
        .get(1..)?
        .char_indices()
        .take(MAX_ENTITY)
        .find(|(_, c)| *c == ';')?
        .0
        + 1;
    let name = &s[1..semi];
    let ch = if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse::<u32>().ok()?,
        };
        match char::from_u32(code) {
            Some('\0') | None => '\u{FFFD}',
            Some(c) => c,
        }
    } else {
        named_entity(name)?
    };
    Some((ch, semi + 1))
}

fn named_entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" | "AMP" => '&',
        "lt" | "LT" => '<',
        "gt" | "GT" => '>',
        "quot" | "QUOT" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "hellip" => '…',
        "mdash" => '—',
        "ndash" => '–',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "bull" => '•',
        "middot" => '·',
        "euro" => '€',
        "pound" => '£',
        "deg" => '°',
        "times" => '×',
        "shy" | "zwj" | "zwnj" => return None,
        _ => return None,
    })
}

/// Output with whitespace collapsing.
#[derive(Default)]
struct Out {
    text: String,
    pending_space: bool,
    pending_newlines: u8,
}

impl Out {
    fn push(&mut self, ch: char, preformatted: bool) {
        if preformatted {
            if ch == '\n' {
                self.newline();
                return;
            }
            self.flush();
            self.text.push(ch);
            return;
        }
        if ch.is_whitespace() {
            self.space();
            return;
        }
        self.flush();
        self.text.push(ch);
    }

    fn space(&mut self) {
        if !self.text.is_empty() && self.pending_newlines == 0 {
            self.pending_space = true;
        }
    }

    fn newline(&mut self) {
        if !self.text.is_empty() {
            self.pending_newlines = (self.pending_newlines + 1).min(2);
            self.pending_space = false;
        }
    }

    fn flush(&mut self) {
        if self.pending_newlines > 0 {
            while self.text.ends_with(' ') {
                self.text.pop();
            }
            for _ in 0..self.pending_newlines {
                self.text.push('\n');
            }
        } else if self.pending_space {
            self.text.push(' ');
        }
        self.pending_newlines = 0;
        self.pending_space = false;
    }

    fn finish(self) -> String {
        self.text.trim().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_tags_and_keeps_lines() {
        let html = "<p>Printer on <b>3rd</b> floor</p><p>is  jammed&nbsp;again.<br/>Help!</p>";
        assert_eq!(
            strip_html(html),
            "Printer on 3rd floor\n\nis jammed again.\nHelp!"
        );
    }

    #[test]
    fn drops_script_style_and_comments() {
        let html = "<style>p{color:red}</style><div>A<!-- secret -->B</div><SCRIPT>alert('x<p>')</SCRIPT>C";
        assert_eq!(strip_html(html), "AB\nC");
    }

    #[test]
    fn decodes_entities() {
        let html = "<span>R&amp;D &lt;team&gt; &#8220;ok&#x201D; &bogus; &#0; AT&T</span>";
        assert_eq!(strip_html(html), "R&D <team> “ok” &bogus; \u{FFFD} AT&T");
    }

    #[test]
    fn plain_text_is_left_alone() {
        assert_eq!(
            strip_html("  a < b && c > d\r\nline 2 "),
            "a < b && c > d\nline 2"
        );
    }

    #[test]
    fn broken_html_does_not_panic() {
        for s in [
            "<",
            "<a",
            "<a href='>",
            "<!--",
            "<script>x",
            "&#xFFFFFFFF;",
            "<p>é<",
            "</",
            "&",
            "<pre>a\n  b</pre>",
        ] {
            let _ = strip_html(s);
        }
        assert_eq!(strip_html("<pre>a\n  b</pre>"), "a\n  b");
    }

    #[test]
    fn many_script_tags_stay_linear() {
        let html = "<script>x".repeat(20_000) + "</script>after";
        let start = std::time::Instant::now();
        assert_eq!(strip_html(&html), "after");
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
        let unclosed = "<style>".repeat(20_000);
        assert_eq!(strip_html(&unclosed), "");
    }

    #[test]
    fn quoted_gt_inside_attributes_does_not_end_the_tag() {
        assert_eq!(strip_html(r#"<a title="x > y">link</a>"#), "link");
    }
}
