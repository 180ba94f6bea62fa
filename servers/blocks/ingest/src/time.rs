//! Timestamp formats of the four platforms.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// Parses the date-time shapes the platforms send:
///
/// - RFC 3339 / ISO 8601 with offset (`2024-04-17T17:18:10Z`, Salesforce's
///   `2024-03-01T10:15:00.000Z`, `+00:00` offsets);
/// - Salesforce's `+0000` offset without colon;
/// - ServiceNow's `YYYY-MM-DD hh:mm:ss` (UTC in the Table API);
/// - Kaseya BMS's `YYYY-MM-DDThh:mm:ss[.fff]` without offset (taken as UTC);
/// - Unix epoch milliseconds (Salesforce CDC `commitTimestamp`) when all digits.
pub(crate) fn parse_datetime(raw: &str) -> Option<DateTime<Utc>> {
    let s = raw.trim();
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z"] {
        if let Ok(dt) = DateTime::parse_from_str(s, fmt) {
            return Some(dt.with_timezone(&Utc));
        }
    }
    for fmt in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(Utc.from_utc_datetime(&naive));
        }
    }
    if let Ok(date) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return date.and_hms_opt(0, 0, 0).map(|n| Utc.from_utc_datetime(&n));
    }
    if s.len() >= 12 && s.bytes().all(|b| b.is_ascii_digit()) {
        return s
            .parse::<i64>()
            .ok()
            .and_then(DateTime::<Utc>::from_timestamp_millis);
    }
    None
}

/// Unix seconds (Zendesk accepts both shapes in the signature timestamp header).
pub(crate) fn parse_timestamp_header(raw: &str) -> Option<DateTime<Utc>> {
    let s = raw.trim();
    if !s.is_empty() && s.len() <= 12 && s.bytes().all(|b| b.is_ascii_digit()) {
        return s
            .parse::<i64>()
            .ok()
            .and_then(|secs| DateTime::<Utc>::from_timestamp(secs, 0));
    }
    parse_datetime(s)
}

/// ServiceNow's `YYYY-MM-DD hh:mm:ss` in UTC.
pub(crate) fn servicenow_format(dt: DateTime<Utc>) -> String {
    dt.format("%Y-%m-%d %H:%M:%S").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_platform_shape() {
        let want = Utc.with_ymd_and_hms(2024, 3, 1, 10, 15, 0).unwrap();
        for s in [
            "2024-03-01T10:15:00Z",
            "2024-03-01T10:15:00.000Z",
            "2024-03-01T10:15:00.000+0000",
            "2024-03-01T11:15:00+01:00",
            "2024-03-01 10:15:00",
            "2024-03-01T10:15:00",
            "2024-03-01T10:15:00.000",
            "1709288100000",
        ] {
            assert_eq!(parse_datetime(s), Some(want), "{s}");
        }
        for bad in [
            "",
            "yesterday",
            "2024-13-01 00:00:00",
            "99999999999999999999999",
        ] {
            assert_eq!(parse_datetime(bad), None, "{bad}");
        }
        assert_eq!(parse_timestamp_header("1709288100"), Some(want));
        assert_eq!(servicenow_format(want), "2024-03-01 10:15:00");
    }
}
