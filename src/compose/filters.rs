//! Tera filters for letter templates. Each takes the raw value a request
//! gives (ISO date, 24-hour time, pence) and formats it for print.

use std::collections::HashMap;

use tera::{Error, Result, Value};

use crate::request::{Date, Money, Time};

fn as_str<'a>(v: &'a Value, filter: &str) -> Result<&'a str> {
    v.as_str()
        .ok_or_else(|| Error::msg(format!("filter `{filter}` expects text, got {v}")))
}

/// `{{ d | long_date }}` → "16 March 2026".
pub(crate) fn long_date(v: &Value, _: &HashMap<String, Value>) -> Result<Value> {
    let d = Date::parse(as_str(v, "long_date")?).map_err(Error::msg)?;
    Ok(Value::String(d.long()))
}

/// `{{ d | day_date }}` → "Monday 16 March 2026".
pub(crate) fn day_date(v: &Value, _: &HashMap<String, Value>) -> Result<Value> {
    let d = Date::parse(as_str(v, "day_date")?).map_err(Error::msg)?;
    Ok(Value::String(d.with_weekday()))
}

/// `{{ t | clock }}` → "10:30am".
pub fn clock(v: &Value, _: &HashMap<String, Value>) -> Result<Value> {
    let t = Time::parse(as_str(v, "clock")?).map_err(Error::msg)?;
    Ok(Value::String(t.display()))
}

/// `{{ m | pounds }}` → "£1,250.00" (the value is pence).
pub fn pounds(v: &Value, _: &HashMap<String, Value>) -> Result<Value> {
    let pence = v
        .as_i64()
        .ok_or_else(|| Error::msg(format!("filter `pounds` expects pence, got {v}")))?;
    Ok(Value::String(Money(pence).display()))
}

/// `{{ lines | join_lines }}` → the lines joined with ", ".
pub(crate) fn join_lines(v: &Value, _: &HashMap<String, Value>) -> Result<Value> {
    let items = v
        .as_array()
        .ok_or_else(|| Error::msg(format!("filter `join_lines` expects a list, got {v}")))?;
    let parts: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
    Ok(Value::String(parts.join(", ")))
}

/// `{{ b | yes_no }}` → "Yes" or "No".
pub(crate) fn yes_no(v: &Value, _: &HashMap<String, Value>) -> Result<Value> {
    let b = v
        .as_bool()
        .ok_or_else(|| Error::msg(format!("filter `yes_no` expects true or false, got {v}")))?;
    Ok(Value::String(if b { "Yes" } else { "No" }.into()))
}

/// Registers every filter on `tera`.
pub(crate) fn register(tera: &mut tera::Tera) {
    tera.register_filter("long_date", long_date);
    tera.register_filter("day_date", day_date);
    tera.register_filter("clock", clock);
    tera.register_filter("pounds", pounds);
    tera.register_filter("join_lines", join_lines);
    tera.register_filter("yes_no", yes_no);
}

#[cfg(test)]
mod tests {
    use super::*;

    type F = fn(&Value, &HashMap<String, Value>) -> Result<Value>;

    fn run(f: F, v: Value) -> String {
        match f(&v, &HashMap::new()) {
            Ok(Value::String(s)) => s,
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn table() {
        let cases: &[(F, Value, &str)] = &[
            (long_date, "2026-03-02".into(), "2 March 2026"),
            (day_date, "2026-03-16".into(), "Monday 16 March 2026"),
            (clock, "14:05".into(), "2:05pm"),
            (pounds, 123456.into(), "£1,234.56"),
            (join_lines, serde_json::json!(["a", "b"]), "a, b"),
            (yes_no, true.into(), "Yes"),
        ];
        for (f, v, want) in cases {
            assert_eq!(run(*f, v.clone()), *want);
        }
    }

    #[test]
    fn wrong_input_is_an_error() {
        assert!(long_date(&"2026-02-30".into(), &HashMap::new()).is_err());
        assert!(pounds(&"ten".into(), &HashMap::new()).is_err());
    }
}
