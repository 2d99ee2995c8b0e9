//! Two sandboxes serve identical ids and amounts for the same user and day.

use serde_json::Value;

use crate::common::*;

fn strip_volatile(mut v: Value) -> Value {
    // Times of the request and random consent ids differ by design.
    if let Some(obj) = v.as_object_mut() {
        for key in ["meta", "consents", "balances", "links", "dateTime"] {
            obj.remove(key);
        }
        for (_, child) in obj.iter_mut() {
            *child = strip_volatile(child.take());
        }
    } else if let Some(items) = v.as_array_mut() {
        for item in items.iter_mut() {
            *item = strip_volatile(item.take());
        }
    }
    v
}

#[tokio::test]
async fn same_user_same_ids_and_amounts_across_sandboxes() {
    let (one, two) = (sandbox().await, sandbox().await);
    let http = http();
    let mut seen = Vec::new();
    for sb in [&one, &two] {
        consent(&http, sb, "twin", "BLUE").await;
        consent(&http, sb, "twin", "RED").await;
        let token = mint(&http, sb, "twin").await;
        let (_, accounts) = get(&http, &accounts_url(sb), &token).await;
        let mut snapshot = vec![strip_volatile(accounts.clone())];
        for a in accounts["accounts"].as_array().unwrap() {
            let id = a["accountId"].as_str().unwrap();
            snapshot.push(Value::Array(
                all_transactions(&http, sb, &token, id, "").await,
            ));
            let (_, balances) = get(&http, &account_url(sb, id, "balances"), &token).await;
            snapshot.push(balances["balances"][0]["amount"].clone());
        }
        seen.push(snapshot);
    }
    assert_ne!(one.base_url(), two.base_url());
    assert_eq!(seen[0].len(), 1 + 4 * 2);
    assert_eq!(seen[0], seen[1]);
}
