//! The lockout under parallel attack, through the store against DynamoDB Local with real
//! concurrent tasks (the local function server runs one request at a time per function, so
//! this is where many parallel attempts can meet): at most `lock_after_failures` attempts are
//! counted, and so verified, before the lock; a right password inside a burst that locked the
//! profile does not log in; a lost race is never an error; concurrent right passwords do not
//! lock their own profile out.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::*;
use idp_core::App;
use idp_core::audit::EventType;
use idp_core::company::LockoutPolicy;
use idp_core::domain::{CompanyId, ProfileId};
use idp_core::store::{Attempt, LoginAfter, LoginEnd};

/// An active profile with a password in a company of its own.
async fn profile_with_password(app: &Arc<App>) -> (CompanyId, ProfileId) {
    let company = fresh_company(app).await;
    let (status, created) = create(app, &company, &body_with(person(1)), None).await;
    assert_eq!(status, 201, "{created}");
    let uuid = created["data"]["uuid"].as_str().unwrap().to_owned();
    let (status, _) = add_password(app, &company, &uuid, "violet tractor umbrella 42").await;
    assert_eq!(status, 201);
    (
        CompanyId::parse(&company).unwrap(),
        ProfileId::parse(&uuid).unwrap(),
    )
}

/// `n` attempts at once, each from the count a login would have read before any of them.
async fn burst(
    app: &Arc<App>,
    company: &CompanyId,
    id: ProfileId,
    observed: u32,
    policy: &LockoutPolicy,
    n: usize,
) -> Vec<Attempt> {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let (app, company, policy) = (Arc::clone(app), company.clone(), policy.clone());
            tokio::spawn(async move {
                app.store
                    .reserve_login_attempt(&company, id, observed, &policy)
                    .await
                    .expect("a lost race is never an error")
            })
        })
        .collect();
    let mut attempts = Vec::new();
    for task in tasks {
        attempts.push(task.await.unwrap());
    }
    attempts
}

/// One attempt from a count of 0, which must be counted: its count.
async fn reserve(app: &App, company: &CompanyId, id: ProfileId, policy: &LockoutPolicy) -> u32 {
    let attempt = app.store.reserve_login_attempt(company, id, 0, policy);
    match attempt.await.unwrap() {
        Attempt::Reserved { count } => count,
        Attempt::Refused => panic!("refused"),
    }
}

/// The right password's end of a login counted as `count`, without a hash upgrade.
async fn finish(
    app: &App,
    company: &CompanyId,
    id: ProfileId,
    count: u32,
) -> Result<LoginEnd, idp_core::store::StoreError> {
    let event = test_event(EventType::LoginSucceeded, id);
    app.store
        .finish_login(company, id, count, None, LoginAfter::Nothing, &[event])
        .await
}

