//! Realistic IT ticket snippets: what must be redacted and what must be kept.

use omega_privacy::{PiiKind, redact};

/// Asserts that redacting `input` gives exactly `expected`.
fn check(input: &str, expected: &str) {
    let r = redact(input);
    assert_eq!(r.text, expected, "\ninput: {input}");
}

/// Asserts that `input` comes back unchanged.
fn keep(input: &str) {
    let r = redact(input);
    assert_eq!(r.text, input, "changed: {:?}", r.counts);
    assert_eq!(r.total(), 0);
}

#[test]
fn email_and_phone_in_a_callback_request() {
    let r = redact(
        "Hi, Outlook keeps asking for my password. Please call me back on +44 20 7946 0958 \
         or mail jane.doe@contoso.co.uk. Ticket INC0012345.",
    );
    assert_eq!(
        r.text,
        "Hi, Outlook keeps asking for my password. Please call me back on [PHONE] \
         or mail [EMAIL]. Ticket INC0012345."
    );
    assert_eq!(r.count(PiiKind::Phone), 1);
    assert_eq!(r.count(PiiKind::Email), 1);
}

#[test]
fn us_phone_formats() {
    check(
        "User reachable at (555) 123-4567, desk 555-987-6543, mobile +1 (555) 234-5678.",
        "User reachable at [PHONE], desk [PHONE], mobile [PHONE].",
    );
    check("Call 555.234.5678 after lunch", "Call [PHONE] after lunch");
}

#[test]
fn european_national_phones() {
    check(
        "Bitte Rückruf unter 030 12345678 oder 0170-1234567.",
        "Bitte Rückruf unter [PHONE] oder [PHONE].",
    );
    check(
        "Rappeler au 01 23 45 67 89, merci. Mobile: 06-12345678",
        "Rappeler au [PHONE], merci. Mobile: [PHONE]",
    );
    check("+49 (0)30 1234567 is the office", "[PHONE] is the office");
    check("phone 0612345678 please", "phone [PHONE] please");
}

#[test]
fn phone_does_not_swallow_the_time() {
    check(
        "Called +1 555 123 4567 at 10:30 but no answer",
        "Called [PHONE] at 10:30 but no answer",
    );
}

#[test]
fn ipv4_in_network_ticket() {
    let r = redact(
        "VPN drops every 5 min. Client IP 10.20.30.44, gateway 192.168.1.1, mask 255.255.255.0, \
         DNS 8.8.8.8; ping 127.0.0.1 works. RDP to 172.16.0.12:3389 times out.",
    );
    assert_eq!(
        r.text,
        "VPN drops every 5 min. Client IP [IP], gateway [IP], mask 255.255.255.0, \
         DNS [IP]; ping 127.0.0.1 works. RDP to [IP]:3389 times out."
    );
    assert_eq!(r.count(PiiKind::Ip), 4);
}

#[test]
fn dotted_quads_that_are_versions_are_kept() {
    keep("Upgraded agent to version 1.2.3.4 and build 10.0.0.1; v1.2.3.4 too.");
    keep("Installed 1.2.3.4-beta, then 2.0.0.1+build7 and 1.2.3.4.5.");
    keep("Firmware: 4.1.10.2 on the switch, driver 31.0.101.4502.");
    keep("Windows 10.0.19045.3693, Office 16.0.17126.20132, Chrome 120.0.6099.130");
    // The same quad is an address without a version word in front of it.
    check("server 1.2.3.4 is down", "server [IP] is down");
    check(
        "Build server at 10.1.2.3 failed",
        "Build server at [IP] failed",
    );
}

#[test]
fn ipv6_addresses() {
    check(
        "Device got 2001:db8:85a3::8a2e:370:7334 and fe80::1ff:fe23:4567:890a%eth0 via SLAAC",
        "Device got [IP] and [IP] via SLAAC",
    );
    check("peer [2001:db8::1]:443 refused", "peer [[IP]]:443 refused");
    keep("loopback ::1 answers; std::io::Error at main.rs:42; Foo::Bar::baz()");
    keep("The sync ran at 10:15:30 and 23:59:59 on 2023-11-04T10:15:30Z");
}

#[test]
fn mac_addresses_but_not_fingerprints() {
    check(
        "Laptop MAC 00:1A:2B:3C:4D:5E, dock 00-1a-2b-3c-4d-5f needs a DHCP reservation",
        "Laptop MAC [MAC], dock [MAC] needs a DHCP reservation",
    );
    keep(
        "Cert thumbprint SHA1 fingerprint 3a:7b:9c:01:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11",
    );
}

#[test]
fn payment_cards_are_luhn_checked() {
    let r = redact(
        "Customer pasted card 4111 1111 1111 1111 and 5555-5555-5555-4444 and 378282246310005 \
         into the chat; 4111 1111 1111 1112 is a typo.",
    );
    assert_eq!(
        r.text,
        "Customer pasted card [CARD] and [CARD] and [CARD] \
         into the chat; 4111 1111 1111 1112 is a typo."
    );
    assert_eq!(r.count(PiiKind::Card), 3);
    check("Amex 3782 822463 10005 declined", "Amex [CARD] declined");
}

