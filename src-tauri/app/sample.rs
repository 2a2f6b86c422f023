//! Sample conversations of a small bakery, written through the core's store
//! API: the data behind the UI fixtures (recorded from the real commands in
//! `tests.rs`) and the screenshots (`cargo run --example seed`).
//!
//! Every kind the first slice of the UI draws appears at least once: unread
//! and pinned rows, a verified business, a number without a name, right-to-
//! left text, hostile markup, replies, reactions, media, a location, a
//! shared contact, every outgoing status including a failure, an open and a
//! closed Meta window, an archived conversation and a second account. Media
//! are real files (`tests/fixtures/media`) written into the data dir's
//! `media/` as a download would; one download failed; approved templates.

use serde_json::json;
use wicket_core::error::{ErrorKind, ProviderError};
use wicket_core::model::{AccountStatus, Direction, MediaState, MessageKind, MessageStatus, Origin, Provider};
use wicket_core::providers::meta::webhook::UNSUPPORTED_TEXT;
use wicket_core::providers::ProviderEvent;
use wicket_core::store::contacts::{ContactKey, ContactUpdate};
use wicket_core::store::media::NewMedia;
use wicket_core::store::templates::NewTemplate;
use wicket_core::store::{NewAccount, NewMessage, Store};
use wicket_core::{DataDir, Result};

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;

/// One message of a script: minutes before `now`, who wrote it, what.
struct Line<'a> {
    ago: i64,
    dir: Direction,
    kind: MessageKind,
    text: Option<&'a str>,
    status: MessageStatus,
}

fn inbound(ago: i64, text: &str) -> Line<'_> {
    Line { ago, dir: Direction::In, kind: MessageKind::Text, text: Some(text), status: MessageStatus::Received }
}

fn outbound(ago: i64, text: &str, status: MessageStatus) -> Line<'_> {
    Line { ago, dir: Direction::Out, kind: MessageKind::Text, text: Some(text), status }
}

/// The sample's files: (file name, bytes), as a customer would send them.
const FILES: &[(&str, &[u8])] = &[
    ("cake-design.jpg", include_bytes!("../../tests/fixtures/media/cake-design.jpg")),
    ("voice.wav", include_bytes!("../../tests/fixtures/media/voice.wav")),
    ("sticker.webp", include_bytes!("../../tests/fixtures/media/sticker.webp")),
    ("oven.webm", include_bytes!("../../tests/fixtures/media/oven.webm")),
    ("invoice-4521.pdf", include_bytes!("../../tests/fixtures/media/invoice-4521.pdf")),
];

struct Seeder<'s> {
    store: &'s mut Store,
    dir: &'s DataDir,
    now: i64,
    account: i64,
    conversation: i64,
    next_provider_id: u32,
}