fn reserved(attempts: &[Attempt]) -> usize {
    attempts
        .iter()
        .filter(|a| matches!(a, Attempt::Reserved { .. }))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_attempts_never_pass_the_lockout_limit() {
    let app = app().await;
    let (company, id) = profile_with_password(&app).await;
    let policy = LockoutPolicy::default();
    let attempts = burst(&app, &company, id, 0, &policy, 30).await;
    let counted = reserved(&attempts);
    assert_eq!(
        counted, policy.lock_after_failures as usize,
        "exactly the limit is verified, the rest refused: {attempts:?}"
    );
    let mut counts: Vec<u32> = attempts
        .iter()
        .filter_map(|a| match a {
            Attempt::Reserved { count } => Some(*count),
            Attempt::Refused => None,
        })
        .collect();
    counts.sort_unstable();
    assert_eq!(counts, vec![1, 2, 3, 4, 5], "each count handed out once");
    let item = password_item(&app, company.as_str(), &id.to_string()).await;
    assert_eq!(item["failed_logins"].as_n().unwrap(), "5");
    assert!(item.contains_key("locked_until"));
    // Locked: a second burst verifies nothing, whatever count it read.
    let again = burst(&app, &company, id, 5, &policy, 10).await;
    assert_eq!(reserved(&again), 0, "{again:?}");
    let stale = burst(&app, &company, id, 0, &policy, 10).await;
    assert_eq!(reserved(&stale), 0, "{stale:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_right_password_inside_a_burst_that_locked_the_profile_does_not_log_in() {
    let app = app().await;
    let (company, id) = profile_with_password(&app).await;
    let policy = LockoutPolicy::default();

    // Alone, the right password's attempt clears its own count.
    let count = reserve(&app, &company, id, &policy).await;
    assert_eq!(count, 1);
    let end = finish(&app, &company, id, count).await;
    assert_eq!(end.unwrap(), LoginEnd::LoggedIn);
    let item = password_item(&app, company.as_str(), &id.to_string()).await;
    assert!(!item.contains_key("failed_logins"), "cleared");

    // The right password's attempt is counted first; while it is verified, a burst of wrong
    // guesses locks the profile. Its success then finds the lock, and is refused.
    let count = reserve(&app, &company, id, &policy).await;
    let others = burst(&app, &company, id, count, &policy, 20).await;
    assert_eq!(reserved(&others), 4, "{others:?}");
    let end = finish(&app, &company, id, count).await;
    assert_eq!(end.unwrap(), LoginEnd::Refused);
    let item = password_item(&app, company.as_str(), &id.to_string()).await;
    assert_eq!(
        item["failed_logins"].as_n().unwrap(),
        "5",
        "the lock stands"
    );
    assert!(item.contains_key("locked_until"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_success_resets_the_count_when_unlocked_and_unknown_ids_are_refused() {
    let app = app().await;
    let (company, id) = profile_with_password(&app).await;
    let policy = LockoutPolicy {
        lock_after_failures: 1000,
        ..LockoutPolicy::default()
    };
    let count = reserve(&app, &company, id, &policy).await;
    // Forty parallel attempts, far below the limit: contention never makes an error, and
    // every attempt that was not refused is counted.
    let others = burst(&app, &company, id, count, &policy, 40).await;
    let counted = reserved(&others);
    assert!(counted >= 1, "{others:?}");
    let item = password_item(&app, company.as_str(), &id.to_string()).await;
    assert_eq!(
        *item["failed_logins"].as_n().unwrap(),
        (counted + 1).to_string(),
        "every attempt not refused is counted"
    );
    let end = finish(&app, &company, id, count).await;
    assert_eq!(
        end.unwrap(),
        LoginEnd::LoggedIn,
        "not locked: the login stands"
    );
    let item = password_item(&app, company.as_str(), &id.to_string()).await;
    assert!(
        !item.contains_key("failed_logins"),
        "a success resets the count it read back, not only its own"
    );

    // No such profile: the same write, refused by its condition, and nothing created.
    let nobody = ProfileId::new_random();
    let attempt = app
        .store
        .reserve_login_attempt(&company, nobody, 0, &policy)
        .await
        .unwrap();
    assert_eq!(attempt, Attempt::Refused);
    let items = scan_company(&app, company.as_str()).await;
    assert!(
        items
            .iter()
            .all(|item| !format!("{item:?}").contains(&nobody.to_string())),
        "an unknown id leaves no item"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_right_passwords_below_the_limit_never_lock_the_profile() {
    let app = app().await;
    let (company, id) = profile_with_password(&app).await;
    let policy = LockoutPolicy::default();
    // Rounds of four logins at once (one fewer than the limit), each verifying for a while
    // before it finishes, as a service logging one account in from several workers would.
    for _ in 0..10 {
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let (app, company, policy) = (Arc::clone(&app), company.clone(), policy.clone());
                tokio::spawn(async move {
                    let record = app.store.get_login_record(&company, id).await.unwrap();
                    let observed = record.map_or(0, |r| r.failed_logins);
                    let attempt = app
                        .store
                        .reserve_login_attempt(&company, id, observed, &policy)
                        .await
                        .unwrap();
                    let Attempt::Reserved { count } = attempt else {
                        return Err(format!("refused from {observed}"));
                    };
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    match finish(&app, &company, id, count).await.unwrap() {
                        LoginEnd::LoggedIn => Ok(()),
                        other => Err(format!("finish of {count}: {other:?}")),
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
    }
    let item = password_item(&app, company.as_str(), &id.to_string()).await;
    assert!(!item.contains_key("locked_until"), "never locked");
}
