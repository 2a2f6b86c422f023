//! Tests of the Meta webhook parser, on the fixture files and on small
//! documented shapes.

use super::*;
use serde_json::json;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../../tests/fixtures/meta_webhooks/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

/// A payload for one number with these messages and the sender's profile.
fn payload(messages: Value) -> Vec<u8> {
    json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": "214365870912345", "changes": [{ "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "15550102030", "phone_number_id": "318273645501234" },
            "contacts": [{ "profile": { "name": "Priya Raman" }, "wa_id": "447700900123" }],
            "messages": messages
        }}]}]
    })
    .to_string()
    .into_bytes()
}

fn messages(body: &[u8]) -> Vec<InboundMessage> {
    parse_payload(body)
        .unwrap()
        .into_iter()
        .flat_map(|c| c.events)
        .filter_map(|e| match e {
            ProviderEvent::Message(m) => Some(m),
            _ => None,
        })
        .collect()
}

fn statuses(body: &[u8]) -> Vec<StatusReport> {
    parse_payload(body)
        .unwrap()
        .into_iter()
        .flat_map(|c| c.events)
        .filter_map(|e| match e {
            ProviderEvent::Status(s) => Some(s),
            _ => None,
        })
        .collect()
}

fn one(msg: Value) -> InboundMessage {
    let mut all = messages(&payload(json!([msg])));
    assert_eq!(all.len(), 1, "one message in, one message out");
    all.remove(0)
}

fn base(kind: &str, body: Value) -> Value {
    let mut m = json!({ "from": "447700900123", "id": format!("wamid.{kind}"), "timestamp": "1767268800", "type": kind });
    m[kind] = body;
    m
}

#[test]
fn text_fixture_becomes_a_customer_message() {
    let changes = parse_payload(&fixture("meta_webhook_text.json")).unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].field, "messages");
    assert_eq!(changes[0].phone_number_id.as_deref(), Some("318273645501234"));
    let m = messages(&fixture("meta_webhook_text.json")).remove(0);
    assert_eq!(m.kind, MessageKind::Text);
    assert_eq!(m.text.as_deref(), Some("Hi! Is my order #4521 ready for pickup?"));
    assert_eq!(m.chat, ContactKey::phone("+447700900123"), "wa_id digits become E.164");
    assert_eq!(m.chat_update.wa_id.as_deref(), Some("447700900123"));
    assert_eq!(m.chat_update.profile_name.as_deref(), Some("Priya Raman"));
    assert_eq!(m.timestamp, 1_767_268_800_000, "seconds as a string become ms");
    assert_eq!((m.direction, m.origin), (Direction::In, None), "a customer message");
    assert_eq!(m.raw["id"], json!(m.provider_message_id), "raw keeps the message JSON");
    assert!(m.reply_to_provider_id.is_none());
}

#[test]
fn image_fixture_keeps_media_and_caption() {
    let m = messages(&fixture("meta_webhook_image.json")).remove(0);
    assert_eq!(m.kind, MessageKind::Image);
    assert_eq!(m.caption.as_deref(), Some("This is the damaged box"));
    let media = m.media.unwrap();
    assert_eq!(media.provider_media_id.as_deref(), Some("1029384756102938"));
    assert_eq!(media.mime.as_deref(), Some("image/jpeg"));
    assert!(media.sha256.is_some());
}

#[test]
fn reaction_fixture_targets_the_reacted_message() {
    let m = messages(&fixture("meta_webhook_reaction.json")).remove(0);
    assert_eq!(m.kind, MessageKind::Reaction);
    assert_eq!(m.reaction, Some(("wamid.HBgMNDQ3NzAwOTAwMTIzFQIAERgSMDFBQkNERUYwMTIzNDU2Nzg5AA==".into(), "👍".into())));
}

#[test]
fn a_removed_reaction_has_an_empty_emoji() {
    let m = one(base("reaction", json!({ "message_id": "wamid.X" })));
    assert_eq!(m.reaction, Some(("wamid.X".into(), String::new())));
}