impl Seeder<'_> {
    fn chat(&mut self, phone: &str, update: ContactUpdate) -> Result<i64> {
        let contact = self.store.upsert_contact(self.account, &ContactKey::phone(phone), &update)?;
        self.conversation = self.store.get_or_create_conversation(self.account, contact.id)?;
        Ok(self.conversation)
    }

    /// Stores `line` and returns (message id, provider id).
    fn say(&mut self, line: Line<'_>, extra: NewMessage) -> Result<(i64, String)> {
        self.next_provider_id += 1;
        let pid = format!("wamid.sample{:04}", self.next_provider_id);
        let id = self
            .store
            .insert_message(&NewMessage {
                account_id: self.account,
                conversation_id: self.conversation,
                provider_message_id: Some(pid.clone()),
                direction: Some(line.dir),
                origin: (line.dir == Direction::Out).then_some(Origin::App),
                kind: Some(line.kind),
                text: line.text.map(str::to_string),
                status: Some(line.status),
                timestamp: Some(self.now - line.ago * MIN),
                ..extra
            })?
            .id();
        Ok((id, pid))
    }

    fn text(&mut self, line: Line<'_>) -> Result<(i64, String)> {
        self.say(line, NewMessage::default())
    }

    /// An inbound file: downloaded (written under `media/` like `media_fetch`
    /// does, a generated name) or, for `Failed`, a download that failed.
    fn media(&mut self, ago: i64, kind: MessageKind, caption: Option<&str>, file: (&str, &str), state: MediaState) -> Result<(i64, String)> {
        let bytes = FILES.iter().find(|(n, _)| *n == file.0).map(|(_, b)| *b).unwrap_or_default();
        let media_id = self.store.insert_media(&NewMedia {
            account_id: self.account,
            provider_media_id: Some(format!("media-{}", self.next_provider_id + 1)),
            file_name: Some(file.0.to_string()),
            mime: Some(file.1.to_string()),
            size: Some(bytes.len() as i64),
            state: Some(MediaState::Pending),
            ..Default::default()
        })?;
        if state == MediaState::Downloaded {
            let ext = file.0.rsplit('.').next().unwrap_or("bin");
            let rel = format!("media/{}/{media_id}-sample.{ext}", self.account);
            let path = self.dir.root().join(&rel);
            std::fs::create_dir_all(path.parent().unwrap_or(self.dir.root()))
                .map_err(|e| wicket_core::Error::io("cannot create the sample's media folder", e))?;
            std::fs::write(&path, bytes).map_err(|e| wicket_core::Error::io(format!("cannot write {}", path.display()), e))?;
            self.store.media_downloaded(media_id, &rel, Some(file.1), bytes.len() as i64, "sample")?;
        } else {
            self.store.media_failed(media_id, "Meta answered 404: the media id expired before it was downloaded", None)?;
        }
        let line = Line { ago, dir: Direction::In, kind, text: None, status: MessageStatus::Received };
        self.say(line, NewMessage { caption: caption.map(str::to_string), media_id: Some(media_id), ..Default::default() })
    }
}

