//! Company configuration reads (§5.8–§5.10) through HTTP against the real binaries.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use blackbox_tests::{Api, fresh_company, fresh_company_with, token};
use serde_json::{Value, json};

#[tokio::test]
async fn the_demo_company_shows_its_forms_and_nothing_else() {
    let api = Api::new();
    let reply = api.get("/v1/companies/-1", &token("-1")).await;
    assert_eq!(
        (reply.status, reply.body),
        (
            200,
            json!({"code": 200, "resource": "Company Config", "message": "Found", "data": {
                "company_id": "-1",
                "company_name": "Test Company",
                "unique_fields": ["nin", "username", "email"],
                "unique_fields_relation": [["nin"], ["username"], ["email"]],
                "allowed_registers": [["nin_register", "test_idp"]],
                "allowed_logins": ["email_origin_password"]
            }})
        )
    );
}

#[tokio::test]
async fn a_company_shows_its_composite_sets_pairs_and_login_names() {
    let api = Api::new();
    let company = fresh_company_with(|c| {
        c["name"] = json!(null);
        c["identifier_sets"] = json!([["email", "origin"], ["phone_number"], ["nin"]]);
        c["information_providers"] = json!(["test_idp", "google"]);
        c["register_types"]["social"] =
            json!({"required": ["email"], "allowed": ["email", "origin"], "information_providers": ["google"]});
        c["login_forms"] = json!([
            {"identifiers": ["email", "origin"], "authenticators": ["password"]},
            {"name": "by_phone", "identifiers": ["phone_number"], "authenticators": ["password"]}
        ]);
    })
    .await;
    let reply = api
        .get(&format!("/v1/companies/{company}"), &token(&company))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let data = &reply.body["data"];
    assert_eq!(data["company_id"], company.as_str());
    assert_eq!(data["company_name"], json!(null));
    assert_eq!(
        data["unique_fields"],
        json!(["email", "origin", "phone_number", "nin"])
    );
    assert_eq!(
        data["unique_fields_relation"],
        json!([["email", "origin"], ["phone_number"], ["nin"]])
    );
    // One load dated every pair at once: then by form, then provider.
    assert_eq!(
        data["allowed_registers"],
        json!([
            ["nin_register", "google"],
            ["nin_register", "test_idp"],
            ["social", "google"]
        ])
    );
    assert_eq!(
        data["allowed_logins"],
        json!(["email_origin_password", "by_phone"])
    );
    let text = reply.body.to_string();
    for internal in [
        "password_policy",
        "lockout",
        "min_length",
        "email_body",
        "token_ttl",
    ] {
        assert!(!text.contains(internal), "{internal} leaked: {text}");
    }
}

#[tokio::test]
async fn an_unknown_company_is_404_company_config() {
    let api = Api::new();
    // A valid id without a configuration, and one no configuration can have (65 characters).
    let too_long = "a".repeat(65);
    for company in ["nobody-here", too_long.as_str()] {
        let reply = api
            .get(&format!("/v1/companies/{company}"), &token(company))
            .await;
        assert_eq!(
            (reply.status, reply.body),
            (
                404,
                json!({"code": 404, "resource": "Company Config", "message": "Not found"})
            ),
            "{company}"
        );
    }
    // And the token of a company that exists may not look at one that does not.
    let known = fresh_company().await;
    let reply = api.get("/v1/companies/nobody-here", &token(&known)).await;
    assert_eq!(reply.status, 403);
}

fn register_type(
    name: &str,
    provider: &str,
    required: Value,
    allowed: Value,
    company: Value,
) -> Value {
    json!({"name": name, "information_provider": provider, "required_fields": required,
           "allowed_fields": allowed, "company_name": company})
}

const TEN: [&str; 10] = [
    "nin",
    "origin",
    "username",
    "phone_number",
    "email",
    "name",
    "lastname",
    "birthday",
    "nationality",
    "timezone",
];

#[tokio::test]
async fn the_demo_register_type_answers_as_the_published_page() {
    let api = Api::new();
    let reply = api
        .get(
            "/v1/companies/-1/register_types/nin_register/information_provider/test_idp",
            &token("-1"),
        )
        .await;
    assert_eq!(
        (reply.status, reply.body),
        (
            200,
            json!({"code": 200, "resource": "Register Type", "message": "Found",
                   "data": register_type("nin_register", "test_idp", json!(["nin", "name", "lastname"]),
                                         json!(TEN), json!("Test Company"))})
        )
    );
}

