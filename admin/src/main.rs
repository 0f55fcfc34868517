//! `idp-admin`: the operator's command.
//!
//! - `validate FILE...`: checks company configuration files (YAML or JSON) and names each bad key;
//! - `load FILE...`: validates and stores them in the companies table (local or in AWS);
//! - `create-tables`: creates the tables declared in `template.yaml` (for DynamoDB Local);
//! - `token`: mints a JWT the local stack accepts, signed with the checkout's own key;
//! - `import`: JSON Lines of profiles (with other systems' password hashes) into a company;
//! - `export`: a company's profiles as the same JSON Lines, hashes included.

mod company_file;
mod events;
mod export;
mod import;
mod progress;
mod rekey;
mod tables;
mod token;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use idp_core::store::Tables;

#[derive(Debug, Parser)]
#[command(name = "idp-admin", version, about = "Operate the identity provider")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate company configuration files without storing them.
    Validate { files: Vec<PathBuf> },
    /// Validate company configuration files and put them into the companies table.
    Load {
        files: Vec<PathBuf>,
        /// Table name; defaults to $COMPANIES_TABLE.
        #[arg(long, env = "COMPANIES_TABLE")]
        table: String,
        /// Store the file under this company id instead of its own `company_id`.
        #[arg(long = "as")]
        as_company: Option<String>,
    },
    /// Create the DynamoDB tables `template.yaml` declares, named by their logical ids.
    CreateTables {
        #[arg(long, default_value = "template.yaml")]
        template: PathBuf,
    },
    /// Print a JWT for COMPANY signed with the local private key (last line, alone).
    Token {
        /// The company id (`-1`, the demo company's, is taken as a value).
        #[arg(long, allow_hyphen_values = true)]
        company: String,
        #[arg(long, default_value = ".local/jwt-private.pem")]
        key: PathBuf,
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 3600)]
        ttl: u64,
    },
    /// Import profiles from JSON Lines (FILE, or - for standard input) into a company.
    ///
    /// Exit code: 0 when every line was imported or skipped (already imported), 1 when some
    /// lines were rejected (the others are in; the reasons are in the rejects file), 2 when
    /// the import could not start, 3 when DynamoDB kept failing and the import stopped (run it
    /// again: it resumes).
    Import {
        /// The company id (`-1`, the demo company's, is taken as a value).
        #[arg(long, allow_hyphen_values = true)]
        company: String,
        file: PathBuf,
        /// Where the rejected lines' numbers and reasons go; defaults to FILE.rejects.jsonl
        /// (import-rejects.jsonl for standard input).
        #[arg(long)]
        rejects: Option<PathBuf>,
        /// Lines checked and written at once.
        #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
        concurrency: u16,
        #[command(flatten)]
        tables: TableArgs,
    },
    /// Move a company's identifier reservations and search keys to the canonical form
    /// identifiers are compared in (once, after upgrading to it; safe to run again).
    ///
    /// Exit code: 0 when every profile is canonical, 1 when some profiles hold identifiers that
    /// look like another profile's (listed; change one of each pair, then run again), 2 when it
    /// could not run.
    Rekey {
        /// The company id (`-1`, the demo company's, is taken as a value).
        #[arg(long, allow_hyphen_values = true)]
        company: String,
        #[command(flatten)]
        tables: TableArgs,
    },
    /// A company's audit trail as JSON Lines, newest first (for a SIEM): the API's event
    /// objects, no personal data.
    Events {
        /// The company id (`-1`, the demo company's, is taken as a value).
        #[arg(long, allow_hyphen_values = true)]
        company: String,
        /// The oldest time, inclusive: an ISO 8601 date or date-time with a zone.
        #[arg(long)]
        from: Option<String>,
        /// The newest time, inclusive.
        #[arg(long)]
        until: Option<String>,
        /// One event type (`login.failed`) or a family (`login.`).
        #[arg(long = "type")]
        kind: Option<String>,
        /// Write here instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
        #[command(flatten)]
        tables: TableArgs,
    },
    /// Export a company's profiles, password hashes included, as JSON Lines.
    Export {
        /// The company id (`-1`, the demo company's, is taken as a value).
        #[arg(long, allow_hyphen_values = true)]
        company: String,
        /// Write here (created readable by its owner only) instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
        #[command(flatten)]
        tables: TableArgs,
    },
}

