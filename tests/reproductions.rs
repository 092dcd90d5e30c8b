//! A failure's reproduction (`curl` commands) in a real run against the embedded mock: the
//! failing step and what it depends on, secrets only as shell variables, in every report.

mod common;

use pelcro_conformance::profile::SiteProfile;
use pelcro_conformance::redact::SecretMatcher;
use pelcro_conformance::report::{StepOutcome, console, html, markdown};

use common::suite_from_text as suite;

const PASSWORD: &str = "Repro-Pw-5c2f9e1d";

fn failing_suite() -> String {
    format!(
        "name: reproduce a failure
claims: [CUST-GET]
steps:
  - name: register
    request: {{ method: POST, path: /auth/register, json: {{ email: \"{{{{ fresh_email }}}}\", password: \"{PASSWORD}\" }} }}
    expect: {{ status: 200 }}
  - name: unrelated
    request: {{ method: GET, path: /site }}
    expect: {{ status: 200 }}
  - name: login
    request: {{ method: POST, path: /auth/login, json: {{ email: \"{{{{ fresh_email }}}}\", password: \"{PASSWORD}\" }} }}
    expect: {{ status: 200 }}
    capture: {{ token: /data/auth_token }}
  - name: read the customer
    request: {{ method: GET, path: /customer, bearer: \"{{{{ token }}}}\" }}
    expect: {{ status: 400 }}
"
    )
}

#[tokio::test]
async fn a_failing_steps_reproduction_replays_its_dependencies_with_secrets_as_variables() {
    let outcome = common::run_on_mock(vec![suite(&failing_suite())], SiteProfile::default()).await;
    let report = &outcome.report;
    let steps = &report.suites[0].steps;
    let failed = steps.last().unwrap();
    assert_eq!(failed.outcome, StepOutcome::Failed);
    assert!(
        steps[..3].iter().all(|s| s.reproduction.is_none()),
        "only failures carry one"
    );
    let text = failed.reproduction.as_deref().expect("a reproduction");
    assert!(text.contains("# step `register`"), "{text}");
    assert!(text.contains("# step `login`"), "{text}");
    assert!(!text.contains("`unrelated`"), "{text}");
    assert!(
        text.contains("TOKEN=$(curl -sS -X POST") && text.contains("| jq -r '.data.auth_token')"),
        "{text}"
    );
    assert!(
        text.contains("\"password\":\"'\"$PELCRO_PASSWORD\"'\""),
        "{text}"
    );
    assert!(
        text.contains("-H 'Authorization: Bearer '\"$TOKEN\""),
        "{text}"
    );
    assert!(text.contains("/customer?site_id=1'"), "{text}");
    // Only variables: no value of any secret the run saw, and nothing left for the redactor.
    assert!(!text.contains(PASSWORD), "{text}");
    assert!(!text.contains("eyJ"), "{text}");
    assert!(!text.contains("[redacted"), "{text}");
    let matcher = SecretMatcher::new(outcome.secrets.iter().map(String::as_str));
    assert!(outcome.secrets.iter().any(|s| s == PASSWORD));
    let profile = SiteProfile::default();
    for (name, out) in [
        ("markdown", markdown::render(report, &profile)),
        ("html", html::render(report, &profile)),
        ("console -v", console::render(report, true)),
    ] {
        assert!(
            out.contains("jq -r &#39;.data.auth_token&#39;")
                || out.contains("jq -r '.data.auth_token'"),
            "{name} shows the reproduction: {out}"
        );
        assert!(
            pelcro_conformance::leakscan::scan_text(name, &out, &matcher).is_none(),
            "{name} leaks a secret"
        );
    }
}

#[tokio::test]
async fn a_step_without_dependencies_is_one_command() {
    let outcome = common::run_on_mock(
        vec![suite(
            "name: one step
claims: [SITE]
steps:
  - name: the site
    request: { method: GET, path: /site }
    expect: { status: 400 }
",
        )],
        SiteProfile::default(),
    )
    .await;
    let text = outcome.report.suites[0].steps[0]
        .reproduction
        .clone()
        .expect("a reproduction");
    assert_eq!(text.matches("curl ").count(), 1, "{text}");
    assert!(!text.contains("jq"), "{text}");
    assert!(
        text.contains("curl -sS -i -X GET 'http://127.0.0.1:"),
        "{text}"
    );
}
