//! The mock's state: sites, customers, tokens, lockout counters, one-time tokens.
//!
//! One `Mutex<Store>` guards it all; handlers never hold it across password hashing.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use serde_json::{Map, Value, json};

use crate::mock::clock::iso8601;
use crate::mock::plans;
use crate::profile::SiteProfile;

/// One customer of an account.
#[derive(Debug, Clone)]
pub struct Customer {
    pub id: u64,
    pub account_id: u64,
    pub email: String,
    pub email_confirm: bool,
    pub username: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub display_name: Option<String>,
    pub phone: Option<String>,
    pub language: Option<String>,
    pub metadata: Map<String, Value>,
    pub password_hash: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_login_at: Option<i64>,
    /// The `jti` of every token minted for the customer (single user authentication).
    pub jtis: Vec<String>,
}

impl Customer {
    /// The Customer resource of docs/wire.md; `token` fills `auth_token` and `token`.
    pub fn to_json(&self, token: Option<&str>) -> Value {
        let full = [self.first_name.as_deref(), self.last_name.as_deref()]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let full = if full.is_empty() {
            Value::Null
        } else {
            json!(full)
        };
        json!({
            "id": self.id,
            "email": self.email,
            "email_confirm": self.email_confirm,
            "username": self.username,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "name": full,
            "full_name": full,
            "display_name": self.display_name,
            "phone": self.phone,
            "language": self.language,
            "metadata": self.metadata,
            "has_password": self.password_hash.is_some(),
            "created_at": iso8601(self.created_at),
            "updated_at": iso8601(self.updated_at),
            "last_login_at": self.last_login_at.map(iso8601),
            "subscriptions": [],
            "memberships": [],
            "expired_memberships": [],
            "expired_subscriptions": [],
            "gift_recipients": [],
            "addresses": [],
            "invoices": [],
            "charges": [],
            "orders": [],
            "sources": [],
            "source": null,
            "auth_token": token,
            "token": token,
        })
    }
}

/// Failed logins of one identity within the current window.
#[derive(Debug, Clone)]
pub struct Failures {
    pub window_start: i64,
    pub count: u32,
    pub locked_until: Option<i64>,
}

/// A passwordless login token.
#[derive(Debug, Clone)]
pub struct OneTimeToken {
    pub token: String,
    pub account_id: u64,
    pub customer_id: u64,
    pub email: String,
    pub issued_at: i64,
    pub expires_at: i64,
    pub used: bool,
}

/// What a registered identity-provider token stands for.
#[derive(Debug, Clone)]
pub struct IdpProfile {
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub user_id: String,
}

/// A plan and the site it belongs to.
#[derive(Debug, Clone)]
pub struct Plan {
    pub site_id: u64,
    pub json: Value,
}

#[derive(Debug, Default)]
pub struct Store {
    pub sites: BTreeMap<u64, SiteProfile>,
    pub plans: BTreeMap<u64, Plan>,
    pub customers: HashMap<u64, Customer>,
    next_customer_id: u64,
    by_email: HashMap<(u64, String), u64>,
    by_username: HashMap<(u64, String), u64>,
    pub blacklist: HashSet<String>,
    /// Keyed by (account, identity): `customer:<id>`, `email:<addr>` or `username:<name>`.
    pub failures: HashMap<(u64, String), Failures>,
    /// Passwordless tokens by token.
    pub passwordless: HashMap<String, OneTimeToken>,
    /// The last passwordless token per lower-cased email (control API).
    pub passwordless_last: HashMap<String, String>,
    /// Times of passwordless requests per (account, lower-cased email).
    pub passwordless_requests: HashMap<(u64, String), VecDeque<i64>>,
    /// Password-reset tokens by (account, lower-cased email).
    pub reset_tokens: HashMap<(u64, String), OneTimeToken>,
    /// The last reset token per lower-cased email (control API).
    pub reset_last: HashMap<String, (u64, String)>,
    /// Registered identity-provider tokens by (provider, token).
    pub idp_tokens: HashMap<(String, String), IdpProfile>,
}

impl Store {
    pub fn new(site_id: u64, profile: SiteProfile) -> Store {
        let mut s = Store {
            next_customer_id: 1001,
            ..Store::default()
        };
        s.put_site(site_id, profile);
        s
    }

    /// Creates or replaces a site's settings; a new site gets its seeded plans.
    pub fn put_site(&mut self, site_id: u64, profile: SiteProfile) {
        if !self.sites.contains_key(&site_id) {
            for plan in plans::seed(site_id) {
                if let Some(id) = plan.json["id"].as_u64() {
                    self.plans.insert(id, plan);
                }
            }
        }
        self.sites.insert(site_id, profile);
    }

    /// Empties everything but the sites and their plans. Customer ids keep counting, so a token
    /// minted before the reset never names a customer created after it.
    pub fn reset(&mut self) {
        let sites = std::mem::take(&mut self.sites);
        let plans = std::mem::take(&mut self.plans);
        let next = self.next_customer_id;
        *self = Store {
            sites,
            plans,
            next_customer_id: next,
            ..Store::default()
        };
    }

    pub fn by_email(&self, account_id: u64, email: &str) -> Option<&Customer> {
        self.by_email
            .get(&(account_id, email.to_lowercase()))
            .and_then(|id| self.customers.get(id))
    }

    pub fn by_username(&self, account_id: u64, username: &str) -> Option<&Customer> {
        self.by_username
            .get(&(account_id, username.to_lowercase()))
            .and_then(|id| self.customers.get(id))
    }

    pub fn email_taken(&self, account_id: u64, email: &str, except: Option<u64>) -> bool {
        self.by_email(account_id, email)
            .is_some_and(|c| Some(c.id) != except)
    }

    pub fn username_taken(&self, account_id: u64, username: &str, except: Option<u64>) -> bool {
        self.by_username(account_id, username)
            .is_some_and(|c| Some(c.id) != except)
    }

    /// Inserts a new customer (the caller has checked uniqueness); returns its id.
    pub fn insert(&mut self, mut c: Customer) -> u64 {
        let id = self.next_customer_id;
        self.next_customer_id += 1;
        c.id = id;
        self.by_email
            .insert((c.account_id, c.email.to_lowercase()), id);
        if let Some(u) = &c.username {
            self.by_username
                .insert((c.account_id, u.to_lowercase()), id);
        }
        self.customers.insert(id, c);
        id
    }

    /// Replaces a customer's record, keeping the email and username indexes right.
    pub fn update(&mut self, c: Customer) {
        if let Some(old) = self.customers.get(&c.id) {
            self.by_email
                .remove(&(old.account_id, old.email.to_lowercase()));
            if let Some(u) = &old.username {
                self.by_username.remove(&(old.account_id, u.to_lowercase()));
            }
        }
        self.by_email
            .insert((c.account_id, c.email.to_lowercase()), c.id);
        if let Some(u) = &c.username {
            self.by_username
                .insert((c.account_id, u.to_lowercase()), c.id);
        }
        self.customers.insert(c.id, c);
    }
}