/// Fills an empty store with the sample inbox, times relative to `now` (ms).
pub fn seed(store: &mut Store, dir: &DataDir, now: i64) -> Result<()> {
    store.set_setting("default_country", &json!("GB"))?;
    let shop = store.add_account(&NewAccount {
        provider: Provider::Meta,
        name: "Corner Bakery".into(),
        phone: Some("+442079460000".into()),
        config: json!({ "phone_number_id": "100200300", "business_account_id": "900800700" }),
    })?;
    store.set_account_status(shop.id, AccountStatus::Ok, None)?;
    store.record_sync(shop.id, &json!({ "total_fetched": 7, "successful_updates": 7, "failed_updates": 0, "contacts_with_names": 6, "contacts_without_names": 1, "failures": [], "finished_at": now - HOUR }))?;
    store.replace_templates(shop.id, &templates())?;
    let mut s = Seeder { store, dir, now, account: shop.id, conversation: 0, next_provider_id: 0 };

    // Priya: pinned, two unread, a reply, reactions, an image, a voice note.
    let priya = s.chat(
        "+447911123456",
        ContactUpdate {
            profile_name: Some("Priya Shah".into()),
            status_text: Some("Baking is love made edible 🧁".into()),
            company: Some("Maya's Party Planning".into()),
            ..Default::default()
        },
    )?;
    s.text(inbound(26 * 60 + 5, "Hi! Do you make birthday cakes to order?"))?;
    let (_, cake_q) = s.text(outbound(26 * 60, "We do! Sponge or chocolate, 8 or 10 inch. When is the party?", MessageStatus::Read))?;
    s.say(inbound(25 * 60 + 50, "Saturday afternoon. Chocolate, 10 inch please"), NewMessage { reply_to_provider_id: Some(cake_q), ..Default::default() })?;
    let (_, order) = s.text(outbound(25 * 60 + 45, "Lovely. That's £32, ready Saturday from 10:00. Name on the cake?", MessageStatus::Read))?;
    s.store.set_reaction(shop.id, &order, "+447911123456", "👍", now - (25 * 60 + 40) * MIN)?;
    s.text(inbound(25 * 60 + 40, "\"Happy 7th Birthday Maya\" 🎂\nAnd could you add some sprinkles on the sides?"))?;
    s.text(outbound(25 * 60 + 30, "Of course, sprinkles it is ✨", MessageStatus::Read))?;
    s.media(95, MessageKind::Image, Some("This is the design she likes"), ("cake-design.jpg", "image/jpeg"), MediaState::Downloaded)?;
    s.media(90, MessageKind::Sticker, None, ("sticker.webp", "image/webp"), MediaState::Downloaded)?;
    let (_, easy) = s.text(outbound(80, "That one is easy. We'll match the colors.", MessageStatus::Delivered))?;
    // The owner fixed a typo from the phone; the customer took a message back.
    edit(s.store, shop.id, &easy, "That one is easy. We'll match the colours.", now - 79 * MIN)?;
    let (_, gone) = s.text(inbound(60, "Actually can we do vanilla instead?"))?;
    delete(s.store, shop.id, &gone, now - 58 * MIN)?;
    s.media(12, MessageKind::Voice, None, ("voice.wav", "audio/wav"), MediaState::Downloaded)?;
    let (_, q) = s.text(inbound(9, "Also, is the sourdough ready for pickup today?"))?;
    s.store.mark_conversation_read(priya)?;
    s.say(inbound(4, "I can come at 5"), NewMessage { reply_to_provider_id: Some(q), ..Default::default() })?;
    s.text(inbound(3, "Or 6 if that's easier!"))?;
    s.store.set_conversation_flags(priya, Some(true), None, None)?;
    s.store.set_conversation_labels(priya, &["order".into()])?;
    let priya_contact = s.store.conversation(priya)?.contact.id;
    s.store.set_contact_labels(priya_contact, &["Regular".into()])?;
    let picture = format!("media/avatars/{}/{priya_contact}.img", shop.id);
    std::fs::create_dir_all(dir.root().join(format!("media/avatars/{}", shop.id)))
        .map_err(|e| wicket_core::Error::io("cannot create the sample's avatars", e))?;
    std::fs::write(dir.root().join(&picture), FILES[2].1).map_err(|e| wicket_core::Error::io("cannot write the sample's picture", e))?;
    s.store.set_contact_picture_path(priya_contact, Some(&picture))?;

    // Jürgen: a foreign number shown in international format; outgoing ticks.
    let jurgen = s.chat("+4915123456789", ContactUpdate { profile_name: Some("Jürgen Müller".into()), ..Default::default() })?;
    s.text(inbound(3 * 60, "Guten Tag! Do you deliver to Hackney?"))?;
    s.text(outbound(2 * 60 + 50, "Yes, Tuesdays and Fridays, free over £20.", MessageStatus::Read))?;
    s.text(outbound(2 * 60 + 49, "Here's this week's bread list.", MessageStatus::Delivered))?;
    // A poll Meta could not deliver: unsupported, with Meta's reason (an `errors[]` item).
    s.say(
        Line { ago: 2 * 60 + 45, dir: Direction::In, kind: MessageKind::Unsupported, text: Some(UNSUPPORTED_TEXT), status: MessageStatus::Received },
        NewMessage {
            error: Some(ProviderError { code: Some("131051".into()), kind: ErrorKind::Unknown, message: "Message type unknown".into(), retry_after: None }),
            error_details: Some("Message type is currently not supported.".into()),
            ..Default::default()
        },
    )?;
    s.text(outbound(40, "Your order is on its way 🚲", MessageStatus::Sent))?;
    s.media(35, MessageKind::Video, Some("Fresh out of the oven"), ("oven.webm", "video/webm"), MediaState::Downloaded)?;
    s.media(30, MessageKind::Image, Some("The bread list"), ("bread-list.jpg", "image/jpeg"), MediaState::Failed)?;
    s.store.mark_conversation_read(jurgen)?;

    // An Arabic-speaking customer: right-to-left text.
    let ahmed = s.chat("+447911123477", ContactUpdate { profile_name: Some("أحمد منصور".into()), ..Default::default() })?;
    s.text(inbound(5 * 60, "مرحبا، هل عندكم خبز بدون غلوتين؟"))?;
    s.text(outbound(4 * 60 + 55, "Yes — gluten-free loaves on Thursdays. نعم، يوم الخميس", MessageStatus::Read))?;
    s.text(inbound(4 * 60 + 50, "شكرا جزيلا 🙏"))?;
    s.store.mark_conversation_read(ahmed)?;
    // He then asked for no more messages (as `ingest` records a STOP): the
    // contact panel says so and the composer asks before sending.
    let ahmed_contact = s.store.conversation(ahmed)?.contact.id;
    s.store.write(|tx| wicket_core::store::contacts::set_opted_out(tx, ahmed_contact, true, now - (4 * 60 + 45) * MIN))?;

    // A number with no name yet: a location and a shared contact.
    s.chat("+447911123401", ContactUpdate::default())?;
    s.say(
        Line { ago: 2 * DAY / MIN, dir: Direction::In, kind: MessageKind::Location, text: None, status: MessageStatus::Received },
        NewMessage {
            location: Some(json!({ "latitude": 51.5413, "longitude": -0.0553, "name": "Broadway Market", "address": "London E8 4QL" })),
            ..Default::default()
        },
    )?;
    s.say(
        Line { ago: 2 * DAY / MIN - 1, dir: Direction::In, kind: MessageKind::Contacts, text: None, status: MessageStatus::Received },
        NewMessage {
            contacts: Some(json!([{ "name": { "formatted_name": "Sam Okafor" }, "phones": [{ "phone": "+44 7911 123488" }] }])),
            ..Default::default()
        },
    )?;

    // A verified supplier: the window is closed, and a send failed.
    let flour = s.chat(
        "+447911123499",
        ContactUpdate {
            verified_name: Some("Flour & Co Supplies".into()),
            is_business: Some(true),
            company: Some("Flour & Co Ltd".into()),
            ..Default::default()
        },
    )?;
    s.text(inbound(3 * DAY / MIN, "Your invoice #4521 for March is attached."))?;
    s.media(3 * DAY / MIN - 1, MessageKind::Document, None, ("invoice-4521.pdf", "application/pdf"), MediaState::Downloaded)?;
    // Queued from Wicket (it has its send request), refused by Meta.
    s.next_provider_id += 1;
    let request = json!({ "to": "+447911123499", "content": { "type": "text", "body": "Can we move Thursday's delivery to 7am?", "preview_url": false }, "reply_to_provider_id": null, "wicket_id": 0 });
    let (failed, _) =
        s.say(outbound(20, "Can we move Thursday's delivery to 7am?", MessageStatus::Sent), NewMessage { send_request: Some(request), ..Default::default() })?;
    s.store.set_message_status(
        failed,
        MessageStatus::Failed,
        Some(&ProviderError {
            code: Some("131047".into()),
            kind: ErrorKind::OutsideWindow,
            message: "More than 24 hours have passed since the customer last replied: send an approved template".into(),
            retry_after: None,
        }),
    )?;
    s.store.mark_conversation_read(flour)?;
    s.store.set_conversation_labels(flour, &["supplier".into()])?;

    // Someone testing the shop with markup: it must stay text.
    s.chat("+447911123432", ContactUpdate { profile_name: Some("Tom <b>Baker</b>".into()), ..Default::default() })?;
    s.text(inbound(9 * DAY / MIN, "<img src=x onerror=\"document.title='pwned'\"> hello <script>document.title='pwned'</script>"))?;

    // Archived: an old, finished conversation.
    let old = s.chat("+447911123455", ContactUpdate { profile_name: Some("Lena Fischer".into()), ..Default::default() })?;
    s.text(inbound(20 * DAY / MIN, "Thanks for the croissants, see you next month!"))?;
    s.store.mark_conversation_read(old)?;
    s.store.set_conversation_flags(old, None, Some(true), None)?;

    // A second number (the demo provider): a stall at the weekend market.
    let stall =
        s.store.add_account(&NewAccount { provider: Provider::Demo, name: "Market stall".into(), phone: Some("+447911123400".into()), config: json!({}) })?;
    s.store.set_account_status(stall.id, AccountStatus::Disconnected, Some("the phone has been offline since Sunday: open WhatsApp on it to reconnect"))?;
    s.account = stall.id;
    s.chat("+447911123422", ContactUpdate { saved_name: Some("Mrs Patel (market)".into()), ..Default::default() })?;
    s.text(inbound(30 * 60, "Will you have the rye loaves on Saturday?"))?;
    // A send the phone's disconnection stopped: the owner may try it again.
    let stall_conv = s.conversation;
    let queued = wicket_core::outbox::queue_in_conversation(
        s.store,
        stall_conv,
        wicket_core::providers::OutgoingContent::Text { body: "Yes! Six rye loaves set aside for you.".into(), preview_url: false },
        None,
    )?;
    s.store.write(|tx| {
        tx.execute("UPDATE messages SET timestamp = ?2 WHERE id = ?1", (queued.id, now - (29 * 60) * MIN))?;
        Ok(())
    })?;
    s.store.set_message_status(
        queued.id,
        MessageStatus::Failed,
        Some(&ProviderError {
            code: None,
            kind: ErrorKind::SessionDisconnected,
            message: "the phone is offline: WhatsApp could not deliver it (gave up after 60 s)".into(),
            retry_after: None,
        }),
    )?;
    s.store.refresh_conversation(stall_conv)?;
    s.store.set_conversation_labels(stall_conv, &["market".into()])?;

    // Real webhook bodies (the test fixtures), as the listener applies them:
    // a group with its notices and two senders, messages from the owner's
    // phone, an order, a customer who came from an ad, a number change.
    // Read already: the sample's unread rows stay the ones above.
    let mut replayed = vec![];
    for body in WEBHOOKS {
        replayed.extend(webhook(s.store, shop.id, body, now - 3 * HOUR)?.conversations_touched);
    }
    replayed.sort_unstable();
    replayed.dedup();
    for c in replayed {
        s.store.mark_conversation_read(c)?;
    }
    account_news(s.store, shop.id, now)
}

