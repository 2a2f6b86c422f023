//! One function per command: parse what the core needs, call it, print.

use crate::context::{parse_id, Context};
use crate::output::{self, one_line, print_json, print_table};
use crate::*;
use serde_json::{json, Value};
use std::path::PathBuf;
use wicket_core::error::{Error, Result};
use wicket_core::model::MessageKind;
use wicket_core::providers::{MediaSource, OutgoingContent, ProviderClient, TemplateParam};
use wicket_core::secrets::Secret;
use wicket_core::store::contacts::ContactKey;
use wicket_core::store::ConversationFilter;
use wicket_core::time::to_rfc3339;

pub fn run(cli: Cli) -> Result<()> {
    if cli.version {
        return version(&cli);
    }
    let Some(command) = cli.command else {
        return Err(Error::Invalid("no command given: see `wicket --help`".into()));
    };
    let mut ctx = Context::open(cli.data_dir.as_deref(), cli.json, matches!(command, Command::Serve(_)))?;
    if !works_while_locked(&command) {
        ctx.ensure_unlocked()?;
    }
    match command {
        Command::Lock(args) => crate::lock::lock(&mut ctx, args),
        Command::Unlock(args) => crate::lock::unlock(&mut ctx, args),
        Command::Account(AccountCommand::List) => account_list(&ctx),
        Command::Account(AccountCommand::Add(AccountAdd::Meta(args))) => account_add_meta(&mut ctx, args),
        Command::Account(AccountCommand::Test { id }) => account_test(&mut ctx, &id),
        Command::Account(AccountCommand::Remove { id }) => crate::accounts::remove(&mut ctx, &id),
        Command::Account(AccountCommand::Enable { id }) => crate::accounts::set_enabled(&mut ctx, &id, true),
        Command::Account(AccountCommand::Disable { id }) => crate::accounts::set_enabled(&mut ctx, &id, false),
        Command::Account(AccountCommand::Add(AccountAdd::Wasender(args))) => crate::gateways::add_wasender(&mut ctx, args),
        Command::Account(AccountCommand::Add(AccountAdd::Unipile(args))) => crate::gateways::add_unipile(&mut ctx, args),
        Command::Account(AccountCommand::SyncDetails { id, dry_run }) => crate::gateways::sync_details(&mut ctx, id.as_deref(), dry_run),
        Command::Sync(args) => crate::gateways::sync(&mut ctx, args),
        Command::Monitor(args) => crate::monitor::monitor(&mut ctx, args),
        Command::Jobs => crate::jobs::list(&ctx),
        Command::Alerts => crate::alerts::list(&ctx),
        Command::Backup(c) => crate::backup::run(&mut ctx, c),
        Command::Contact(c) => crate::backup::contact(&mut ctx, c),
        Command::Stats(args) => crate::stats::stats(&ctx, args),
        Command::Webhook(WebhookCommand::Events { state, limit }) => crate::webhooks::events(&ctx, state.as_deref(), limit),
        Command::Webhook(WebhookCommand::Replay { ids }) => crate::webhooks::replay(&mut ctx, &ids),
        Command::Account(AccountCommand::Set(args)) => crate::gateways::account_set(&mut ctx, args),
        Command::Account(AccountCommand::Reconnect { id, wait }) => crate::gateways::account_reconnect(&mut ctx, &id, wait),
        Command::Account(AccountCommand::Add(AccountAdd::Demo)) => {
            let account = wicket_core::providers::demo::create_demo_account(&mut ctx.store)?;
            println!("{}", account.id);
            Ok(())
        }
        Command::Account(AccountCommand::Import { path, no_test, vault, passphrase_env }) => {
            crate::accounts::import(&mut ctx, &path, !no_test, vault.as_deref(), passphrase_env.as_deref())
        }
        Command::Conversations(args) => conversations(&ctx, args),
        Command::Contacts(args) => contacts(&ctx, args),
        Command::Messages(args) => messages(&mut ctx, args),
        Command::Search(args) => search(&ctx, args),
        Command::Export(args) => export(&mut ctx, args),
        Command::Import(args) => import(&mut ctx, args),
        Command::Templates(args) => templates(&mut ctx, args),
        Command::Send(args) => send(&mut ctx, *args),
        Command::Resend(args) => resend(&mut ctx, args),
        Command::Scheduled(args) => crate::scheduled::run(&mut ctx, args),
        Command::Bulk(args) => crate::bulk::run(&mut ctx, args),
        Command::QuickReplies(args) => crate::quick_replies::run(&mut ctx, args),
        Command::Notes(args) => crate::notes::run(&mut ctx, args),
        Command::Snooze(args) => crate::snooze::snooze(&mut ctx, args),
        Command::Unsnooze { conversation } => crate::snooze::unsnooze(&mut ctx, &conversation),
        Command::Remind(args) => crate::snooze::remind(&mut ctx, args),
        Command::Reminders(args) => crate::snooze::reminders(&mut ctx, args),
        Command::Serve(args) => crate::serve::serve(&mut ctx, args),
        Command::Media(c) => crate::media::run(&mut ctx, c),
        Command::Dev(crate::dev::DevCommand::Seed(args)) => crate::dev::seed(&mut ctx, args),
        Command::Settings(SettingsCommand::List) => settings_list(&ctx),
        Command::Settings(SettingsCommand::Set { key, value }) => settings_set(&mut ctx, &key, &value),
    }
}