#[test]
fn ibans_are_checksum_validated() {
    check(
        "Please update payroll to DE89 3704 0044 0532 0130 00 (old GB82WEST12345698765432).",
        "Please update payroll to [IBAN] (old [IBAN]).",
    );
    // Wrong check digits.
    keep("Reference DE88 3704 0044 0532 0130 00 bounced");
}

#[test]
fn ssn_from_hr_ticket() {
    check(
        "New hire form rejected, SSN 078-05-1120 already used",
        "New hire form rejected, SSN [SSN] already used",
    );
    keep("Part 000-12-3456 and 666-12-3456 are not SSNs");
}

#[test]
fn credentials_in_urls_and_labelled_secrets() {
    check(
        "Backup job fails: sftp://backup:S3cr3t!@files.contoso.com/nightly returns 550",
        "Backup job fails: sftp://[CREDENTIALS]@files.contoso.com/nightly returns 550",
    );
    check(
        "Service account\nusername: svc_sql\npassword: Winter2024!\napi_key=abcd1234",
        "Service account\nusername: svc_sql\npassword: [SECRET]\napi_key=[SECRET]",
    );
    keep("Password expired again, see https://intranet.contoso.com/reset?user=me");
}

#[test]
fn names_after_phrases_labels_and_signatures() {
    check(
        "Hello, my name is Sarah Connor and my laptop will not boot.\n\nKind regards,\nSarah Connor\n",
        "Hello, my name is [NAME] and my laptop will not boot.\n\nKind regards,\n[NAME]\n",
    );
    check(
        "Name: John Smith\r\nDept: Finance\r\n",
        "Name: [NAME]\r\nDept: Finance\r\n",
    );
}

#[test]
fn ticket_numbers_are_kept() {
    keep("Re: INC0012345 / CS-10023 / #4521 / T20231104.0042 / RITM0045678 / PO 4500012345");
}

#[test]
fn error_codes_are_kept() {
    keep(
        "Windows Update fails with 0x80070005, KB5034441 won't install, browser says \
         ERR_CONNECTION_RESET, API returns 404 and 503, event id 4625, STOP 0xC000021A",
    );
}

#[test]
fn dates_times_and_numbers_are_kept() {
    keep(
        "Since 2023-11-04 10:15 (04/11/2023, 04.11.2023) about 3 users, 25 GB mailbox, \
         order 1234567890, epoch 1699092930123, quota 52428800 bytes, ext. 4521",
    );
}

#[test]
fn hashes_and_guids_are_kept() {
    keep(
        "File hash d41d8cd98f00b204e9800998ecf8427e, sha256 \
         e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855, \
         tenant id 3F2504E0-4F89-11D3-9A0C-0305E82C3301, \
         correlation 12345678-1234-1234-1234-123456789012",
    );
}

#[test]
fn realistic_full_ticket() {
    let ticket = "Subject: Cannot connect to VPN since update 10.0.19045.3693\n\
        \n\
        Hi team,\n\
        since yesterday's update (KB5034441) my VPN client (version 5.1.2.3) fails with \
        error 0x80070005. My IP is 84.17.44.201 and the laptop MAC is A4:5E:60:C2:11:9F.\n\
        You can reach me at j.smith@fabrikam.com or +31 6 12345678.\n\
        \n\
        Thanks,\n\
        James Smith\n";
    let r = redact(ticket);
    assert_eq!(
        r.text,
        "Subject: Cannot connect to VPN since update 10.0.19045.3693\n\
        \n\
        Hi team,\n\
        since yesterday's update (KB5034441) my VPN client (version 5.1.2.3) fails with \
        error 0x80070005. My IP is [IP] and the laptop MAC is [MAC].\n\
        You can reach me at [EMAIL] or [PHONE].\n\
        \n\
        Thanks,\n\
        [NAME]\n"
    );
    assert_eq!(r.total(), 5);
}

#[test]
fn printer_ticket_with_mixed_content() {
    check(
        "Printer HP-4521 at 10.1.5.77 shows error 49.4C02; driver 6.9.0.24612. \
         Contact facilities: facilities@northwind.example, ext 4521.",
        "Printer HP-4521 at [IP] shows error 49.4C02; driver 6.9.0.24612. \
         Contact facilities: [EMAIL], ext 4521.",
    );
}

#[test]
fn already_redacted_text_is_left_alone() {
    let once = redact("mail a@b.io, call +1 555 123 4567, password: x, card 4111111111111111");
    let twice = redact(&once.text);
    assert_eq!(twice.text, once.text);
    assert_eq!(twice.total(), 0, "{:?}", twice.counts);
}

#[test]
fn counts_serialize_as_camel_case() {
    let r = redact("a@b.io and sftp://u:p@h.example/");
    let json = serde_json::to_value(&r.counts).unwrap();
    assert_eq!(json, serde_json::json!({"urlCredentials": 1, "email": 1}));
}