/// A company with four forms and three providers: seven (form, provider) pairs.
async fn company_with_seven_pairs() -> String {
    fresh_company_with(|c| {
        c["information_providers"] = json!(["test_idp", "google", "apple"]);
        c["register_types"] = json!({
            "nin_register": {"required": ["nin"], "allowed": ["nin", "name"]},
            "social": {"required": ["email"], "allowed": ["email"], "information_providers": ["google", "apple"]},
            "staff": {"required": ["username"], "allowed": ["username"], "information_providers": ["test_idp"]},
            "phone": {"required": ["phone_number"], "allowed": ["phone_number"], "information_providers": ["apple"]}
        });
    })
    .await
}

#[tokio::test]
async fn a_register_type_is_a_form_offered_through_one_provider() {
    let api = Api::new();
    let company = company_with_seven_pairs().await;
    let path = |form: &str, provider: &str| {
        format!("/v1/companies/{company}/register_types/{form}/information_provider/{provider}")
    };
    let reply = api.get(&path("social", "apple"), &token(&company)).await;
    assert_eq!(
        (reply.status, &reply.body["data"]),
        (
            200,
            &register_type(
                "social",
                "apple",
                json!(["email"]),
                json!(["email"]),
                json!("Test Company")
            )
        )
    );
    let not_found = json!({"code": 404, "resource": "Register Type", "message": "Not found"});
    for (form, provider) in [
        ("social", "test_idp"),     // a form not offered through that provider
        ("nothing", "test_idp"),    // no such form
        ("nin_register", "nobody"), // no such provider
    ] {
        let reply = api.get(&path(form, provider), &token(&company)).await;
        assert_eq!(
            (reply.status, &reply.body),
            (404, &not_found),
            "{form} {provider}"
        );
    }
    let reply = api
        .get(
            "/v1/companies/nobody-here/register_types/social/information_provider/apple",
            &token("nobody-here"),
        )
        .await;
    assert_eq!(
        (reply.status, reply.body),
        (
            404,
            json!({"code": 404, "resource": "Company Config", "message": "Not found"})
        )
    );

    // Create Profile refuses the pair the company does not offer as it refuses an unknown
    // provider.
    let body = |provider: &str| {
        json!({"register_type": "social", "information_provider": provider,
               "profile": {"email": "ana@example.com"}})
    };
    let refused = api
        .post(
            &format!("/v1/companies/{company}/profiles"),
            &token(&company),
            &body("test_idp"),
        )
        .await;
    assert_eq!(
        (refused.status, refused.body),
        (
            400,
            json!({"code": 400, "resource": "Profile", "message": "Bad request",
                   "errors": "Unknown information_provider `test_idp`"})
        )
    );
    let created = api
        .post(
            &format!("/v1/companies/{company}/profiles"),
            &token(&company),
            &body("apple"),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
}

fn pairs_of(body: &Value) -> Vec<(String, String)> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rt| {
            (
                rt["name"].as_str().unwrap().to_owned(),
                rt["information_provider"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[tokio::test]
async fn register_types_are_paged_in_order_and_past_the_end_is_empty() {
    let api = Api::new();
    let company = company_with_seven_pairs().await;
    let list = |query: &str| {
        let api = api.clone();
        let (company, query) = (company.clone(), query.to_owned());
        async move {
            api.get(
                &format!("/v1/companies/{company}/register_types{query}"),
                &token(&company),
            )
            .await
        }
    };
    // One load dated every pair at once: by form, then provider.
    let all = pairs(&[
        ("nin_register", "apple"),
        ("nin_register", "google"),
        ("nin_register", "test_idp"),
        ("phone", "apple"),
        ("social", "apple"),
        ("social", "google"),
        ("staff", "test_idp"),
    ]);
    let first = list("").await;
    assert_eq!(
        (first.status, first.body["message"].clone()),
        (200, json!("Found"))
    );
    assert_eq!(pairs_of(&first.body), all[..5], "defaults: page 1 of 5");
    assert_eq!(pairs_of(&list("?page=2").await.body), all[5..]);
    assert_eq!(pairs_of(&list("?page=3").await.body), []);
    assert_eq!(pairs_of(&list("?per_page=100").await.body), all);
    assert_eq!(pairs_of(&list("?page=7&per_page=1").await.body), all[6..]);
    assert_eq!(pairs_of(&list("?page=8&per_page=1").await.body), []);
    assert_eq!(pairs_of(&list("?page=100&per_page=100").await.body), []);

    for (query, named) in [
        ("?page=0", "`page`"),
        ("?page=-1", "`page`"),
        ("?page=1.5", "`page`"),
        ("?per_page=0", "`per_page`"),
        ("?per_page=101", "`per_page`"),
        ("?page=101&per_page=100", "10000"),
        ("?from_date=yesterday", "`from_date`"),
        ("?until_date=2026-02-30", "`until_date`"),
        ("?from_date=2026-12-01T10:00:00", "`from_date`"),
        (
            "?from_date=2026-12-02&until_date=2026-12-01",
            "`from_date` must not be after",
        ),
    ] {
        let reply = list(query).await;
        assert_eq!(reply.status, 400, "{query}: {}", reply.body);
        assert_eq!(reply.body["resource"], "Register Type");
        let sentence = reply.body["errors"].as_str().unwrap();
        assert!(sentence.contains(named), "{query}: {sentence}");
    }
}

/// `YYYY-MM-DD` and `YYYY-MM-DDTHH:MM:SS.mmmZ` of epoch milliseconds.
fn utc(ms: u64) -> (String, String) {
    let days = (ms / 86_400_000) as i64;
    let rest = ms % 86_400_000;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let date = format!("{year:04}-{month:02}-{day:02}");
    let (h, m, s, milli) = (
        rest / 3_600_000,
        rest / 60_000 % 60,
        rest / 1000 % 60,
        rest % 1000,
    );
    (
        date.clone(),
        format!("{date}T{h:02}:{m:02}:{s:02}.{milli:03}Z"),
    )
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[tokio::test]
async fn dates_are_kept_on_reload_and_filter_inclusively() {
    let api = Api::new();
    let config = |providers: Value| {
        move |c: &mut Value| {
            c["information_providers"] = providers;
        }
    };
    let company = fresh_company_with(config(json!(["test_idp"]))).await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let between = now_ms();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    // The same configuration loaded again, with one provider more.
    let mut again = blackbox_tests::demo_config();
    again["company_id"] = json!(company);
    config(json!(["test_idp", "apple"]))(&mut again);
    blackbox_tests::store()
        .await
        .put_company_config(&idp_core::company::CompanyConfig::from_value(again).unwrap())
        .await
        .unwrap();
    let list = |query: String| {
        let api = api.clone();
        let company = company.clone();
        async move {
            let reply = api
                .get(
                    &format!("/v1/companies/{company}/register_types{query}"),
                    &token(&company),
                )
                .await;
            assert_eq!(reply.status, 200, "{query}: {}", reply.body);
            pairs_of(&reply.body)
        }
    };
    let old = pairs(&[("nin_register", "test_idp")]);
    let new = pairs(&[("nin_register", "apple")]);
    // The pair of the first load kept its date: it still comes first.
    assert_eq!(
        list(String::new()).await,
        [old.clone(), new.clone()].concat()
    );

    let (today, instant) = utc(between);
    assert_eq!(list(format!("?from_date={instant}")).await, new);
    assert_eq!(list(format!("?until_date={instant}")).await, old);
    // Bare dates cover the whole day (the test would need to straddle midnight UTC to miss).
    let both = [old.clone(), new.clone()].concat();
    assert_eq!(
        list(format!("?from_date={today}&until_date={today}")).await,
        both
    );
    let (yesterday, _) = utc(between - 86_400_000);
    let (tomorrow, _) = utc(between + 86_400_000);
    assert_eq!(list(format!("?until_date={yesterday}")).await, []);
    assert_eq!(list(format!("?from_date={tomorrow}")).await, []);
    // The same instant written with a zone: 02:00 ahead.
    let (_, shifted) = utc(between + 2 * 3_600_000);
    let with_zone = shifted.replace('Z', "+02:00");
    assert_eq!(
        list(format!("?from_date={}", with_zone.replace('+', "%2B"))).await,
        new
    );
}