/// The commands that work while the app lock is on: the lock's own, the
/// engine (messages keep arriving and going out while the screen is locked)
/// and the ones that show no customer content (health, jobs, alerts). Every
/// other command is refused with `Error::Locked` (one check, before it runs).
fn works_while_locked(command: &Command) -> bool {
    matches!(command, Command::Lock(_) | Command::Unlock(_) | Command::Serve(_) | Command::Monitor(_) | Command::Jobs | Command::Alerts)
}

fn version(cli: &Cli) -> Result<()> {
    // The schema version this build writes, and the store's if there is one.
    let latest = wicket_core::store::migrations::latest_version();
    let store_version = match wicket_core::DataDir::resolve(cli.data_dir.as_deref()) {
        Ok(dir) if dir.db_path().exists() => wicket_core::Store::peek_schema_version(&dir.db_path()).ok(),
        _ => None,
    };
    if cli.json {
        print_json(&json!({ "version": wicket_core::VERSION, "schema_version": latest, "store_schema_version": store_version }));
    } else {
        match store_version {
            Some(v) => println!("wicket {} (schema {latest}; the store at hand is at schema {v})", wicket_core::VERSION),
            None => println!("wicket {} (schema {latest}; no store yet)", wicket_core::VERSION),
        }
    }
    Ok(())
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().map_err(|e| Error::io("cannot start the async runtime", e))
}

fn account_list(ctx: &Context) -> Result<()> {
    let accounts = ctx.store.accounts()?;
    if ctx.json {
        print_json(&Value::Array(accounts.iter().map(|a| account_health_json(ctx, a)).collect::<Result<_>>()?));
    } else {
        let rows: Vec<Vec<String>> = accounts
            .iter()
            .map(|a| {
                vec![
                    a.id.to_string(),
                    a.provider.to_string(),
                    a.name.clone(),
                    a.phone.clone().unwrap_or_default(),
                    a.status.to_string(),
                    a.status_since.map(to_rfc3339).unwrap_or_default(),
                    a.last_sync_at.map(to_rfc3339).unwrap_or_default(),
                    {
                        let l = wicket_core::ratelimit::Limits::of(a);
                        format!("{}/s {}/h gap {} s", l.max_per_second, l.max_per_hour, l.recipient_gap_seconds)
                    },
                    one_line(a.status_reason.as_deref()),
                ]
            })
            .collect();
        print_table(&["id", "provider", "name", "phone", "status", "since", "last sync", "limits", "reason"], &rows);
        print_attention(ctx, &accounts)?;
    }
    Ok(())
}

pub(crate) fn secret_from_env(var: &str, what: &str) -> Result<Secret> {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => Ok(Secret::new(v.trim().to_string())),
        _ => Err(Error::Invalid(format!("the environment variable {var} (the {what}) is not set or empty"))),
    }
}