/// What Meta's account-level webhooks told the bakery (shapes as in
/// tests/fixtures/meta_webhooks/meta_webhook_template_rejected.json and
/// meta_webhook_phone_quality_flagged.json): its offers template was
/// rejected, and its number was flagged for low quality.
fn account_news(store: &mut Store, shop: i64, now: i64) -> Result<()> {
    use wicket_core::store::account_health::{AccountAspect, AccountChange, TemplateAspect, TemplateChange};
    let events = [
        ProviderEvent::TemplateChanged(TemplateChange {
            provider_template_id: Some("tpl-weekly_offers".into()),
            name: "weekly_offers".into(),
            language: "en-GB".into(),
            aspect: TemplateAspect::Status,
            value: json!({"status": "REJECTED", "reason": "INCORRECT_CATEGORY", "recommendation": "Submit it again as a MARKETING template without the discount code."}),
            // After the templates' sync above, which is stamped with the real clock.
            at: wicket_core::time::now_ms().max(now) + 1,
        }),
        ProviderEvent::AccountChanged(AccountChange {
            aspect: AccountAspect::Quality,
            value: json!({"rating": "RED", "event": "FLAGGED"}),
            at: now - HOUR,
            display_phone: Some("442079460000".into()),
        }),
        ProviderEvent::AccountChanged(AccountChange {
            aspect: AccountAspect::MessagingLimit,
            value: json!({"tier": "TIER_1K"}),
            at: now - HOUR,
            display_phone: None,
        }),
        // Coexistence: Meta is halfway through importing the app's chats.
        ProviderEvent::HistoryProgress(wicket_core::providers::HistoryChunk { phase: 1, chunk_order: 3, progress: 55, error: None }),
    ];
    store.write(|tx| wicket_core::ingest::apply(tx, shop, &events))?;
    // The sample's templates are its own: the engine must not fetch Meta's for them.
    if let Some(marker) = store.cursor(shop, wicket_core::ingest::TEMPLATES_STALE)? {
        store.clear_cursor_if(shop, wicket_core::ingest::TEMPLATES_STALE, &marker)?;
    }
    Ok(())
}

