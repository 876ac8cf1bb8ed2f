//! The `portcullis` binary: parse arguments, set up logging, run a sub-command.

use clap::{Parser, Subcommand};
use portcullis::config::Config;
use portcullis::startup::Application;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "portcullis",
    version,
    about = "A self-hosted identity provider that speaks Amazon Cognito's protocols"
)]
struct Cli {
    /// TOML configuration file (PORTCULLIS_* environment variables override it).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve,
    /// Manage signing keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Check the configuration, database, master key, TLS files, mail and data directory
    /// without changing anything: one line per check (ok, warn, FAIL); exit code 1 on a FAIL.
    Doctor,
    /// Manage dashboard operators (the system pool's users).
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Manage a pool's users from outside the API: export them, or give one an imported password hash.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Pool settings beyond Cognito's (Firebase scrypt parameters for imported hashes).
    Pools {
        #[command(subcommand)]
        command: PoolsCommand,
    },
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Give a user a password hash from another system (bcrypt, argon2, scrypt, PBKDF2 or
    /// Firebase scrypt; see docs/imported-password-hashes.md). They sign in with their old
    /// password; the first sign-in moves them to argon2id.
    SetPasswordHash {
        #[arg(long)]
        pool: String,
        #[arg(long)]
        username: String,
        /// The hash, e.g. `$2b$12$…` or `$firebase-scrypt$<salt>$<passwordHash>`.
        #[arg(long)]
        hash: String,
    },
    /// Export a pool's users, streamed: CSV with the import job's columns (so it re-imports)
    /// plus sub, status, enabled and dates, or JSON lines (one user object a line).
    Export {
        #[arg(long)]
        pool: String,
        /// csv or jsonl.
        #[arg(long, default_value = "csv")]
        format: String,
        /// Include the stored password hashes (PHC strings).
        #[arg(long)]
        include_hashes: bool,
        /// Write to this file instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum PoolsCommand {
    /// Set the pool's Firebase scrypt parameters (Firebase console, Users, "Password hash
    /// parameters"). The base64 signer key is read from a file or standard input, so it stays
    /// out of shell history and process lists; it is stored sealed with the master key.
    SetFirebaseScrypt {
        #[arg(long)]
        pool: String,
        /// A file holding base64_signer_key (default: read it from standard input).
        #[arg(long)]
        signer_key_file: Option<PathBuf>,
        /// base64_salt_separator.
        #[arg(long)]
        salt_separator: String,
        #[arg(long)]
        rounds: u32,
        #[arg(long)]
        mem_cost: u32,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a dashboard operator with a one-time temporary password (printed); the first
    /// sign-in sets a new password, then TOTP when PORTCULLIS_ADMIN_MFA is required.
    CreateUser {
        #[arg(long)]
        username: String,
        /// The role: admins, operators or viewers.
        #[arg(long, default_value = "admins")]
        group: String,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Rotate a pool's signing key: the next key becomes active; the old one stays published until its tokens expire.
    Rotate {
        #[arg(long)]
        pool: String,
        /// The algorithm to sign with from now on: RS256 or ES256 (default: the pool's current
        /// one). Switching activates a key of the new algorithm; the old key stays published
        /// until its tokens expire.
        #[arg(long)]
        alg: Option<portcullis::tokens::signer::Alg>,
    },
}

/// The log (text, or JSON with `PORTCULLIS_LOG_FORMAT=json`) and, when the `OTEL_*` variables
/// ask for it, OpenTelemetry export of the same spans.
fn init_tracing() -> anyhow::Result<Option<portcullis::telemetry::Telemetry>> {
    use tracing_subscriber::prelude::*;
    use tracing_subscriber::{EnvFilter, Layer};
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let json = |var| std::env::var(var).as_deref() == Ok("json");
    let log = if json("PORTCULLIS_LOG_FORMAT") || json("LOG_FORMAT") {
        tracing_subscriber::fmt::layer().json().boxed()
    } else {
        tracing_subscriber::fmt::layer().boxed()
    };
    let registry = tracing_subscriber::registry().with(filter).with(log);
    if portcullis::telemetry::requested() {
        let (telemetry, export) = portcullis::telemetry::Telemetry::start()?;
        registry.with(export).init();
        return Ok(Some(telemetry));
    }
    registry.init();
    Ok(None)
}

/// glibc's malloc gives a thread that meets contention an arena of its own, up to eight per
/// core, and each arena keeps what its threads freed. The server runs ~25 threads (actix
/// workers, tokio, one per SQLite connection, the password hashers); capping the arenas at one
/// per core lowered peak RSS under `bench/run.sh sqlite` from 76.5 to 74.3 MB (as
/// `MALLOC_ARENA_MAX=2` on 2 cores) with no throughput given up that the run could see. An
/// explicit `MALLOC_ARENA_MAX` in the environment is left to glibc.
///
/// Blocks of 1 MiB and more are mapped on their own and unmapped when freed. glibc's default
/// threshold moves up to the size of a freed block (up to 32 MiB), after which argon2's 19 MiB
/// could be carved from an arena and kept there; the hashing threads give theirs back when idle
/// (`userpool::password::IDLE_RELEASE`), and that must reach the system. Likewise left to an
/// explicit `MALLOC_MMAP_THRESHOLD_`.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        let cores = portcullis::config::cores();
        let arenas = libc::c_int::try_from(cores).unwrap_or(libc::c_int::MAX);
        // SAFETY: mallopt sets an allocator parameter; it runs before any other thread exists.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, arenas);
        }
    }
    if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_none() {
        // SAFETY: as above.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}

fn main() -> anyhow::Result<()> {
    limit_malloc_arenas();
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(start())
}

/// Logging (and trace export), the command, then what export still holds is sent.
async fn start() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let telemetry = init_tracing()?;
    portcullis::web::backstop::install_panic_hook();
    let result = run(cli).await;
    if let Some(t) = telemetry {
        t.shutdown();
    }
    result
}

/// A `--pool` argument as a pool id (ResourceNotFoundException's message when it cannot be one).
fn pool_id(pool: &str) -> anyhow::Result<portcullis::ids::PoolId> {
    Ok(portcullis::ids::PoolId::parse(pool).ok_or_else(|| portcullis::userpool::directory::pool_not_found(pool))?)
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Doctor = cli.command {
        let report = portcullis::doctor::run(cli.config.as_deref()).await;
        for line in report.lines() {
            println!("{line}");
        }
        std::process::exit(if report.failed() { 1 } else { 0 });
    }
    let config = Config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Doctor => {}
        Command::Serve => {
            let public = config.public_url.clone();
            let app = Application::build(config).await?;
            if let Some((id, secret)) = &app.generated_key {
                println!("Generated a management access key (shown once; store it now):");
                println!("  AWS_ACCESS_KEY_ID={id}");
                println!("  AWS_SECRET_ACCESS_KEY={secret}");
            }
            println!("Portcullis listening on port {}", app.port());
            println!("  Public URL:      {public}");
            println!("  Management API:  {public}/  (aws cognito-idp --endpoint-url {public})");
            println!("  Pool issuer:     {public}/<UserPoolId>  (discovery: /.well-known/openid-configuration)");
            println!("  Dashboard:       {public}/admin");
            println!("  Health:          {public}/health/ready");
            app.run_until_stopped().await?;
        }
        Command::Keys { command: KeysCommand::Rotate { pool, alg } } => {
            let svc = portcullis::services::Services::open(config).await?;
            let id = pool_id(&pool)?;
            let kid = svc.user_pools.rotate_keys_with(&id, alg).await?;
            let keys = svc.user_pools.signing_keys(&id).await?;
            let signs = keys.iter().find(|k| k.kid == kid).map(|k| format!("signs with {}; ", k.alg));
            println!("Pool {pool}: {}active signing key is now {kid}", signs.unwrap_or_default());
        }
        Command::Users { command: UsersCommand::Export { pool, format, include_hashes, output } } => {
            let format = portcullis::transfer::export::ExportFormat::parse(&format)
                .ok_or_else(|| anyhow::anyhow!("unknown format {format}: use csv or jsonl"))?;
            let svc = portcullis::services::Services::open(config).await?;
            let id = pool_id(&pool)?;
            let opts = portcullis::transfer::export::ExportOptions { format, include_hashes };
            export_users(&svc, &id, opts, output.as_deref()).await?;
        }
        Command::Admin { command: AdminCommand::CreateUser { username, group } } => {
            let role = portcullis::operators::Role::of_group(&group)
                .ok_or_else(|| anyhow::anyhow!("unknown group {group}: use admins, operators or viewers"))?;
            let svc = portcullis::services::Services::open(config).await?;
            let temporary =
                svc.operators.create_operator(&portcullis::ids::Username::from(username.as_str()), role).await?;
            println!("Created dashboard user {username} in group {group}.");
            println!("Temporary password: {temporary}");
        }
        Command::Users { command: UsersCommand::SetPasswordHash { pool, username, hash } } => {
            let svc = portcullis::services::Services::open(config).await?;
            let id = pool_id(&pool)?;
            let name = portcullis::ids::Username::from(username.as_str());
            svc.users.set_imported_password_hash(&id, &name, &hash).await?;
            println!("User {username} of pool {pool}: password hash set; the first sign-in moves it to argon2id.");
        }
        Command::Pools {
            command: PoolsCommand::SetFirebaseScrypt { pool, signer_key_file, salt_separator, rounds, mem_cost },
        } => {
            let signer_key = match signer_key_file {
                Some(path) => std::fs::read_to_string(path)?,
                None => std::io::read_to_string(std::io::stdin())?,
            };
            let svc = portcullis::services::Services::open(config).await?;
            let id = pool_id(&pool)?;
            svc.user_pools.set_firebase_scrypt(&id, signer_key.trim(), &salt_separator, rounds, mem_cost).await?;
            println!("Pool {pool}: Firebase scrypt parameters set (rounds {rounds}, memory cost {mem_cost}).");
        }
    }
    Ok(())
}

/// Stream a pool's export to a file or standard output, a page at a time.
async fn export_users(
    svc: &portcullis::services::Services,
    pool: &portcullis::ids::PoolId,
    opts: portcullis::transfer::export::ExportOptions,
    output: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    use futures_util::StreamExt;
    use std::io::Write;
    let mut out: Box<dyn Write> = match output {
        Some(path) => Box::new(std::io::BufWriter::new(std::fs::File::create(path)?)),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let chunks = svc.transfer.export(pool, opts).await?;
    let mut chunks = std::pin::pin!(chunks);
    while let Some(chunk) = chunks.next().await {
        out.write_all(chunk?.as_bytes())?;
    }
    out.flush()?;
    Ok(())
}