#[test]
fn interactive_button_reply_fixture_keeps_title_object_and_context() {
    let m = messages(&fixture("meta_webhook_interactive_button.json")).remove(0);
    assert_eq!(m.kind, MessageKind::Interactive);
    assert_eq!(m.text.as_deref(), Some("Yes, today"));
    assert_eq!(m.interactive.as_ref().unwrap()["button_reply"]["id"], json!("pickup_confirm"));
    assert_eq!(m.reply_to_provider_id.as_deref(), Some("wamid.HBgMNDQ3NzAwOTAwMTIzFQIAERgSMDNDREVGMDEyMzQ1Njc4OUFCAA=="));
}

#[test]
fn status_fixtures() {
    let s = statuses(&fixture("meta_webhook_status_delivered.json")).remove(0);
    assert_eq!(s.status, MessageStatus::Delivered);
    assert_eq!(s.timestamp, 1_767_269_010_000);
    assert_eq!(s.recipient, Some(ContactKey::phone("+447700900123")));
    assert!(s.error.is_none() && s.wicket_id.is_none());

    let f = statuses(&fixture("meta_webhook_status_failed.json")).remove(0);
    assert_eq!(f.status, MessageStatus::Failed);
    let e = f.error.expect("a failed status carries its error");
    assert_eq!(e.code.as_deref(), Some("131047"));
    assert_eq!(e.kind, ErrorKind::OutsideWindow);
}

#[test]
fn multi_entry_fixture_yields_every_change_in_order() {
    let changes = parse_payload(&fixture("meta_webhook_multi_entry.json")).unwrap();
    let numbers: Vec<_> = changes.iter().map(|c| c.phone_number_id.as_deref().unwrap()).collect();
    assert_eq!(numbers, ["318273645501234", "318273645501234", "318273645509876"], "every entry and change, in order");
    let kinds: Vec<MessageKind> = changes
        .iter()
        .flat_map(|c| &c.events)
        .filter_map(|e| match e {
            ProviderEvent::Message(m) => Some(m.kind),
            _ => None,
        })
        .collect();
    use MessageKind::*;
    assert_eq!(kinds, [Text, Document, Voice, Location, Interactive, Sticker, Interactive, Contacts, Unsupported, Video, Reaction]);
    let all: Vec<InboundMessage> = messages(&fixture("meta_webhook_multi_entry.json"));
    let by_id = |id: &str| all.iter().find(|m| m.provider_message_id == id).unwrap();
    assert_eq!(by_id("wamid.MULTI02").chat_update.profile_name.as_deref(), Some("Joao Silva"), "profile matched by wa_id");
    assert_eq!(by_id("wamid.MULTI02").media.as_ref().unwrap().file_name.as_deref(), Some("invoice-2026-001.pdf"));
    assert_eq!(by_id("wamid.MULTI02").caption.as_deref(), Some("Invoice"));
    let loc = by_id("wamid.MULTI10").location.clone().unwrap();
    assert_eq!(loc, json!({ "latitude": 52.520008, "longitude": 13.404954, "name": "Alexanderplatz", "address": "Alexanderplatz, 10178 Berlin" }));
    let button = by_id("wamid.MULTI11");
    assert_eq!(button.text.as_deref(), Some("Track order"));
    assert_eq!(button.interactive, Some(json!({ "type": "button", "button": { "payload": "TRACK_ORDER_4521", "text": "Track order" } })));
    assert_eq!(button.reply_to_provider_id.as_deref(), Some("wamid.TEMPLATE01"));
    assert_eq!(by_id("wamid.MULTI13").text.as_deref(), Some("15:00 - 16:00"), "list reply title");
    assert_eq!(by_id("wamid.MULTI14").contacts.as_ref().unwrap()[0]["name"]["formatted_name"], json!("Max Mustermann"));
    let unsupported = by_id("wamid.MULTI15");
    assert_eq!(unsupported.text.as_deref(), Some(UNSUPPORTED_TEXT));
    assert_eq!(unsupported.raw["unsupported"]["type"], json!("edit"), "raw JSON kept");
    assert_eq!(by_id("wamid.MULTI17").reaction, Some(("wamid.OUT99".into(), String::new())));

    let st = statuses(&fixture("meta_webhook_multi_entry.json"));
    let got: Vec<_> = st.iter().map(|s| (s.provider_message_id.as_str(), s.status)).collect();
    assert_eq!(got, [("wamid.OUT01", MessageStatus::Sent), ("wamid.OUT00", MessageStatus::Read), ("wamid.OUT02", MessageStatus::Failed)]);
    assert_eq!(st[2].error.as_ref().unwrap().kind, ErrorKind::InvalidRecipient);
    assert_eq!(st[2].error.as_ref().unwrap().code.as_deref(), Some("131026"));
}

