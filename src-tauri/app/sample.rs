//! Sample conversations of a small bakery, written through the core's store
//! API: the data behind the UI fixtures (recorded from the real commands in
//! `tests.rs`) and the screenshots (`cargo run --example seed`).
//!
//! Every kind the first slice of the UI draws appears at least once: unread
//! and pinned rows, a verified business, a number without a name, right-to-
//! left text, hostile markup, replies, reactions, media, a location, a
//! shared contact, every outgoing status including a failure, an open and a
//! closed Meta window, an archived conversation and a second account.

use serde_json::json;
use wicket_core::model::{AccountStatus, Direction, MediaState, MessageKind, MessageStatus, Origin, Provider};
use wicket_core::store::contacts::{ContactKey, ContactUpdate};
use wicket_core::store::media::NewMedia;
use wicket_core::store::{NewAccount, NewMessage, Store};
use wicket_core::error::{ErrorKind, ProviderError};
use wicket_core::Result;

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

struct Seeder<'s> {
    store: &'s mut Store,
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

    fn media(&mut self, ago: i64, kind: MessageKind, caption: Option<&str>, file: (&str, &str, i64), state: MediaState) -> Result<(i64, String)> {
        let media_id = self.store.insert_media(&NewMedia {
            account_id: self.account,
            provider_media_id: Some(format!("media-{}", self.next_provider_id + 1)),
            file_name: Some(file.0.to_string()),
            mime: Some(file.1.to_string()),
            size: Some(file.2),
            state: Some(state),
            ..Default::default()
        })?;
        let line = Line { ago, dir: Direction::In, kind, text: None, status: MessageStatus::Received };
        self.say(line, NewMessage { caption: caption.map(str::to_string), media_id: Some(media_id), ..Default::default() })
    }
}