fn account_add_meta(ctx: &mut Context, args: AddMetaArgs) -> Result<()> {
    let setup = wicket_core::accounts::MetaSetup {
        name: args.name,
        phone_number_id: args.phone_number_id,
        business_account_id: args.business_account_id,
        token: secret_from_env(&args.token_env, "access token")?,
        app_secret: secret_from_env(&args.app_secret_env, "app secret")?,
        verify_token: args.verify_token_env.as_deref().map(|v| secret_from_env(v, "verify token")).transpose()?,
        base_url: args.base_url,
        api_version: args.api_version,
    };
    let secrets = ctx.secrets()?;
    let created = wicket_core::accounts::create_meta(&mut ctx.store, &secrets, setup)?;
    if let Some(token) = &created.generated_verify_token {
        eprintln!("Generated webhook verify token (shown once; paste it into Meta's webhook settings): {}", token.expose());
    }
    report_connection_test(ctx, &secrets, created.account.id)?;
    println!("{}", created.account.id);
    Ok(())
}

/// Tests a new account's connection; a failure is a warning (the account is
/// kept, not yet verified), so setting up works offline.
pub(crate) fn report_connection_test(ctx: &mut Context, secrets: &wicket_core::secrets::SecretStore, id: i64) -> Result<()> {
    match test_account(ctx, secrets, id) {
        Ok(info) => eprintln!("Connection ok: {}", info.verified_name.or(info.display_number).unwrap_or_default()),
        Err(e) => eprintln!("Warning: the connection test failed ({e}); the account is kept as {}", ctx.store.account(id)?.status),
    }
    Ok(())
}

/// Tests the connection and records the account's status and number.
pub(crate) fn test_account(ctx: &mut Context, secrets: &wicket_core::secrets::SecretStore, id: i64) -> Result<wicket_core::providers::ConnectionInfo> {
    let account = ctx.store.account(id)?;
    let client = ProviderClient::for_account(&account, secrets)?;
    let result = runtime()?.block_on(client.test_connection());
    wicket_core::accounts::record_connection_test(&mut ctx.store, id, &result)?;
    result
}

fn account_test(ctx: &mut Context, id: &str) -> Result<()> {
    let id = parse_id(id, "account id")?;
    ctx.store.account(id)?;
    let secrets = ctx.secrets()?;
    let info = test_account(ctx, &secrets, id)?;
    if ctx.json {
        print_json(&json!({
            "id": output::id(id),
            "status": "ok",
            "verified_name": info.verified_name,
            "display_number": info.display_number,
            "quality_rating": info.quality_rating,
        }));
    } else {
        println!(
            "ok: {} {} (quality {})",
            info.verified_name.unwrap_or_default(),
            info.display_number.unwrap_or_default(),
            info.quality_rating.unwrap_or_else(|| "unknown".into())
        );
    }
    Ok(())
}

/// An optional `--account ID` that must name an existing account.
pub(crate) fn account_filter(ctx: &Context, arg: Option<&str>) -> Result<Option<i64>> {
    let id = arg.map(|a| parse_id(a, "--account")).transpose()?;
    if let Some(a) = id {
        ctx.store.account(a)?;
    }
    Ok(id)
}

fn conversations(ctx: &Context, args: ConversationsArgs) -> Result<()> {
    let account_id = account_filter(ctx, args.account.as_deref())?;
    let filter = ConversationFilter {
        account_id,
        unread_only: args.unread,
        archived: args.archived,
        label: args.label,
        snoozed: args.snoozed,
        limit: args.limit,
        before: None,
    };
    let list = ctx.store.conversations(&filter)?;
    let country = ctx.country()?;
    if ctx.json {
        print_json(&Value::Array(list.iter().map(|c| output::conversation(c, &country)).collect()));
    } else {
        let rows: Vec<Vec<String>> = list
            .iter()
            .map(|c| {
                let mut row = vec![
                    c.id.to_string(),
                    wicket_core::store::contacts::display_name(&c.contact, &country),
                    c.unread_count.to_string(),
                    c.last_activity_at.map(to_rfc3339).unwrap_or_default(),
                    one_line(c.last_text.as_deref()),
                ];
                if args.snoozed {
                    row.push(c.snoozed_until.map(to_rfc3339).unwrap_or_default());
                }
                row
            })
            .collect();
        let mut header = vec!["id", "contact", "unread", "last activity", "last message"];
        if args.snoozed {
            header.push("snoozed until");
        }
        print_table(&header, &rows);
    }
    Ok(())
}