#[test]
fn every_media_type_from_documented_payloads() {
    let video = one(base("video", json!({ "id": "55", "mime_type": "video/mp4", "sha256": "ab", "caption": "clip", "file_size": "1234" })));
    assert_eq!((video.kind, video.caption.as_deref()), (MessageKind::Video, Some("clip")));
    assert_eq!(video.media.unwrap().size, Some(1234), "file_size as a string");
    let audio = one(base("audio", json!({ "id": "66", "mime_type": "audio/ogg", "voice": false })));
    assert_eq!(audio.kind, MessageKind::Audio, "audio without voice:true");
    let voice = one(base("audio", json!({ "id": "67", "mime_type": "audio/ogg; codecs=opus", "voice": true })));
    assert_eq!(voice.kind, MessageKind::Voice);
    let sticker = one(base("sticker", json!({ "id": "77", "mime_type": "image/webp", "animated": true, "file_size": 99 })));
    assert_eq!((sticker.kind, sticker.media.unwrap().size), (MessageKind::Sticker, Some(99)));
    let doc = one(base("document", json!({ "id": "88", "mime_type": "application/pdf", "filename": "a.pdf" })));
    assert_eq!(doc.kind, MessageKind::Document);
    assert_eq!(doc.media.unwrap().file_name.as_deref(), Some("a.pdf"));
    assert!(doc.caption.is_none());
}

#[test]
fn location_with_url_and_a_number_timestamp() {
    let mut msg = base("location", json!({ "latitude": 1.5, "longitude": -2.25, "url": "https://example.com" }));
    msg["timestamp"] = json!(1767268801);
    let m = one(msg);
    assert_eq!(m.location, Some(json!({ "latitude": 1.5, "longitude": -2.25, "url": "https://example.com" })));
    assert_eq!(m.timestamp, 1_767_268_801_000, "a numeric timestamp");
}

#[test]
fn list_reply_and_flow_reply() {
    let list = one(base("interactive", json!({ "type": "list_reply", "list_reply": { "id": "a", "title": "Morning", "description": "9-12" } })));
    assert_eq!((list.kind, list.text.as_deref()), (MessageKind::Interactive, Some("Morning")));
    let flow = one(base("interactive", json!({ "type": "nfm_reply", "nfm_reply": { "name": "flow", "body": "Sent", "response_json": "{}" } })));
    assert_eq!(flow.text.as_deref(), Some("Sent"));
}

#[test]
fn unknown_and_known_unhandled_types_are_unsupported_with_raw_kept() {
    for kind in ["request_welcome", "hologram"] {
        let m = one(base(kind, json!({ "whatever": 1 })));
        assert_eq!(m.kind, MessageKind::Unsupported, "{kind} is unsupported");
        assert_eq!(m.text.as_deref(), Some(UNSUPPORTED_TEXT));
        assert_eq!(m.raw["type"], json!(kind), "raw JSON kept for {kind}");
    }
    let no_type = one(json!({ "from": "447700900123", "id": "wamid.none", "timestamp": "1" }));
    assert_eq!(no_type.kind, MessageKind::Unsupported);
}

#[test]
fn a_bsuid_only_sender_is_keyed_by_the_opaque_id() {
    let body = json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": "1", "changes": [{ "field": "messages", "value": {
            "metadata": { "phone_number_id": "318273645501234" },
            "contacts": [{ "profile": { "name": "Ana", "username": "ana" }, "user_id": "GB.1502576394655843" }],
            "messages": [{ "from_user_id": "GB.1502576394655843", "id": "wamid.B1", "timestamp": "1767268800", "type": "text", "text": { "body": "hi" } }]
        }}]}]
    });
    let m = messages(body.to_string().as_bytes()).remove(0);
    assert_eq!(m.chat, ContactKey::user_id("GB.1502576394655843"), "no fake phone number");
    assert_eq!(m.chat_update.wa_id, None);
    assert_eq!(m.chat_update.profile_name.as_deref(), Some("Ana"));

    // With both, the user id is kept beside the phone.
    let both = one(json!({ "from": "447700900123", "user_id": "GB.9", "id": "wamid.B2", "timestamp": "1", "type": "text", "text": { "body": "x" } }));
    assert_eq!(both.chat, ContactKey { phone: Some("+447700900123".into()), provider_user_id: Some("GB.9".into()) });

    // A status for a BSUID-only recipient.
    let st = json!({ "object": "whatsapp_business_account", "entry": [{ "changes": [{ "field": "messages", "value": {
        "metadata": { "phone_number_id": "1" },
        "statuses": [{ "id": "wamid.O", "status": "delivered", "timestamp": "2", "recipient_user_id": "GB.9" }] } }] }] });
    assert_eq!(statuses(st.to_string().as_bytes())[0].recipient, Some(ContactKey::user_id("GB.9")));
}