/// The Meta fixtures the sample replays (tests/fixtures/meta_webhooks).
const WEBHOOKS: &[&[u8]] = &[
    include_bytes!("../../tests/fixtures/meta_webhooks/meta_webhook_group_lifecycle.json"),
    include_bytes!("../../tests/fixtures/meta_webhooks/meta_webhook_group_participants.json"),
    include_bytes!("../../tests/fixtures/meta_webhooks/meta_webhook_group_messages.json"),
    include_bytes!("../../tests/fixtures/meta_webhooks/meta_webhook_group_settings.json"),
    include_bytes!("../../tests/fixtures/meta_webhooks/meta_webhook_text.json"),
    include_bytes!("../../tests/fixtures/meta_webhooks/meta_webhook_echoes.json"),
    include_bytes!("../../tests/fixtures/meta_webhooks/meta_webhook_system_identity.json"),
    include_bytes!("../../tests/fixtures/meta_webhooks/meta_webhook_order.json"),
    include_bytes!("../../tests/fixtures/meta_webhooks/meta_webhook_referral.json"),
    include_bytes!("../../tests/fixtures/meta_webhooks/meta_webhook_text_old_number.json"),
    include_bytes!("../../tests/fixtures/meta_webhooks/meta_webhook_system_number_change.json"),
    include_bytes!("../../tests/fixtures/meta_webhooks/meta_webhook_text_new_number.json"),
];