fn contacts(ctx: &Context, args: ContactsArgs) -> Result<()> {
    let account_id = account_filter(ctx, args.account.as_deref())?;
    let list = ctx.store.contacts(account_id)?;
    let country = ctx.country()?;
    if ctx.json {
        print_json(&Value::Array(list.iter().map(|c| output::contact(c, &country, ctx.dir.root())).collect()));
    } else {
        let rows: Vec<Vec<String>> = list
            .iter()
            .map(|c| {
                vec![
                    c.id.to_string(),
                    wicket_core::store::contacts::display_name(c, &country),
                    c.phone.clone().or_else(|| c.provider_user_id.clone()).unwrap_or_default(),
                    c.last_synced_at.map(to_rfc3339).unwrap_or_default(),
                    c.opted_out_at.map(|t| format!("since {}", to_rfc3339(t))).unwrap_or_default(),
                ]
            })
            .collect();
        print_table(&["id", "name", "phone or id", "last synced", "opted out"], &rows);
    }
    Ok(())
}

fn messages(ctx: &mut Context, args: MessagesArgs) -> Result<()> {
    let conversation_id = match (&args.conversation, &args.account, &args.with) {
        (Some(c), _, _) => parse_id(c, "--conversation")?,
        (None, Some(a), Some(with)) => {
            let account_id = parse_id(a, "--account")?;
            ctx.store.account(account_id)?;
            let number = wicket_core::phone::parse(with, &ctx.country()?)?;
            let contact = ctx
                .store
                .find_contact(account_id, &ContactKey::phone(number.as_str()))?
                .ok_or_else(|| Error::NotFound(format!("no conversation with {number} on account {account_id}")))?;
            ctx.store
                .conversation_for_contact(account_id, contact.id)?
                .ok_or_else(|| Error::NotFound(format!("no conversation with {number} on account {account_id}")))?
        }
        _ => return Err(Error::Invalid("give --conversation ID, or --account ID with --with PHONE".into())),
    };
    ctx.store.conversation(conversation_id)?;
    let before = args.before.as_deref().map(|b| parse_id(b, "--before")).transpose()?;
    let page = ctx.store.messages_page(conversation_id, before, args.limit)?;
    if args.mark_read {
        open_conversation(ctx, conversation_id)?;
    }
    if ctx.json {
        print_json(&Value::Array(page.iter().map(output::message).collect()));
    } else {
        let rows: Vec<Vec<String>> = page
            .iter()
            .map(|m| {
                vec![
                    m.id.to_string(),
                    to_rfc3339(m.timestamp),
                    m.direction.to_string(),
                    m.kind.to_string(),
                    m.status.to_string(),
                    one_line(m.text.as_deref().or(m.caption.as_deref())),
                ]
            })
            .collect();
        print_table(&["id", "time", "dir", "kind", "status", "text"], &rows);
    }
    Ok(())
}

/// Marks the conversation read, and tells the provider (best effort: the
/// local read state is saved whatever the provider says).
fn open_conversation(ctx: &mut Context, conversation_id: i64) -> Result<()> {
    let secrets = match ctx.secrets() {
        Ok(s) => s,
        Err(e) => {
            ctx.store.mark_conversation_read(conversation_id)?;
            eprintln!("Warning: the provider was not told: {e}");
            return Ok(());
        }
    };
    let opened = runtime()?.block_on(wicket_core::inbox::open_conversation(&mut ctx.store, &secrets, conversation_id))?;
    for w in opened.warnings {
        eprintln!("Warning: {w}");
    }
    Ok(())
}

fn search(ctx: &Context, args: SearchArgs) -> Result<()> {
    let hits = ctx.store.search(&args.query, args.limit)?;
    if ctx.json {
        print_json(&Value::Array(hits.iter().map(output::search_hit).collect()));
    } else {
        let rows: Vec<Vec<String>> = hits
            .iter()
            .map(|h| {
                vec![
                    h.note_id.map_or_else(|| h.message_id.to_string(), |n| format!("note {n}")),
                    h.display_name.clone(),
                    to_rfc3339(h.timestamp),
                    one_line(Some(&h.snippet)),
                ]
            })
            .collect();
        print_table(&["message", "contact", "time", "snippet"], &rows);
    }
    Ok(())
}