#[test]
fn a_message_without_id_or_sender_is_skipped() {
    let body = payload(json!([
        { "from": "447700900123", "timestamp": "1", "type": "text", "text": { "body": "no id" } },
        { "id": "wamid.nofrom", "timestamp": "1", "type": "text", "text": { "body": "sender from contacts[]" } }
    ]));
    let got = messages(&body);
    assert_eq!(got.len(), 1, "a message without an id is skipped");
    assert_eq!(got[0].chat, ContactKey::phone("+447700900123"), "without `from`, the only contacts[] entry is the sender");

    let lone = json!({ "object": "whatsapp_business_account", "entry": [{ "changes": [{ "field": "messages", "value": {
        "metadata": { "phone_number_id": "1" },
        "messages": [{ "id": "wamid.nobody", "timestamp": "1", "type": "text", "text": { "body": "?" } }] } }] }] });
    assert!(messages(lone.to_string().as_bytes()).is_empty(), "no sender at all: skipped, not keyed by a made-up id");
}

#[test]
fn unknown_fields_and_statuses_are_ignored() {
    let body = json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": "1", "changes": [
            { "field": "message_template_status_update", "value": { "event": "APPROVED", "message_template_id": 1 } },
            { "field": "messages", "value": { "metadata": { "phone_number_id": "9" },
              "statuses": [
                { "id": "wamid.A", "status": "deleted", "timestamp": "1" },
                { "id": "wamid.B", "status": "warning", "timestamp": "1" },
                { "id": "wamid.C", "status": "played", "timestamp": "1", "biz_opaque_callback_data": "42" }
              ] } }
        ]}]
    });
    let changes = parse_payload(body.to_string().as_bytes()).unwrap();
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[0].field, "message_template_status_update");
    assert!(changes[0].events.is_empty(), "unknown fields carry no events");
    assert!(changes[0].phone_number_id.is_none());
    assert_eq!(changes[1].events.len(), 1, "deleted and unknown statuses are skipped");
    let ProviderEvent::Status(s) = &changes[1].events[0] else { panic!("a status") };
    assert_eq!((s.status, s.wicket_id), (MessageStatus::Played, Some(42)), "biz_opaque_callback_data is our id");
}

