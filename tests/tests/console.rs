//! The operators' console (§5.17) in a real browser: `tests/browser/console.mjs` drives Debian's
//! Chromium (headless, playwright-core) through the console that `console/serve.mjs` serves
//! from `console/dist/` (built by `make console`, which `make test` runs first), against the
//! real functions. This test makes the data (a profile with a TOTP, another company's profile),
//! starts the console's server and runs the script; the script's own assertions decide.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Stdio};

use blackbox_tests::{
    Api, REPO, add_password, authenticator, base_url, create_seed_profile, fresh_company,
    settled_step, token,
};
use serde_json::json;

const PORT: u16 = 9201;
const PASSWORD: &str = "quarry lilac engine 3";

/// The console's server on `PORT`, stopped when dropped.
struct Served(std::process::Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve_console() -> Served {
    assert!(
        std::path::Path::new(&format!("{REPO}/console/dist/console.js")).exists(),
        "the console is not built: run make console"
    );
    let served = Served(
        Command::new("node")
            .arg(format!("{REPO}/console/serve.mjs"))
            .arg(PORT.to_string())
            .env("IDP_BASE_URL", base_url())
            .stdout(Stdio::null())
            .spawn()
            .expect("node serves the console"),
    );
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", PORT)).is_ok() {
            return served;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("the console's server did not start on {PORT}");
}

#[tokio::test]
async fn support_staff_find_deactivate_reset_and_erase_a_profile_in_the_console() {
    let api = Api::new();
    let company = fresh_company().await;
    let uuid = create_seed_profile(&api, &company).await;
    add_password(&api, &company, &uuid, PASSWORD).await;
    // A TOTP for support to reset.
    let path = format!("/v1/companies/{company}/profiles/{uuid}");
    let enrol = api
        .patch(
            &path,
            &token(&company),
            &json!({"operation": "two_factor", "two_factor": {"action": "enrol", "method": "totp"}}),
        )
        .await;
    let uri = enrol.body["data"]["otpauth_uri"].as_str().unwrap();
    let code = authenticator(uri, &[settled_step()])["codes"][0].clone();
    let confirm = api
        .patch(
            &path,
            &token(&company),
            &json!({"operation": "two_factor", "two_factor": {"action": "confirm", "method": "totp", "code": code}}),
        )
        .await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    let elsewhere = fresh_company().await;
    let foreign = create_seed_profile(&api, &elsewhere).await;

    let _served = serve_console();
    let browser = format!("{REPO}/.local/browser");
    std::fs::copy(
        format!("{REPO}/tests/browser/console.mjs"),
        format!("{browser}/console.mjs"),
    )
    .unwrap();
    let out = Command::new("node")
        .arg("console.mjs")
        .current_dir(&browser)
        .env("CONSOLE_URL", format!("http://localhost:{PORT}/"))
        .env("IDP_TOKEN", token(&company))
        .env("COMPANY", &company)
        .env("PROFILE", &uuid)
        .env("EMAIL", "tlat@email.com")
        .env("FOREIGN", &foreign)
        .output()
        .expect("node runs the console's browser test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the console's browser test failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("console: every step passed"), "{stdout}");
}
