//! What a function instance builds once per cold start, and the checks every request passes.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use lambda_http::{Body, Request, Response, service_fn};

use crate::audit::{Actor, Trail};
use crate::auth::{AuthError, TokenVerifier, bearer_token};
use crate::company::{CompanyCache, CompanyConfig};
use crate::domain::CompanyId;
use crate::envelope::Resource;
use crate::error::{ApiError, InResource};
use crate::mail::Mailer;
use crate::password::{HashParams, Passwords};
use crate::request::{path_param, request_id, source_ip};
use crate::store::{Store, Tables, dynamodb_client};
use crate::two_factor::FactorKey;

/// Shared by every invocation of a warm instance.
#[derive(Debug)]
pub struct App {
    pub store: Store,
    pub companies: CompanyCache,
    pub auth: TokenVerifier,
    pub passwords: Passwords,
    /// Only the functions that send mail have one (`MAIL_TRANSPORT`).
    pub mailer: Option<Mailer>,
    /// Only the search function has one (`CURSOR_KEY_SECRET_ARN`, or `CURSOR_KEY_FILE` locally).
    pub cursor_key: Option<crate::cursor::CursorKey>,
    /// The key TOTP secrets are sealed with (`FACTOR_KEY_SECRET_ARN`, or `FACTOR_KEY_FILE`
    /// locally), read on first use: a login of a profile without a second factor never waits
    /// for Secrets Manager, in its cold start or after.
    factor_key: tokio::sync::OnceCell<FactorKey>,
}

impl App {
    pub fn new(
        store: Store,
        auth: TokenVerifier,
        passwords: Passwords,
        company_ttl: Duration,
    ) -> Self {
        Self {
            store,
            companies: CompanyCache::new(company_ttl),
            auth,
            passwords,
            mailer: None,
            cursor_key: None,
            factor_key: tokio::sync::OnceCell::new(),
        }
    }

    /// The same app with its second-factor key given (tests, benchmarks) instead of read from
    /// the environment on first use.
    pub fn with_factor_key(mut self, key: FactorKey) -> Self {
        self.factor_key = tokio::sync::OnceCell::new_with(Some(key));
        self
    }

    /// The sealing key of second factors, read once per instance on first use: a 500 where the
    /// deployment names none (or a bad one), a 503 while Secrets Manager cannot be read (the
    /// next request tries again).
    pub async fn factor_key(&self, resource: Resource) -> Result<&FactorKey, ApiError> {
        self.factor_key
            .get_or_try_init(|| async {
                let material = crate::secret_material::from_env(
                    "FACTOR_KEY_FILE",
                    "FACTOR_KEY_SECRET_ARN",
                    "the second-factor key",
                )
                .await
                .map_err(|cause| ApiError::unavailable(resource, cause))?
                .ok_or_else(|| {
                    ApiError::internal(
                        resource,
                        "no second-factor key: set FACTOR_KEY_SECRET_ARN or FACTOR_KEY_FILE",
                    )
                })?;
                FactorKey::new(&material).map_err(|why| {
                    ApiError::internal(resource, format!("the second-factor key: {why}"))
                })
            })
            .await
    }

    pub fn with_cursor_key(mut self, key: crate::cursor::CursorKey) -> Self {
        self.cursor_key = Some(key);
        self
    }

    pub fn with_mailer(mut self, mailer: Mailer) -> Self {
        self.mailer = Some(mailer);
        self
    }

