//! `idp-admin`: the operator's command.
//!
//! - `validate FILE...`: checks company configuration files (YAML or JSON) and names each bad key;
//! - `load FILE...`: validates and stores them in the companies table (local or in AWS);
//! - `create-tables`: creates the tables declared in `template.yaml` (for DynamoDB Local);
//! - `token`: mints a JWT the local stack accepts, signed with the checkout's own key.

mod company_file;
mod tables;
mod token;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
        #[arg(long)]
        company: String,
        #[arg(long, default_value = ".local/jwt-private.pem")]
        key: PathBuf,
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 3600)]
        ttl: u64,
    },
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
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("idp-admin: {message}");
            ExitCode::FAILURE
        }
    }
}
