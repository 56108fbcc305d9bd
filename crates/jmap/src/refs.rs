//! Result references (RFC 8620 section 3.7): an argument `#name` holding
//! `{resultOf, name, path}` takes its value from an earlier response in the
//! same request, through a JSON pointer where `*` maps over an array.

use serde_json::Value;

/// Evaluates `path` against `value`. `*` on an array applies the rest of the
/// path to each element, and flattens results that are arrays themselves.
pub fn pointer(value: &Value, path: &str) -> Option<Value> {
    if path.is_empty() {
        return Some(value.clone());
    }
    let rest = path.strip_prefix('/')?;
    let (token, tail) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let token = token.replace("~1", "/").replace("~0", "~");
    match value {
        Value::Array(items) if token == "*" => {
            let mut out = Vec::new();
            for item in items {
                match pointer(item, tail)? {
                    Value::Array(inner) => out.extend(inner),
                    v => out.push(v),
                }
            }
            Some(Value::Array(out))
        }
        Value::Array(items) => pointer(items.get(token.parse::<usize>().ok()?)?, tail),
        Value::Object(map) => pointer(map.get(&token)?, tail),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pointers_with_wildcards() {
        let v = json!({"ids": ["a", "b"], "list": [{"id": "x", "t": ["1", "2"]}, {"id": "y", "t": ["3"]}], "a/b": 1});
        assert_eq!(pointer(&v, "/ids"), Some(json!(["a", "b"])));
        assert_eq!(pointer(&v, "/ids/1"), Some(json!("b")));
        assert_eq!(pointer(&v, "/list/*/id"), Some(json!(["x", "y"])));
        assert_eq!(pointer(&v, "/list/*/t"), Some(json!(["1", "2", "3"])), "arrays flatten");
        assert_eq!(pointer(&v, "/a~1b"), Some(json!(1)));
        assert_eq!(pointer(&v, "/nope"), None);
        assert_eq!(pointer(&v, "ids"), None, "must start with /");
        assert_eq!(pointer(&v, "/ids/9"), None);
    }
}
