//! Ages: Kubernetes' `duration.HumanDuration` and the `translateTimestampSince` cells built on
//! it (`AGE`, `LAST SEEN`, `DURATION`, ...).

use crate::table::fields::get;
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

/// Kubernetes' `duration.HumanDuration`: `45s`, `5m12s`, `3h`, `2d3h`, `400d`, `3y12d`; `0s`
/// for up to two seconds in the future (clock skew) and `<invalid>` beyond that.
pub fn human_duration(d: SignedDuration) -> String {
    let seconds = d.as_secs();
    if seconds < -1 {
        return "<invalid>".to_string();
    }
    if seconds < 0 {
        return "0s".to_string();
    }
    if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        return with_remainder(minutes, "m", seconds % 60, "s");
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = minutes / 60;
    if hours < 8 {
        return with_remainder(hours, "h", minutes % 60, "m");
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    let days = hours / 24;
    if days < 8 {
        return with_remainder(days, "d", hours % 24, "h");
    }
    if days < 365 * 2 {
        return format!("{days}d");
    }
    let years = days / 365;
    if years < 8 {
        return with_remainder(years, "y", days % 365, "d");
    }
    format!("{years}y")
}

fn with_remainder(major: i64, major_unit: &str, minor: i64, minor_unit: &str) -> String {
    if minor == 0 {
        format!("{major}{major_unit}")
    } else {
        format!("{major}{major_unit}{minor}{minor_unit}")
    }
}

pub(super) fn parse_time(value: Option<&Value>) -> Option<Timestamp> {
    value
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<Timestamp>().ok())
}

/// `translateTimestampSince`: the age of a timestamp, `<unknown>` when unset.
pub(super) fn since(value: Option<&Value>, now: Timestamp) -> String {
    match parse_time(value) {
        Some(t) => human_duration(now.duration_since(t)),
        None => "<unknown>".to_string(),
    }
}

pub(super) fn age(obj: &Value, now: Timestamp) -> Value {
    Value::String(since(get(obj, &["metadata", "creationTimestamp"]), now))
}
