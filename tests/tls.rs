//! Certificates are validated against a live target: a site whose certificate no trusted CA
//! signed is refused before any request, and `--ca-cert` adds a private CA.

mod common;

use std::sync::Arc;

use common::{TempDir, cli, stderr, stdout};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A private CA, and an HTTPS server for `localhost` whose certificate it signed. The server
/// answers 404 under `/__control` (no capabilities) and a Site envelope at `/site`.
async fn start_tls_target() -> (String, String) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let server_key = KeyPair::generate().unwrap();
    let server_cert = CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&server_key, &ca)
        .unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![server_cert.der().clone()], key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(socket).await else {
                    return;
                };
                let mut buffer = vec![0u8; 8192];
                let Ok(n) = tls.read(&mut buffer).await else {
                    return;
                };
                let request = String::from_utf8_lossy(&buffer[..n]);
                let path = request.split_whitespace().nth(1).unwrap_or("/");
                let (status, body) = if path.starts_with("/api/v1/sdk/site") {
                    (
                        "200 OK",
                        r#"{"error":false,"data":{"id":1,"name":"TLS site","default_currency":"usd","default_locale":"en_US","ecommerce_enabled":false,"passwordless_enabled":true,"email_verify_enabled":false,"taxes_enabled":false}}"#,
                    )
                } else {
                    (
                        "404 Not Found",
                        r#"{"error":{"report_id":null,"status":404,"message":"Not Found"}}"#,
                    )
                };
                let reply = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(reply.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (format!("https://localhost:{port}"), ca.pem())
}

const SITE_SUITE: &str = "name: site over TLS
claims: [SITE, GEN-HTTPS]
steps:
  - name: site
    request: { method: GET, path: /site }
    expect: { status: 200, schema: site-envelope }
";

#[tokio::test]
async fn an_untrusted_certificate_is_refused_and_a_private_ca_can_be_trusted() {
    let (url, ca_pem) = start_tls_target().await;
    let dir = TempDir::new("tls");
    dir.write("suites/site.yaml", SITE_SUITE);
    let ca = dir.write("ca.pem", &ca_pem);
    let suites = format!("{}/suites", dir.path());
    let url_for_cli = url.clone();
    let refused = tokio::task::spawn_blocking(move || {
        cli(&[
            "run",
            "--target",
            &url_for_cli,
            "--site-id",
            "1",
            "--suites",
            &suites,
        ])
    })
    .await
    .unwrap();
    assert_eq!(
        refused.status.code(),
        Some(3),
        "{}{}",
        stdout(&refused),
        stderr(&refused)
    );
    assert!(
        stderr(&refused).to_lowercase().contains("certificate"),
        "{}",
        stderr(&refused)
    );

    let suites = format!("{}/suites", dir.path());
    let ca = ca.to_str().unwrap().to_string();
    let trusted = tokio::task::spawn_blocking(move || {
        cli(&[
            "run",
            "--target",
            &url,
            "--site-id",
            "1",
            "--suites",
            &suites,
            "--ca-cert",
            &ca,
        ])
    })
    .await
    .unwrap();
    assert_eq!(
        trusted.status.code(),
        Some(0),
        "{}{}",
        stdout(&trusted),
        stderr(&trusted)
    );
    assert!(
        stdout(&trusted)
            .trim_end()
            .ends_with("1 passed, 0 failed, 0 skipped")
    );
}

#[test]
fn a_bad_ca_file_is_a_usage_error_naming_it() {
    let dir = TempDir::new("tls-bad");
    let bad = dir.write("bad.pem", "not a certificate");
    let output = cli(&["run", "--ca-cert", bad.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("bad.pem"), "{}", stderr(&output));
}

/// GEN-HTTPS is not applicable over plain HTTP: skipped with the reason, never "pass"; over TLS
/// the same built-in suite runs and passes.
#[tokio::test]
async fn gen_https_is_skipped_over_plain_http_and_checked_over_tls() {
    let (url, ca_pem) = start_tls_target().await;
    let dir = TempDir::new("https-applies");
    let suite = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("suites/transport/https.yaml"),
    )
    .unwrap();
    dir.write("suites/https.yaml", &suite);
    let ca = dir.write("ca.pem", &ca_pem);
    let run = |target: String, out: &str| {
        let suites = format!("{}/suites", dir.path());
        let out = format!("{}/{out}", dir.path());
        let ca = ca.to_str().unwrap().to_string();
        move || {
            let output = cli(&[
                "run",
                "--target",
                &target,
                "--site-id",
                "1",
                "--suites",
                &suites,
                "--ca-cert",
                &ca,
                "--report-dir",
                &out,
            ]);
            let json = std::fs::read_to_string(format!("{out}/report.json")).unwrap_or_default();
            let md = std::fs::read_to_string(format!("{out}/report.md")).unwrap_or_default();
            (output, json, md)
        }
    };
    let (plain, json, md) = tokio::task::spawn_blocking(run("mock".into(), "plain"))
        .await
        .unwrap();
    assert_eq!(plain.status.code(), Some(0), "{}", stderr(&plain));
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let suite = &report["suites"][0];
    assert_eq!(suite["outcome"], "skipped", "{suite}");
    let reason = suite["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("not applicable: embedded mock is reached over plain HTTP"),
        "{reason}"
    );
    let line = md.lines().find(|l| l.contains("**GEN-HTTPS**")).unwrap();
    assert!(line.contains("— skipped"), "{line}");
    assert!(!line.contains("pass"), "{line}");

    let (tls, json, _) = tokio::task::spawn_blocking(run(url, "tls")).await.unwrap();
    assert_eq!(
        tls.status.code(),
        Some(0),
        "{}{}",
        stdout(&tls),
        stderr(&tls)
    );
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(report["suites"][0]["outcome"], "passed", "{report}");
    assert!(
        report["capabilities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "https")
    );
}
