//! Property tests: redaction never panics and is idempotent.

use omega_privacy::redact;
use proptest::prelude::*;

/// Fragments that make up ticket-like text, including near-misses.
const FRAGMENTS: &[&str] = &[
    "jane@contoso.com",
    "+44 20 7946 0958",
    "(555) 123-4567",
    "030 12345678",
    "10.0.0.5",
    "1.2.3.4",
    "version ",
    "build ",
    "v",
    "2001:db8::1",
    "fe80::1%eth0",
    "00:1A:2B:3C:4D:5E",
    "4111 1111 1111 1111",
    "DE89 3704 0044 0532 0130 00",
    "078-05-1120",
    "INC0012345",
    "0x80070005",
    "KB5034441",
    "2023-11-04",
    "10:30",
    "password: ",
    "my name is ",
    "Regards,\n",
    "John Smith",
    "https://u:p@h.example/x",
    "[EMAIL]",
    "[IP]",
    "-beta",
    ".",
    ":",
    "-",
    " ",
    "\n",
    "@",
    "+",
    "(",
    ")",
    "0",
    "12",
    "255",
    "4521",
    "ä",
    "日本",
];

fn ticketish() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            3 => prop::sample::select(FRAGMENTS).prop_map(str::to_owned),
            1 => "[ -~]{0,12}",
            1 => "[0-9 .:+()\\-]{0,16}",
        ],
        0..24,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn redaction_is_idempotent(text in ticketish()) {
        let once = redact(&text);
        let twice = redact(&once.text);
        prop_assert_eq!(&twice.text, &once.text);
    }

    #[test]
    fn arbitrary_unicode_never_panics(text in "\\PC{0,200}") {
        let once = redact(&text);
        prop_assert_eq!(redact(&once.text).text, once.text);
    }
}
