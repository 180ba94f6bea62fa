//! Redaction throughput on ticket-sized text.
//!
//! Run: `cargo bench -p omega-privacy --bench redact`

use std::time::Instant;

use omega_privacy::redact;

const TICKETS: &[&str] = &[
    "Subject: Cannot connect to VPN since update 10.0.19045.3693\n\nHi team,\nsince yesterday's \
     update (KB5034441) my VPN client (version 5.1.2.3) fails with error 0x80070005. My IP is \
     84.17.44.201 and the laptop MAC is A4:5E:60:C2:11:9F.\nYou can reach me at \
     j.smith@fabrikam.com or +31 6 12345678.\n\nThanks,\nJames Smith\n",
    "Printer HP-4521 at 10.1.5.77 shows error 49.4C02; driver 6.9.0.24612. Ticket INC0012345, \
     related CS-10023 and #4521. Contact facilities: facilities@northwind.example, ext 4521. \
     Logs attached from 2023-11-04 10:15:30 to 2023-11-04 11:00:00.\n",
    "Outlook crashes on start. Event 1000, faulting module mso20win32client.dll 16.0.17126.20132, \
     exception code 0xc0000005. Tried safe mode, /resetnavpane, new profile. User says it started \
     after the March update. Nothing personal here, just a long description of what was tried \
     and which registry keys were changed under HKCU\\Software\\Microsoft\\Office\\16.0\\Outlook.\n",
    "Payroll: please change my bank account to DE89 3704 0044 0532 0130 00. Old card \
     4111 1111 1111 1111 should be cancelled. SSN on file 078-05-1120. Call (555) 123-4567.\n",
];

fn main() {
    // About 2 KB of ticket text per document, the size of a typical ticket body.
    let doc: String = TICKETS.concat();
    let iterations = 20_000;
    // Warm up (compiles the regexes and their lazy DFAs).
    for _ in 0..200 {
        std::hint::black_box(redact(&doc));
    }
    let start = Instant::now();
    let mut findings = 0;
    for _ in 0..iterations {
        findings += std::hint::black_box(redact(std::hint::black_box(&doc))).total();
    }
    let secs = start.elapsed().as_secs_f64();
    let bytes = doc.len() as f64 * iterations as f64;
    println!(
        "redact: {} bytes/doc, {iterations} docs in {secs:.3}s = {:.1} MB/s, {:.1} µs/doc, {} findings/doc",
        doc.len(),
        bytes / secs / 1e6,
        secs * 1e6 / iterations as f64,
        findings / iterations
    );
    // Clean text (the common case) goes through the same detectors.
    let clean = TICKETS[2].repeat(5);
    let start = Instant::now();
    for _ in 0..iterations {
        std::hint::black_box(redact(std::hint::black_box(&clean)));
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "redact (no PII): {} bytes/doc = {:.1} MB/s",
        clean.len(),
        clean.len() as f64 * iterations as f64 / secs / 1e6
    );
}