/// Fills an empty store with the sample inbox, times relative to `now` (ms).
pub fn seed(store: &mut Store, now: i64) -> Result<()> {
    store.set_setting("default_country", &json!("GB"))?;
    let shop = store.add_account(&NewAccount {
        provider: Provider::Meta,
        name: "Corner Bakery".into(),
        phone: Some("+442079460000".into()),
        config: json!({ "phone_number_id": "100200300", "business_account_id": "900800700" }),
    })?;
    store.set_account_status(shop.id, AccountStatus::Ok, None)?;
    let mut s = Seeder { store, now, account: shop.id, conversation: 0, next_provider_id: 0 };

    // Priya: pinned, two unread, a reply, reactions, an image, a voice note.
    let priya = s.chat("+447911123456", ContactUpdate { profile_name: Some("Priya Shah".into()), ..Default::default() })?;
    s.text(inbound(26 * 60 + 5, "Hi! Do you make birthday cakes to order?"))?;
    let (_, cake_q) = s.text(outbound(26 * 60, "We do! Sponge or chocolate, 8 or 10 inch. When is the party?", MessageStatus::Read))?;
    s.say(inbound(25 * 60 + 50, "Saturday afternoon. Chocolate, 10 inch please"), NewMessage { reply_to_provider_id: Some(cake_q), ..Default::default() })?;
    let (_, order) = s.text(outbound(25 * 60 + 45, "Lovely. That's £32, ready Saturday from 10:00. Name on the cake?", MessageStatus::Read))?;
    s.store.set_reaction(shop.id, &order, "+447911123456", "👍", now - (25 * 60 + 40) * MIN)?;
    s.text(inbound(25 * 60 + 40, "\"Happy 7th Birthday Maya\" 🎂\nAnd could you add some sprinkles on the sides?"))?;
    s.text(outbound(25 * 60 + 30, "Of course, sprinkles it is ✨", MessageStatus::Read))?;
    s.media(95, MessageKind::Image, Some("This is the design she likes"), ("cake-design.jpg", "image/jpeg", 184_320), MediaState::Downloaded)?;
    s.text(outbound(80, "That one is easy. We'll match the colours.", MessageStatus::Delivered))?;
    s.media(12, MessageKind::Voice, None, ("voice.ogg", "audio/ogg", 23_552), MediaState::Downloaded)?;
    let (_, q) = s.text(inbound(9, "Also, is the sourdough ready for pickup today?"))?;
    s.store.mark_conversation_read(priya)?;
    s.say(inbound(4, "I can come at 5"), NewMessage { reply_to_provider_id: Some(q), ..Default::default() })?;
    s.text(inbound(3, "Or 6 if that's easier!"))?;
    s.store.set_conversation_flags(priya, Some(true), None, None)?;
    s.store.set_conversation_labels(priya, &["order".into()])?;

    // Jürgen: a foreign number shown in international format; outgoing ticks.
    let jurgen = s.chat("+4915123456789", ContactUpdate { profile_name: Some("Jürgen Müller".into()), ..Default::default() })?;
    s.text(inbound(3 * 60, "Guten Tag! Do you deliver to Hackney?"))?;
    s.text(outbound(2 * 60 + 50, "Yes, Tuesdays and Fridays, free over £20.", MessageStatus::Read))?;
    s.text(outbound(2 * 60 + 49, "Here's this week's bread list.", MessageStatus::Delivered))?;
    s.text(outbound(40, "Your order is on its way 🚲", MessageStatus::Sent))?;
    s.store.mark_conversation_read(jurgen)?;

    // An Arabic-speaking customer: right-to-left text.
    let ahmed = s.chat("+447911123477", ContactUpdate { profile_name: Some("أحمد منصور".into()), ..Default::default() })?;
    s.text(inbound(5 * 60, "مرحبا، هل عندكم خبز بدون غلوتين؟"))?;
    s.text(outbound(4 * 60 + 55, "Yes — gluten-free loaves on Thursdays. نعم، يوم الخميس", MessageStatus::Read))?;
    s.text(inbound(4 * 60 + 50, "شكرا جزيلا 🙏"))?;
    s.store.mark_conversation_read(ahmed)?;

    // A number with no name yet: a location and a shared contact.
    s.chat("+447911123401", ContactUpdate::default())?;
    s.say(
        Line { ago: 2 * DAY / MIN, dir: Direction::In, kind: MessageKind::Location, text: None, status: MessageStatus::Received },
        NewMessage { location: Some(json!({ "latitude": 51.5413, "longitude": -0.0553, "name": "Broadway Market", "address": "London E8 4QL" })), ..Default::default() },
    )?;
    s.say(
        Line { ago: 2 * DAY / MIN - 1, dir: Direction::In, kind: MessageKind::Contacts, text: None, status: MessageStatus::Received },
        NewMessage { contacts: Some(json!([{ "name": { "formatted_name": "Sam Okafor" }, "phones": [{ "phone": "+44 7911 123488" }] }])), ..Default::default() },
    )?;

    // A verified supplier: the window is closed, and a send failed.
    let flour = s.chat("+447911123499", ContactUpdate { verified_name: Some("Flour & Co Supplies".into()), is_business: Some(true), ..Default::default() })?;
    s.text(inbound(3 * DAY / MIN, "Your invoice #4521 for March is attached."))?;
    s.media(3 * DAY / MIN - 1, MessageKind::Document, None, ("invoice-4521.pdf", "application/pdf", 98_304), MediaState::Downloaded)?;
    let (failed, _) = s.text(outbound(20, "Can we move Thursday's delivery to 7am?", MessageStatus::Sent))?;
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

    // Someone testing the shop with markup: it must stay text.
    s.chat("+447911123432", ContactUpdate { profile_name: Some("Tom <b>Baker</b>".into()), ..Default::default() })?;
    s.text(inbound(9 * DAY / MIN, "<img src=x onerror=\"document.title='pwned'\"> hello <script>document.title='pwned'</script>"))?;

    // Archived: an old, finished conversation.
    let old = s.chat("+447911123455", ContactUpdate { profile_name: Some("Lena Fischer".into()), ..Default::default() })?;
    s.text(inbound(20 * DAY / MIN, "Thanks for the croissants, see you next month!"))?;
    s.store.mark_conversation_read(old)?;
    s.store.set_conversation_flags(old, None, Some(true), None)?;

    // A second number (the demo provider): a stall at the weekend market.
    let stall = s.store.add_account(&NewAccount { provider: Provider::Demo, name: "Market stall".into(), phone: Some("+447911123400".into()), config: json!({}) })?;
    s.store.set_account_status(stall.id, AccountStatus::Disconnected, Some("the phone has been offline since Sunday: open WhatsApp on it to reconnect"))?;
    s.account = stall.id;
    s.chat("+447911123422", ContactUpdate { saved_name: Some("Mrs Patel (market)".into()), ..Default::default() })?;
    s.text(inbound(30 * 60, "Will you have the rye loaves on Saturday?"))?;
    Ok(())
}