#[test]
fn other_products_and_odd_shapes_are_not_errors() {
    assert_eq!(parse_payload(br#"{"object":"page","entry":[{"changes":[{"field":"messages"}]}]}"#).unwrap(), vec![]);
    assert_eq!(parse_payload(br#"{"object":"whatsapp_business_account"}"#).unwrap(), vec![]);
    assert_eq!(parse_payload(br#"{"object":"whatsapp_business_account","entry":"x"}"#).unwrap(), vec![]);
    assert!(parse_payload(b"not json").is_err());
    assert!(parse_payload(b"[1,2]").is_err(), "JSON that is not an object");
    assert!(parse_payload(b"").is_err());
}

fn events(body: &[u8]) -> Vec<ProviderEvent> {
    parse_payload(body).unwrap().into_iter().flat_map(|c| c.events).collect()
}

#[test]
fn edits_and_revokes_change_their_original_and_are_no_message() {
    let text = events(&fixture("meta_webhook_edit_text.json"));
    assert_eq!(
        text,
        vec![ProviderEvent::MessageEdited {
            provider_message_id: "wamid.HBgMNDQ3NzAwOTAwMTIzFQIAEhggQTFCMkMzRDRFNUY2MDcxODI5M0E0QjVDNkQ3RThGOTAA".into(),
            text: Some("Hi! Is my order #4522 ready for pickup?".into()),
            timestamp: 1_767_269_000_000,
        }]
    );
    let ProviderEvent::MessageEdited { text: caption, .. } = &events(&fixture("meta_webhook_edit_caption.json"))[0] else { panic!("an edit") };
    assert_eq!(caption.as_deref(), Some("This is the damaged box: the corner is crushed"), "a media edit carries the new caption");
    assert_eq!(
        events(&fixture("meta_webhook_revoke.json")),
        vec![ProviderEvent::MessageDeleted {
            provider_message_id: "wamid.HBgMNDQ3NzAwOTAwMTIzFQIAEhggQzNENEU1RjYwNzE4MjkzQTRCNUM2RDdFOEY5MEExQjIA".into(),
            timestamp: 1_767_269_060_000,
        }]
    );
    // Without the original's id there is nothing to change: kept, as unsupported.
    let orphan = one(base("revoke", json!({})));
    assert_eq!(orphan.kind, MessageKind::Unsupported);
}

#[test]
fn messages_meta_could_not_deliver_keep_its_reason() {
    let m = messages(&fixture("meta_webhook_unsupported_error.json")).remove(0);
    assert_eq!((m.kind, m.text.as_deref()), (MessageKind::Unsupported, Some(UNSUPPORTED_TEXT)));
    assert_eq!(
        m.error,
        Some(InboundError {
            code: Some("131051".into()),
            title: "Message type unknown".into(),
            details: Some("Message type is currently not supported.".into())
        })
    );
    let i = messages(&fixture("meta_webhook_interactive_error.json")).remove(0);
    assert_eq!((i.kind, i.interactive.as_ref()), (MessageKind::Unsupported, None), "an interactive reply without its reply is not an empty bubble");
    assert_eq!(i.error.as_ref().and_then(|e| e.code.as_deref()), Some("131000"));
    // Content that did arrive is kept, whatever errors[] says.
    let mut with = base("text", json!({ "body": "fine" }));
    with["errors"] = json!([{ "code": 131000, "title": "Something went wrong" }]);
    let kept = one(with);
    assert_eq!((kept.kind, kept.text.as_deref(), kept.error), (MessageKind::Text, Some("fine"), None));
}

#[test]
fn another_numbers_contacts_entry_names_nobody() {
    let m = messages(&fixture("meta_webhook_contact_mismatch.json")).remove(0);
    assert_eq!(m.chat, ContactKey::phone("+447700900456"));
    assert_eq!(m.chat_update.profile_name, None, "the only entry is for 447700900123");
    assert_eq!(m.chat_update.wa_id.as_deref(), Some("447700900456"));
}

#[test]
fn a_failed_status_without_errors_still_says_failed() {
    let body = json!({ "object": "whatsapp_business_account", "entry": [{ "changes": [{ "field": "messages", "value": {
        "metadata": { "phone_number_id": "1" },
        "statuses": [{ "id": "wamid.F", "status": "failed", "timestamp": "2", "recipient_id": "447700900123" }] } }] }] });
    let s = statuses(body.to_string().as_bytes()).remove(0);
    assert_eq!(s.error.unwrap().kind, ErrorKind::Unknown);
}

const GROUP: &str = "Y2FwaV9ncm91cDoxNTU1MDEwMjAzMDoxMjAzNjMwNDEyMzQ1Njc4OTAZD";

#[test]
fn a_group_message_belongs_to_the_group_and_keeps_its_participant() {
    let all = messages(&fixture("meta_webhook_group_messages.json"));
    assert_eq!(all.len(), 2);
    for m in &all {
        assert_eq!(m.chat, ContactKey::user_id(GROUP), "never the participant's one-to-one chat");
        assert_eq!(m.chat_update.is_group, Some(true));
        assert_eq!(m.chat_update.profile_name, None, "the group is not named after a participant");
    }
    assert_eq!((all[0].sender_id.as_deref(), all[0].sender_name.as_deref()), (Some("+447700900456"), Some("Tom Baker")));
    assert_eq!((all[1].sender_id.as_deref(), all[1].sender_name.as_deref()), (Some("+447700900789"), Some("Ada Okafor")));
    assert_eq!(all[1].caption.as_deref(), Some("Van is loaded"));
}

#[test]
fn group_webhooks_become_notices_and_subjects() {
    let created = events(&fixture("meta_webhook_group_lifecycle.json"));
    assert_eq!(created[0], ProviderEvent::GroupSubject { group: ContactKey::user_id(GROUP), subject: "Pickup crew".into(), timestamp: 1_767_270_000_000 });
    let ProviderEvent::Message(n) = &created[1] else { panic!("a notice") };
    assert_eq!((n.kind, n.text.as_deref(), n.chat.clone()), (MessageKind::Notice, Some("Group “Pickup crew” created"), ContactKey::user_id(GROUP)));
    let again = events(serde_json::to_vec(&serde_json::from_slice::<Value>(&fixture("meta_webhook_group_lifecycle.json")).unwrap()).unwrap().as_slice());
    assert_eq!(again, created, "the same item is the same notice (same id), whatever its encoding");

    let people: Vec<String> = events(&fixture("meta_webhook_group_participants.json"))
        .into_iter()
        .filter_map(|e| match e {
            ProviderEvent::Message(m) => m.text,
            _ => None,
        })
        .collect();
    assert_eq!(people, ["+447700900456 joined with the invite link. +447700900789 joined with the invite link", "+447700900789 left"]);

    let settings = events(&fixture("meta_webhook_group_settings.json"));
    assert!(matches!(&settings[0], ProviderEvent::GroupSubject { subject, .. } if subject == "Pickup crew Camden"));
    let ProviderEvent::Message(n) = &settings[1] else { panic!("a notice") };
    assert_eq!(n.text.as_deref(), Some("Subject changed to “Pickup crew Camden”. Group description changed"));

    // A failed change changes nothing and says why.
    let failed = json!({ "object": "whatsapp_business_account", "entry": [{ "changes": [{ "field": "group_settings_update", "value": {
        "metadata": { "phone_number_id": "1" },
        "groups": [{ "timestamp": "5", "group_id": "G1", "type": "group_settings_update",
            "group_subject": { "text": "Nope", "update_successful": false, "errors": [{ "code": 131000, "title": "Something went wrong" }] } }] } }] }] });
    let e = events(failed.to_string().as_bytes());
    assert_eq!(e.len(), 1, "no subject from a failed change");
    let ProviderEvent::Message(n) = &e[0] else { panic!("a notice") };
    assert_eq!(n.text.as_deref(), Some("The group subject could not be changed: Something went wrong"));
}

#[test]
fn echoes_are_the_owners_messages_from_the_phone() {
    let all = messages(&fixture("meta_webhook_echoes.json"));
    assert_eq!(all.len(), 2);
    for m in &all {
        assert_eq!((m.direction, m.origin), (Direction::Out, Some(crate::model::Origin::Phone)));
        assert_eq!(m.chat, ContactKey::phone("+447700900123"), "the chat is the recipient, not the business");
    }
    assert_eq!(all[0].text.as_deref(), Some("Yes, it's ready: see you at 15:00"));
    assert_eq!((all[1].kind, all[1].caption.as_deref()), (MessageKind::Image, Some("Your cake, boxed")));
}

#[test]
fn orders_referrals_and_system_messages() {
    let o = messages(&fixture("meta_webhook_order.json")).remove(0);
    assert_eq!(o.kind, MessageKind::Order);
    assert_eq!(
        o.order,
        Some(json!({ "catalog_id": "194836987003835", "text": "Two please, and one lemon tart", "product_items": [
            { "product_retailer_id": "SKU-CHOC-42", "quantity": 2, "item_price": 7.99, "currency": "GBP" },
            { "product_retailer_id": "SKU-LEMON-7", "quantity": 1, "item_price": 12.5, "currency": "GBP" } ] }))
    );
    assert_eq!(
        o.text.as_deref(),
        Some("Order: 2 × SKU-CHOC-42 (GBP 7.99 each), 1 × SKU-LEMON-7 (GBP 12.50 each) · total GBP 28.48 · “Two please, and one lemon tart”")
    );

    let r = messages(&fixture("meta_webhook_referral.json")).remove(0);
    assert_eq!(r.kind, MessageKind::Text);
    let referral = r.referral.expect("the ad is kept");
    assert_eq!(referral["headline"], json!("Summer cakes, 20% off"));
    assert_eq!(referral["source_type"], json!("ad"));
    assert!(referral["ctwa_clid"].as_str().is_some_and(|c| c.starts_with("ARAk")));

    let change = events(&fixture("meta_webhook_system_number_change.json"));
    assert_eq!(change[0], ProviderEvent::NumberChanged { old: ContactKey::phone("+447700900321"), new: ContactKey::phone("+447700900654") });
    let ProviderEvent::Message(n) = &change[1] else { panic!("a notice") };
    assert_eq!((n.kind, n.chat.clone()), (MessageKind::Notice, ContactKey::phone("+447700900654")));
    assert_eq!(n.text.as_deref(), Some("User Sam Patel changed from 447700900321 to 447700900654"));

    let id = messages(&fixture("meta_webhook_system_identity.json")).remove(0);
    assert_eq!((id.kind, id.text.as_deref()), (MessageKind::Notice, Some("Priya Raman's security code changed")));
    let legacy = one(base("system", json!({ "type": "customer_changed_number", "new_wa_id": "447700900111" })));
    assert_eq!(legacy.chat, ContactKey::phone("+447700900111"), "the legacy form with new_wa_id");
}

#[test]
fn history_messages_take_their_direction_from_the_business_number_and_their_status_from_the_history() {
    let all = messages(&fixture("meta_webhook_history_chunk1.json"));
    let summary: Vec<(Direction, Option<MessageStatus>, MessageKind, bool)> = all.iter().map(|m| (m.direction, m.status, m.kind, m.history)).collect();
    assert_eq!(
        summary,
        [
            (Direction::Out, Some(MessageStatus::Read), MessageKind::Text, true),
            (Direction::In, None, MessageKind::Text, true),
            (Direction::In, None, MessageKind::Unsupported, true),
            (Direction::Out, Some(MessageStatus::Failed), MessageKind::Text, true),
        ]
    );
    assert_eq!(all[0].chat, ContactKey::phone("+447700900123"), "an outgoing message's chat is its recipient");
    assert_eq!(all[2].text.as_deref(), Some(crate::store::history::PLACEHOLDER_TEXT), "a placeholder says its media comes later");
    assert!(all[3].error.is_some(), "a message the app could not send says so");
    let chunk = events(&fixture("meta_webhook_history_chunk1.json")).into_iter().find_map(|e| match e {
        ProviderEvent::HistoryProgress(c) => Some(c),
        _ => None,
    });
    assert_eq!(chunk, Some(crate::providers::HistoryChunk { phase: 0, chunk_order: 1, progress: 40, error: None }));
}

#[test]
fn a_declined_history_is_a_chunk_with_meta_s_error() {
    let all = events(&fixture("meta_webhook_history_declined.json"));
    let [ProviderEvent::HistoryProgress(c)] = all.as_slice() else { panic!("{all:?}") };
    assert_eq!(c.error.as_ref().and_then(|e| e.code.as_deref()), Some("2593109"));
}

#[test]
fn the_app_address_book_gives_saved_names_and_removals() {
    let adds = events(&fixture("meta_webhook_app_state_sync.json"));
    assert_eq!(adds.len(), 3);
    let ProviderEvent::SavedName { key, name, timestamp } = &adds[0] else { panic!("{adds:?}") };
    assert_eq!((key, name.as_deref(), *timestamp), (&ContactKey::phone("+447700900123"), Some("Priya Raman (wedding cake)"), 1_767_000_500_000));
    let removal = events(&fixture("meta_webhook_app_state_sync_remove.json"));
    assert!(matches!(&removal[..], [ProviderEvent::SavedName { name: None, .. }]), "{removal:?}");
}

#[test]
fn a_group_status_keeps_the_participants_receipt_and_the_message_status() {
    let all = events(&fixture("meta_webhook_group_statuses.json"));
    let receipts: Vec<(String, MessageStatus)> = all
        .iter()
        .filter_map(|e| match e {
            ProviderEvent::Receipt(r) => Some((r.participant.clone(), r.status)),
            _ => None,
        })
        .collect();
    assert_eq!(
        receipts,
        [("+447700900456".into(), MessageStatus::Delivered), ("+447700900456".into(), MessageStatus::Read), ("+447700900789".into(), MessageStatus::Delivered)]
    );
    assert_eq!(all.iter().filter(|e| matches!(e, ProviderEvent::Status(_))).count(), 3, "the message's own status still follows");
}