fn export(ctx: &mut Context, args: ExportArgs) -> Result<()> {
    let account = account_filter(ctx, args.account.as_deref())?;
    let format = wicket_core::export::Format::parse(&args.format)?;
    if args.vault.is_some() && format != wicket_core::export::Format::Json {
        return Err(Error::Invalid("--vault goes with --format json: `wicket account import` reads accounts from a JSON export".into()));
    }
    ctx.store.export_to(format, &args.out, account)?;
    // The demo's sample data is never exported: say so rather than leave it out silently.
    let demos: Vec<String> = ctx
        .store
        .accounts()?
        .into_iter()
        .filter(|a| a.provider == wicket_core::model::Provider::Demo && account.is_none_or(|id| id == a.id))
        .map(|a| format!("{} ({})", a.name, a.id))
        .collect();
    if !demos.is_empty() {
        eprintln!("Not exported: the demo account {}: its customers and messages are sample data.", demos.join(", "));
    }
    let secrets = match (&args.vault, &args.passphrase_env) {
        (Some(vault), Some(var)) => Some(crate::accounts::export_vault(ctx, vault, var, account)?),
        _ => None,
    };
    if ctx.json {
        print_json(&json!({ "path": args.out, "format": args.format, "vault": args.vault, "secrets": secrets, "demo_left_out": !demos.is_empty() }));
    } else {
        println!("Exported to {}", args.out.display());
    }
    Ok(())
}

fn import(ctx: &mut Context, args: ImportArgs) -> Result<()> {
    let summary = ctx.store.import_from(&args.path)?;
    if ctx.json {
        let tables: serde_json::Map<String, Value> = summary.tables.iter().map(|(t, n)| (t.clone(), json!(n))).collect();
        print_json(&json!({ "imported": tables }));
    } else {
        for (t, n) in &summary.tables {
            println!("{t}: {n}");
        }
    }
    Ok(())
}

fn templates(ctx: &mut Context, args: TemplatesArgs) -> Result<()> {
    let account_id = parse_id(&args.account, "--account")?;
    let account = ctx.store.account(account_id)?;
    if args.sync {
        let secrets = ctx.secrets()?;
        let client = ProviderClient::for_account(&account, &secrets)?;
        // Recorded as a run of the template sync job, which it also is.
        let timer = wicket_core::jobs::RunTimer::start(wicket_core::jobs::TEMPLATE_SYNC, Some(account_id));
        let outcome = runtime()?.block_on(wicket_core::jobs::templates::sync(&mut ctx.store, &client, account_id));
        timer.finish(&mut ctx.store, &outcome, |n| format!("{n} template(s)"));
        outcome?;
    }
    let list = ctx.store.templates(account_id)?;
    if ctx.json {
        print_json(&Value::Array(list.iter().map(output::template).collect()));
    } else {
        let rows: Vec<Vec<String>> =
            list.iter().map(|t| vec![t.name.clone(), t.language.clone(), t.status.clone(), t.category.clone().unwrap_or_default()]).collect();
        print_table(&["name", "language", "status", "category"], &rows);
    }
    Ok(())
}

fn media_source(arg: &str) -> MediaSource {
    MediaSource::from_arg(arg)
}

fn params(list: &[String]) -> Vec<TemplateParam> {
    list.iter()
        .map(|p| match p.split_once('=') {
            Some((name, value)) if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
                TemplateParam::Named { name: name.to_string(), value: value.to_string() }
            }
            _ => TemplateParam::Positional(p.clone()),
        })
        .collect()
}

fn send_content(args: &SendArgs) -> Result<OutgoingContent> {
    let media = |kind: MessageKind, arg: &str, caption: Option<String>, filename: Option<String>| OutgoingContent::Media {
        kind,
        source: media_source(arg),
        caption,
        filename,
        mime: None,
    };
    Ok(if let Some(t) = &args.text {
        OutgoingContent::Text { body: t.clone(), preview_url: t.contains("https://") || t.contains("http://") }
    } else if let Some(i) = &args.image {
        media(MessageKind::Image, i, args.caption.clone(), None)
    } else if let Some(d) = &args.document {
        let name = args.filename.clone().or_else(|| PathBuf::from(d).file_name().map(|n| n.to_string_lossy().into_owned()));
        media(MessageKind::Document, d, args.caption.clone(), name)
    } else if let Some(a) = &args.audio {
        media(MessageKind::Audio, a, None, None)
    } else if let Some(v) = &args.video {
        media(MessageKind::Video, v, args.caption.clone(), None)
    } else if let Some(s) = &args.sticker {
        media(MessageKind::Sticker, s, None, None)
    } else if let Some(l) = &args.location {
        let (latitude, longitude) = wicket_core::outbox::parse_location(l)?;
        OutgoingContent::Location { latitude, longitude, name: args.name.clone(), address: None }
    } else if let Some(name) = &args.template {
        let language = args.lang.clone().ok_or_else(|| Error::Invalid("--template needs --lang CODE".into()))?;
        let mut buttons = vec![];
        for b in &args.button_params {
            let (i, v) = b.split_once('=').ok_or_else(|| Error::Invalid(format!("--button-param takes INDEX=VALUE, got {b:?}")))?;
            let i: u32 = i.trim().parse().map_err(|_| Error::Invalid(format!("--button-param index must be a number, got {i:?}")))?;
            buttons.push((i, v.to_string()));
        }
        OutgoingContent::Template {
            name: name.clone(),
            language,
            header_params: params(&args.header_params),
            body_params: params(&args.params),
            button_params: buttons,
        }
    } else {
        return Err(Error::Invalid("say what to send: --text, --image, --document, --audio, --video, --sticker, --location or --template".into()));
    })
}

