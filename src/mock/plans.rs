//! The deterministic plans every site starts with. Site `S` gets plans `S*1000+1..=S*1000+3`.

use serde_json::{Map, Value, json};

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

/// A plan for site `site_id` from the given fields over the seed's defaults (a free `regular`
/// monthly plan in usd); `id` is `next_id` unless the fields give one. Returns the plan, or the
/// problems by field.
pub fn custom(
    site_id: u64,
    next_id: u64,
    fields: &Map<String, Value>,
) -> Result<Plan, Vec<(String, String)>> {
    let mut plan = json!({
        "id": next_id,
        "product_id": site_id.saturating_mul(100) + 1,
        "amount": 0,
        "currency": "usd",
        "interval": "month",
        "interval_count": 1,
        "nickname": format!("Plan {next_id}"),
        "description": "a plan seeded through the control API",
        "type": "regular",
        "auto_renew": false,
        "countries": [],
        "domains": [],
        "ip_addresses": [],
        "entitlements": [],
        "metadata": {},
    });
    if let Value::Object(map) = &mut plan {
        for (key, value) in fields {
            map.insert(key.clone(), value.clone());
        }
    }
    let mut problems = Vec::new();
    let mut problem =
        |field: &str, message: &str| problems.push((field.to_string(), message.to_string()));
    if plan["id"].as_u64().is_none_or(|id| id == 0) {
        problem("id", "The id must be a positive integer.");
    }
    if plan["amount"].as_u64().is_none() {
        problem(
            "amount",
            "The amount must be a whole number of cents, 0 or more.",
        );
    }
    if !matches!(
        plan["interval"].as_str(),
        Some("day" | "week" | "month" | "year")
    ) {
        problem(
            "interval",
            "The interval must be one of day, week, month, year.",
        );
    }
    if !matches!(plan["type"].as_str(), Some("regular" | "membership")) {
        problem("type", "The type must be regular or membership.");
    }
    let strings = |value: &Value| {
        value
            .as_array()
            .is_some_and(|items| items.iter().all(Value::is_string))
    };
    if !strings(&plan["domains"]) {
        problem("domains", "The domains must be a list of email domains.");
    }
    let cidrs = plan["ip_addresses"].as_array().is_some_and(|items| {
        items.iter().all(|item| {
            item.as_str()
                .is_some_and(|s| s.parse::<ipnet::IpNet>().is_ok())
        })
    });
    if !cidrs {
        problem(
            "ip_addresses",
            "The ip addresses must be a list of CIDR ranges.",
        );
    }
    if problems.is_empty() {
        Ok(Plan {
            site_id,
            json: plan,
        })
    } else {
        Err(problems)
    }
}