    /// Reads the environment the template sets: table names, auth mode and its settings,
    /// argon2 parameters, `COMPANY_CACHE_SECONDS` (default 60).
    pub async fn from_env() -> Result<Self, String> {
        let auth = TokenVerifier::from_env()?;
        let passwords = Passwords::new(HashParams::from_env()?)?;
        let tables = Tables::from_env()?;
        let ttl = std::env::var("COMPANY_CACHE_SECONDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(60);
        let store = Store::new(dynamodb_client().await, tables);
        // Still in the init phase: the first invocation finds a warm client.
        if warm_up_enabled() {
            store.warm_up().await;
        }
        let app = Self::new(store, auth, passwords, Duration::from_secs(ttl));
        let app = match Mailer::from_env().await? {
            Some(mailer) => app.with_mailer(mailer),
            None => app,
        };
        // The second-factor key is read on first use (`App::factor_key`).
        Ok(match crate::cursor::CursorKey::from_env().await? {
            Some(key) => app.with_cursor_key(key),
            None => app,
        })
    }

    /// The company of the path, once the bearer token is verified and allowed to act on it.
    pub async fn authorize(
        &self,
        req: &Request,
        resource: Resource,
    ) -> Result<CompanyId, ApiError> {
        Ok(self.authorize_actor(req, resource).await?.0)
    }

    /// [`App::authorize`], with who is asking: the token's client, the caller's IP and the
    /// request id, for the audit trail's events.
    pub async fn authorize_actor(
        &self,
        req: &Request,
        resource: Resource,
    ) -> Result<(CompanyId, Actor), ApiError> {
        let (company, actor, _) = self.authorize_scoped(req, resource).await?;
        Ok((company, actor))
    }

    /// [`App::authorize_actor`], with the scopes the token carries (an operation a company
    /// may restrict to a scope reads them).
    pub async fn authorize_scoped(
        &self,
        req: &Request,
        resource: Resource,
    ) -> Result<(CompanyId, Actor, Vec<String>), ApiError> {
        let token = bearer_token(req.headers()).ok_or(ApiError::Unauthorized)?;
        let claims = self.auth.verify(token).await.map_err(|e| match e {
            AuthError::Invalid => ApiError::Unauthorized,
            AuthError::Unavailable(cause) => ApiError::unavailable(resource, cause),
        })?;
        let company = path_param(req, "company_id").unwrap_or_default();
        if claims.company_uid.as_deref() != Some(company.as_str()) {
            return Err(ApiError::Forbidden);
        }
        // A token's company that is not a valid id cannot have a configuration either.
        let company =
            CompanyId::parse(&company).ok_or(ApiError::not_found(Resource::CompanyConfig))?;
        let actor = Actor {
            client: claims.client,
            source_ip: source_ip(req),
            request_id: request_id(req),
        };
        Ok((company, actor, claims.scopes))
    }

    /// What every event of a request by `actor` in a company with `config` shares.
    pub fn trail(actor: Actor, config: &CompanyConfig) -> Trail {
        Trail {
            actor,
            retention_days: config.audit.retention_days,
        }
    }

    /// The company's configuration, cached briefly; 404 `Company Config` when there is none.
    pub async fn company_config(
        &self,
        company: &CompanyId,
        resource: Resource,
    ) -> Result<Arc<CompanyConfig>, ApiError> {
        self.companies
            .get_or_load(company.as_str(), || {
                self.store.company_config(company.as_str())
            })
            .await
            .in_resource(resource)?
            .ok_or(ApiError::not_found(Resource::CompanyConfig))
    }
}

/// `DYNAMODB_WARM_UP` (default on): `false`, `off` or `0` skip the init-time request, e.g. to
/// measure init alone (scripts/bench-cold-start.sh) or to save the request per cold start.
fn warm_up_enabled() -> bool {
    !matches!(
        std::env::var("DYNAMODB_WARM_UP").as_deref().map(str::trim),
        Ok("false" | "off" | "0")
    )
}

/// Runs a function: logs, builds the [`App`] once, then serves invocations with `handler`.
///
/// The functions call it on a current-thread runtime (`#[tokio::main(flavor =
/// "current_thread")]`): an instance handles one event at a time and argon2 runs on the
/// blocking pool, so worker threads would only add to init (about 0.3 ms).
pub async fn serve<F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(Arc<App>, Request) -> Fut + Send + Sync,
    Fut: Future<Output = Response<Body>> + Send,
{
    crate::telemetry::init();
    let app = match App::from_env().await {
        Ok(app) => Arc::new(app),
        Err(cause) => {
            tracing::error!(cause = %cause, "cannot start: bad configuration");
            return Err(cause.into());
        }
    };
    let handler = &handler;
    lambda_http::run(service_fn(move |req: Request| {
        let app = Arc::clone(&app);
        async move { Ok::<_, Infallible>(handler(app, req).await) }
    }))
    .await
}