fn send(ctx: &mut Context, args: SendArgs) -> Result<()> {
    let content = send_content(&args)?;
    let reply_to = args.reply_to.as_deref().map(|r| parse_id(r, "--reply-to")).transpose()?;
    if let Some(at) = &args.at {
        let send_at = wicket_core::scheduled::parse_send_at(&ctx.store, at)?;
        return crate::scheduled::send_later(ctx, &args, content, reply_to, send_at);
    }
    let queued = match (&args.conversation, &args.to, &args.account) {
        (Some(c), _, account) => {
            let conversation_id = parse_id(c, "--conversation")?;
            let conv = ctx.store.conversation(conversation_id)?;
            if let Some(a) = account {
                if parse_id(a, "--account")? != conv.account_id {
                    return Err(Error::Invalid(format!("conversation {conversation_id} is on account {}, not {a}", conv.account_id)));
                }
            }
            if !args.to_opted_out {
                refuse_opted_out(ctx, Some(conv.contact.clone()))?;
            }
            wicket_core::outbox::queue_in_conversation(&mut ctx.store, conversation_id, content, reply_to)?
        }
        (None, Some(to), Some(a)) => {
            let account = ctx.store.account(parse_id(a, "--account")?)?;
            if !args.to_opted_out {
                // A number that does not parse is the outbox's error to give.
                if let Ok(number) = wicket_core::phone::parse(to, &ctx.country()?) {
                    refuse_opted_out(ctx, ctx.store.find_contact(account.id, &ContactKey::phone(number.as_str()))?)?;
                }
            }
            wicket_core::outbox::queue(&mut ctx.store, &account, to, content, reply_to)?
        }
        _ => return Err(Error::Invalid("give --account ID with --to PHONE, or --conversation ID".into())),
    };
    let message = if args.no_wait { queued } else { send_queued(ctx, queued.id)? };
    if ctx.json {
        print_json(&output::message(&message));
    } else {
        println!("{}", sent_line(ctx, &message)?);
    }
    Ok(())
}

/// One line saying what became of a send: "Message 42 to Priya Shah: sent (provider id wamid.…)".
fn sent_line(ctx: &Context, m: &wicket_core::store::Message) -> Result<String> {
    let conversation = ctx.store.conversation(m.conversation_id)?;
    let to = wicket_core::store::contacts::display_name(&conversation.contact, &ctx.country()?);
    let state = match m.status.as_str() {
        "pending" => "queued: it goes out when the engine runs (wicket serve or the desktop app)".to_string(),
        other => other.to_string(),
    };
    let provider = m.provider_message_id.as_deref().map(|p| format!(" (provider id {p})")).unwrap_or_default();
    let error = m.error.as_ref().map(|e| format!(": {}", e.message)).unwrap_or_default();
    Ok(format!("Message {} to {to}: {state}{provider}{error}", m.id))
}

/// A manual message to a customer who opted out asks first: refused unless
/// the owner adds `--to-opted-out`.
pub(crate) fn refuse_opted_out(ctx: &Context, contact: Option<wicket_core::store::contacts::Contact>) -> Result<()> {
    match contact {
        Some(c) if c.opted_out_at.is_some() => Err(Error::Invalid(format!(
            "{} opted out of messages on {} (they wrote an opt-out keyword such as STOP); add --to-opted-out to send anyway",
            wicket_core::store::contacts::display_name(&c, &ctx.country()?),
            c.opted_out_at.map(to_rfc3339).unwrap_or_default()
        ))),
        _ => Ok(()),
    }
}