/// When the fixtures' group was created (2026-01-01 12:20 UTC): it moves to `at`.
const FIXTURES_START: i64 = 1_767_270_000_000;

/// Parses a Meta webhook body and applies it, its times moved by `at - FIXTURES_START`.
fn webhook(store: &mut Store, account: i64, body: &[u8], at: i64) -> Result<wicket_core::ingest::Applied> {
    let changes = wicket_core::providers::meta::webhook::parse_payload(body).map_err(|e| wicket_core::Error::Internal(e.to_string()))?;
    let mut events: Vec<ProviderEvent> = changes.into_iter().flat_map(|c| c.events).collect();
    for e in &mut events {
        match e {
            ProviderEvent::Message(m) => m.timestamp += at - FIXTURES_START,
            ProviderEvent::GroupSubject { timestamp, .. } => *timestamp += at - FIXTURES_START,
            _ => {}
        }
    }
    store.write(|tx| wicket_core::ingest::apply(tx, account, &events))
}

/// The sender edited or deleted a message: applied as a webhook would.
fn edit(store: &mut Store, account: i64, pid: &str, text: &str, at: i64) -> Result<()> {
    let ev = ProviderEvent::MessageEdited { provider_message_id: pid.into(), text: Some(text.into()), timestamp: at };
    store.write(|tx| wicket_core::ingest::apply(tx, account, &[ev]).map(|_| ()))
}

fn delete(store: &mut Store, account: i64, pid: &str, at: i64) -> Result<()> {
    let ev = ProviderEvent::MessageDeleted { provider_message_id: pid.into(), timestamp: at };
    store.write(|tx| wicket_core::ingest::apply(tx, account, &[ev]).map(|_| ()))
}

/// The bakery's approved templates in Meta's shape (one still pending).
fn templates() -> Vec<NewTemplate> {
    let t = |name: &str, category: &str, status: &str, format: &str, components: serde_json::Value| NewTemplate {
        provider_template_id: Some(format!("tpl-{name}")),
        name: name.into(),
        language: "en_GB".into(),
        status: status.into(),
        category: Some(category.into()),
        parameter_format: format.into(),
        components,
    };
    vec![
        t(
            "order_ready",
            "UTILITY",
            "APPROVED",
            "POSITIONAL",
            json!([
                { "type": "HEADER", "format": "TEXT", "text": "Order {{1}} is ready" },
                { "type": "BODY", "text": "Hello {{1}}, your order is ready for pickup from {{2}}. See you soon!", "example": { "body_text": [["Priya", "10:00"]] } },
                { "type": "FOOTER", "text": "Corner Bakery" }
            ]),
        ),
        t(
            "follow_up",
            "MARKETING",
            "APPROVED",
            "NAMED",
            json!([
                { "type": "BODY", "text": "Hi {{first_name}}! We still have your question about {{topic}}. Reply here and we'll help." },
                { "type": "BUTTONS", "buttons": [{ "type": "QUICK_REPLY", "text": "Yes please" }] }
            ]),
        ),
        t(
            "parcel_photo",
            "UTILITY",
            "APPROVED",
            "POSITIONAL",
            json!([
                { "type": "HEADER", "format": "IMAGE" },
                { "type": "BODY", "text": "Your order {{1}} is packed: here it is before it leaves." }
            ]),
        ),
        t("weekly_offers", "MARKETING", "PENDING", "POSITIONAL", json!([{ "type": "BODY", "text": "This week: {{1}}" }])),
    ]
}
