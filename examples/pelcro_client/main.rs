//! A short customer journey with the example client, against a running mock or a Pelcro site:
//!
//! ```sh
//! pelcro-conformance mock --port 8080 &
//! cargo run --example pelcro_client -- http://127.0.0.1:8080 1
//! ```
//!
//! It registers a throwaway customer, logs in, reads and updates the profile, refreshes the
//! token, checks the old token is refused, logs out and checks the session is gone. It prints
//! what it does, never a token or a password. Exit code 0 when every step went as documented.

// The client is an SDK's whole surface; this journey uses part of it.
#[allow(dead_code)]
mod client;

use std::process::ExitCode;

use client::{CustomerUpdate, PelcroClient, PelcroError};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (base, site) = match args.as_slice() {
        [base, site] => match site.parse::<u64>() {
            Ok(site) => (base.clone(), site),
            Err(_) => return usage("SITE_ID must be a number"),
        },
        _ => return usage("expected BASE_URL and SITE_ID"),
    };
    match journey(&base, site).await {
        Ok(()) => {
            println!("done: every step went as documented");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("{problem}\nusage: pelcro_client BASE_URL SITE_ID   (e.g. http://127.0.0.1:8080 1)");
    ExitCode::from(2)
}

async fn journey(base: &str, site: u64) -> Result<(), String> {
    let client = PelcroClient::new(base, site).map_err(|e| e.to_string())?;
    let email = format!("sdk-example-{:016x}@example.com", fastrand::u64(..));
    let password: String = (0..20).map(|_| fastrand::alphanumeric()).collect();
    println!("site {site} at {base}");

    let c = client
        .register(&email, &password)
        .await
        .map_err(|e| format!("register: {e}"))?;
    println!("registered customer {} <{}>", c.id, c.email);

    let c = client
        .login(&email, &password)
        .await
        .map_err(|e| format!("login: {e}"))?;
    println!(
        "logged in as customer {} (last login {})",
        c.id,
        c.last_login_at.as_deref().unwrap_or("-")
    );

    let c = client
        .retrieve()
        .await
        .map_err(|e| format!("retrieve: {e}"))?;
    println!("retrieved customer {}: first name {:?}", c.id, c.first_name);

    client
        .update(
            &CustomerUpdate::new()
                .first_name(Some("Ada"))
                .language(Some("en")),
        )
        .await
        .map_err(|e| format!("update: {e}"))?;
    let c = client
        .retrieve()
        .await
        .map_err(|e| format!("retrieve: {e}"))?;
    println!(
        "updated: first name {:?}, language {:?}",
        c.first_name, c.language
    );
    if c.first_name.as_deref() != Some("Ada") {
        return Err("the update did not persist".into());
    }

    let old = client.token();
    client
        .refresh()
        .await
        .map_err(|e| format!("refresh: {e}"))?;
    println!("refreshed the token");
    let stale = PelcroClient::new(base, site).map_err(|e| e.to_string())?;
    stale.set_token(old);
    match stale.retrieve().await {
        Err(e @ (PelcroError::TokenRefused { .. } | PelcroError::Unauthenticated { .. })) => {
            println!("the token from before the refresh is refused: {e}")
        }
        Ok(_) => return Err("the token from before the refresh still works".into()),
        Err(e) => return Err(format!("retrieve with the old token: {e}")),
    }

    let kept = client.token();
    client.logout().await.map_err(|e| format!("logout: {e}"))?;
    println!(
        "logged out; the client holds a token: {}",
        client.has_token()
    );
    stale.set_token(kept);
    match stale.retrieve().await {
        Err(e @ (PelcroError::TokenRefused { .. } | PelcroError::Unauthenticated { .. })) => {
            println!("the logged-out token is refused: {e}")
        }
        Ok(_) => return Err("the logged-out token still works".into()),
        Err(e) => return Err(format!("retrieve with the logged-out token: {e}")),
    }
    Ok(())
}