/// Sends queued message `id` here, or waits for the engine to when one runs.
fn send_queued(ctx: &mut Context, id: i64) -> Result<wicket_core::store::Message> {
    if wicket_core::engine_lock::EngineLock::is_held(&ctx.dir) {
        // The engine sends it; wait for it to settle.
        wicket_core::outbox::wait_settled(&ctx.store, id, wicket_core::outbox::RETRY_BUDGET + std::time::Duration::from_secs(30))
    } else {
        let secrets = ctx.secrets()?;
        runtime()?.block_on(wicket_core::outbox::send_with_retries(&mut ctx.store, &secrets, id, wicket_core::outbox::RETRY_BUDGET))
    }
}

/// `wicket resend MESSAGE_ID`: a failed message, or one that may have been
/// sent, goes back to the outbox on the owner's word and is sent again.
fn resend(ctx: &mut Context, args: ResendArgs) -> Result<()> {
    let id = parse_id(&args.id, "MESSAGE_ID")?;
    if !args.to_opted_out {
        // Sending again is a manual message too: it asks first, as `send` does.
        let conversation_id = ctx.store.message(id)?.conversation_id;
        refuse_opted_out(ctx, Some(ctx.store.conversation(conversation_id)?.contact))?;
    }
    let queued = wicket_core::outbox::retry(&mut ctx.store, id)?;
    let message = if args.no_wait { queued } else { send_queued(ctx, id)? };
    print_json(&output::message(&message));
    Ok(())
}

/// An account as `wicket account list --json` prints it: with its health
/// from Meta's account-level webhooks (kept apart: only adds fields).
fn account_health_json(ctx: &Context, a: &wicket_core::store::Account) -> Result<Value> {
    let mut v = output::account_with_health(a, &ctx.store.account_health(a.id)?);
    if let Value::Object(map) = &mut v {
        map.insert("history_import".into(), ctx.store.history_import(a.id)?.as_ref().map(output::history_import).unwrap_or(Value::Null));
    }
    Ok(v)
}

/// Below the table: what needs the owner on each account, and what to do.
fn print_attention(ctx: &Context, accounts: &[wicket_core::store::Account]) -> Result<()> {
    for a in accounts {
        for x in ctx.store.account_health(a.id)?.attention {
            println!("account {} needs attention: {} {}", a.id, x.message, x.action);
        }
        match ctx.store.history_import(a.id)? {
            Some(h) if h.error_message.is_some() => println!("account {}: {}", a.id, h.error_message.unwrap_or_default()),
            Some(h) if h.state == "importing" => {
                println!("account {}: importing the WhatsApp Business app's chats: {}% ({} messages so far)", a.id, h.progress, h.messages)
            }
            _ => {}
        }
    }
    Ok(())
}

fn settings_list(ctx: &Context) -> Result<()> {
    let current = wicket_core::settings_catalog::current(&ctx.store)?;
    if ctx.json {
        // Every setting with the value in effect, plus what else the table keeps (the app's own state), as before.
        let mut map: serde_json::Map<String, Value> =
            ctx.store.settings()?.into_iter().filter(|(k, _)| k != wicket_core::store::settings::DATA_DIR_ID && k != wicket_core::applock::HASH).collect();
        for c in current {
            map.entry(c.setting.key.to_string()).or_insert(c.value);
        }
        print_json(&Value::Object(map));
    } else {
        let rows: Vec<Vec<String>> = current
            .iter()
            .map(|c| {
                vec![c.setting.key.to_string(), if c.is_default { "default" } else { "set" }.to_string(), c.value.to_string(), c.setting.about.to_string()]
            })
            .collect();
        output::print_table(&["setting", "from", "value", "what it does"], &rows);
    }
    Ok(())
}

fn settings_set(ctx: &mut Context, key: &str, value: &str) -> Result<()> {
    let v: Value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_string()));
    wicket_core::settings_catalog::check(key, &v)?;
    ctx.store.set_setting(key, &v)?;
    if key == wicket_core::media_cache::LIMIT_SETTING {
        crate::media::limit_changed(ctx)?;
    }
    Ok(())
}