#[derive(Debug, Args)]
struct TableArgs {
    /// Profiles table; defaults to $PROFILES_TABLE.
    #[arg(long, env = "PROFILES_TABLE")]
    profiles_table: String,
    /// Companies table; defaults to $COMPANIES_TABLE.
    #[arg(long, env = "COMPANIES_TABLE")]
    companies_table: String,
}

/// A company id given on the command line, or the sentence saying why it is not one.
pub(crate) fn company_id(raw: &str) -> Result<idp_core::domain::CompanyId, String> {
    idp_core::domain::CompanyId::parse(raw)
        .ok_or_else(|| format!("`{raw}` is not a valid company id"))
}

/// Why a line with a TOTP cannot be imported or exported here.
pub(crate) const NO_FACTOR_KEY: &str = "profiles with a TOTP need the functions' second-factor \
     key: set FACTOR_KEY_FILE (a file of hex, as .local/factor-key) or FACTOR_KEY_SECRET_ARN";

/// The functions' second-factor key, when the environment names one.
pub(crate) async fn factor_key() -> Result<Option<idp_core::two_factor::FactorKey>, String> {
    let material = idp_core::secret_material::from_env(
        "FACTOR_KEY_FILE",
        "FACTOR_KEY_SECRET_ARN",
        "the second-factor key",
    )
    .await?;
    material
        .map(|material| idp_core::two_factor::FactorKey::new(&material))
        .transpose()
        .map_err(|why| format!("the second-factor key: {why}"))
}

/// The bulk client's store over `tables`, and `company`'s configuration (which must exist).
pub(crate) async fn store_with_config(
    company: &idp_core::domain::CompanyId,
    tables: Tables,
) -> Result<(idp_core::store::Store, idp_core::company::CompanyConfig), String> {
    let store = idp_core::store::Store::new(idp_core::store::bulk_dynamodb_client().await, tables);
    let config = store
        .company_config(company.as_str())
        .await
        .map_err(|e| format!("reading the company's configuration: {e}"))?
        .ok_or_else(|| format!("company `{company}` has no configuration (idp-admin load)"))?;
    Ok((store, config))
}

impl TableArgs {
    fn tables(self) -> Tables {
        Tables {
            profiles: self.profiles_table,
            companies: self.companies_table,
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate { files } => company_file::validate_all(&files),
        Command::Load {
            files,
            table,
            as_company,
        } => company_file::load_all(&files, &table, as_company.as_deref()).await,
        Command::CreateTables { template } => tables::create_from_template(&template).await,
        Command::Token { company, key, ttl } => token::print(&company, &key, ttl),
        Command::Import {
            company,
            file,
            rejects,
            concurrency,
            tables,
        } => {
            let options = import::Options {
                company,
                file,
                rejects,
                concurrency: usize::from(concurrency),
                tables: tables.tables(),
            };
            return match import::run(options).await {
                Ok(summary) if summary.stopped.is_some() => {
                    let cause = summary.stopped.unwrap_or_default();
                    eprintln!("idp-admin: import stopped: {cause}; run it again to resume");
                    ExitCode::from(3)
                }
                Ok(summary) if summary.rejected > 0 => ExitCode::from(1),
                Ok(_) => ExitCode::SUCCESS,
                Err(message) => {
                    eprintln!("idp-admin: {message}");
                    ExitCode::from(2)
                }
            };
        }
        Command::Rekey { company, tables } => {
            return match rekey::run(rekey::Options {
                company,
                tables: tables.tables(),
            })
            .await
            {
                Ok(summary) => {
                    println!(
                        "rekey: {} profiles read, {} rekeyed, {} left as they were (look-alike identifiers)",
                        summary.profiles,
                        summary.rekeyed,
                        summary.look_alikes.len()
                    );
                    for id in &summary.look_alikes {
                        println!(
                            "look-alike: profile {id} has an identifier that another profile holds in canonical form"
                        );
                    }
                    if summary.look_alikes.is_empty() {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::from(1)
                    }
                }
                Err(message) => {
                    eprintln!("rekey: {message}");
                    ExitCode::from(2)
                }
            };
        }
        Command::Events {
            company,
            from,
            until,
            kind,
            output,
            tables,
        } => events::run(events::Options {
            company,
            from,
            until,
            kind,
            output,
            tables: tables.tables(),
        })
        .await
        .map(|_| ()),
        Command::Export {
            company,
            output,
            tables,
        } => export::run(export::Options {
            company,
            output,
            tables: tables.tables(),
        })
        .await
        .map(|_| ()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("idp-admin: {message}");
            ExitCode::FAILURE
        }
    }
}
