//! The deterministic plans every site starts with. Site `S` gets plans `S*1000+1..=S*1000+3`.

use serde_json::json;

use crate::mock::store::Plan;

/// The seeded plans of a site: a regular paid plan, a free membership authorized for
/// `127.0.0.0/8`, and a free membership authorized for the email domain `example.com`.
pub fn seed(site_id: u64) -> Vec<Plan> {
    let base = site_id.saturating_mul(1000);
    let product = site_id.saturating_mul(100) + 1;
    let plan =
        |n: u64, nickname: &str, amount: u64, kind: &str, ips: Vec<&str>, domains: Vec<&str>| {
            Plan {
                site_id,
                json: json!({
                    "id": base + n,
                    "product_id": product,
                    "amount": amount,
                    "currency": "usd",
                    "interval": "month",
                    "interval_count": 1,
                    "nickname": nickname,
                    "description": format!("{nickname} (mock seed)"),
                    "type": kind,
                    "auto_renew": amount > 0,
                    "countries": [],
                    "domains": domains,
                    "ip_addresses": ips,
                    "entitlements": ["premium"],
                    "metadata": {},
                }),
            }
        };
    vec![
        plan(1, "Monthly", 999, "regular", vec![], vec![]),
        plan(
            2,
            "Campus IP access",
            0,
            "membership",
            vec!["127.0.0.0/8"],
            vec![],
        ),
        plan(
            3,
            "Example.com staff",
            0,
            "membership",
            vec![],
            vec!["example.com"],
        ),
    ]
}
