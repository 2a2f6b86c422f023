//! Sending through WASender and following our sends: the send body for
//! every message kind WASender has, the send itself (the shared client's
//! send rule), correlating WASender's integer `msgId` with WhatsApp's id,
//! polling a send's status, and read receipts.
//!
//! Send correlation: WASender answers a send with its own integer `msgId`,
//! while webhooks name the WhatsApp id (`key.id`). The send asks
//! `GET /messages/{msgId}/info` for the key id (twice, a second apart) and
//! returns it as `provider_message_id`. When WASender does not know it yet
//! (a queued send, account protection) the receipt carries the placeholder
//! `wasender-msg-{msgId}` (see [`placeholder_id`]) and `provider_send_id =
//! msgId`; [`WasenderClient::message_status`] later returns the real key id
//! in its [`StatusReport`], so the engine can adopt it for the message whose
//! `provider_send_id` it polled. The send is never failed for a missing key
//! id: the message went out, and a retry would send it twice.

use super::client::WasenderClient;
use super::errors::Credential;
use super::mapping::{integer, parse_address, phone_digits, string};
use super::PLACEHOLDER_PREFIX;
use crate::error::{Error, ErrorKind, ProviderError, Result};
use crate::model::{MessageKind, MessageStatus};
use crate::providers::http;
use crate::providers::{MediaSource, OutgoingContent, OutgoingMessage, SendReceipt, StatusReport};
use crate::time::now_ms;
use serde_json::{json, Map, Value};
use std::time::Duration;

/// How long one message-info lookup right after a send may take.
const CORRELATE_TIMEOUT: Duration = Duration::from_secs(10);
/// The pause before the second message-info lookup after a send.
const CORRELATE_RETRY_AFTER: Duration = Duration::from_secs(1);

/// The provider message id a send gets while WhatsApp's own id is unknown.
pub fn placeholder_id(msg_id: &str) -> String {
    format!("{PLACEHOLDER_PREFIX}{msg_id}")
}

/// Whether `provider_message_id` is a [`placeholder_id`], to be replaced by
/// the key id that [`WasenderClient::message_status`] reports.
pub fn is_placeholder_id(provider_message_id: &str) -> bool {
    provider_message_id.starts_with(PLACEHOLDER_PREFIX)
}

/// A WASender message status (numeric or string) as Wicket's. `None` for
/// one Wicket does not track. 1 / PENDING is [`MessageStatus::Sending`].
pub fn message_status_of(v: &Value) -> Option<MessageStatus> {
    if let Some(n) = integer(Some(v)) {
        return match n {
            0 => Some(MessageStatus::Failed),
            1 => Some(MessageStatus::Sending),
            2 => Some(MessageStatus::Sent),
            3 => Some(MessageStatus::Delivered),
            4 => Some(MessageStatus::Read),
            5 => Some(MessageStatus::Played),
            _ => None,
        };
    }
    match v.as_str()?.trim().to_ascii_lowercase().as_str() {
        "error" | "failed" => Some(MessageStatus::Failed),
        "pending" | "in_progress" | "queued" | "sending" => Some(MessageStatus::Sending),
        "server_ack" | "sent" => Some(MessageStatus::Sent),
        "delivery_ack" | "delivered" => Some(MessageStatus::Delivered),
        "read" => Some(MessageStatus::Read),
        "played" => Some(MessageStatus::Played),
        _ => None,
    }
}

/// The error of a message WhatsApp reported as failed (status 0 / ERROR).
pub fn failed_error() -> ProviderError {
    ProviderError {
        code: Some("0".into()),
        kind: ErrorKind::Unknown,
        message: "WhatsApp reported the message as failed (WASender status ERROR): check the number and send it again".into(),
        retry_after: None,
    }
}

/// `to` as WASender wants it: E.164 with `+` for a number, the JID as
/// given for a group or any `…@…` id (LIDs, channels).
fn recipient(msg: &OutgoingMessage) -> Result<String> {
    let to = msg.to.trim();
    let to = if to.is_empty() { msg.chat_id.as_deref().map(str::trim).unwrap_or("") } else { to };
    if to.is_empty() {
        return Err(Error::Invalid("the message has no recipient".into()));
    }
    if msg.to_group || to.contains('@') {
        return Ok(to.to_string());
    }
    match phone_digits(to) {
        Some(d) => Ok(format!("+{d}")),
        None => Err(Error::Invalid(format!("{to:?} is not a phone number WASender can send to: use the number with its country code, e.g. +447700900123"))),
    }
}

/// The `{name, phone}` of the first contact of a Meta-shaped contacts value.
fn contact_card(contacts: &Value) -> Result<Value> {
    let first = match contacts {
        Value::Array(items) => items.first(),
        Value::Object(_) => Some(contacts),
        _ => None,
    }
    .ok_or_else(|| Error::Invalid("a contacts message needs at least one contact object".into()))?;
    if contacts.as_array().is_some_and(|a| a.len() > 1) {
        tracing::debug!("WASender sends one contact card per message: only the first contact is sent");
    }
    let name_obj = first.get("name");
    let name = string(name_obj.and_then(|n| n.get("formatted_name")))
        .or_else(|| {
            let part = |k: &str| string(name_obj.and_then(|n| n.get(k)));
            let joined = [part("first_name"), part("middle_name"), part("last_name")].into_iter().flatten().collect::<Vec<_>>().join(" ");
            Some(joined).filter(|j| !j.is_empty())
        })
        .or_else(|| string(name_obj));
    let phone_obj = first.get("phones").and_then(Value::as_array).and_then(|p| p.first());
    let phone = string(phone_obj.and_then(|p| p.get("phone")))
        .or_else(|| string(phone_obj.and_then(|p| p.get("wa_id"))).map(|w| format!("+{}", w.trim_start_matches('+'))))
        .or_else(|| string(first.get("phone")));
    match (name, phone) {
        (Some(name), Some(phone)) => Ok(json!({"name": name, "phone": phone})),
        (None, _) => Err(Error::Invalid("the contact card has no name (`name.formatted_name`)".into())),
        (_, None) => Err(Error::Invalid("the contact card has no phone number (`phones[0].phone`)".into())),
    }
}

/// The URL field of a send body for a media kind.
fn media_field(kind: MessageKind) -> Result<&'static str> {
    Ok(match kind {
        MessageKind::Image => "imageUrl",
        MessageKind::Video => "videoUrl",
        MessageKind::Document => "documentUrl",
        MessageKind::Audio | MessageKind::Voice => "audioUrl",
        MessageKind::Sticker => "stickerUrl",
        other => return Err(Error::Invalid(format!("a {other} message cannot be sent as media"))),
    })
}

impl WasenderClient {
    /// Sends a message (`POST /send-message`), then looks up WhatsApp's id
    /// for it (see the module docs).
    pub async fn send(&self, msg: &OutgoingMessage) -> Result<SendReceipt> {
        let mut receipt = self.send_unconfirmed(msg).await?;
        if let Some(key_id) = self.confirm(&receipt).await {
            receipt.provider_message_id = key_id;
        }
        Ok(receipt)
    }

    /// Sends a message without looking up WhatsApp's id: the receipt carries
    /// the placeholder id and the msgId, so the outbox can record the
    /// accepted send before anything else, then [`WasenderClient::confirm`]
    /// it. A broken connection or an unreadable answer after the request
    /// went out is [`ErrorKind::OutcomeUnknown`]: it may have been sent.
    pub async fn send_unconfirmed(&self, msg: &OutgoingMessage) -> Result<SendReceipt> {
        let body = self.message_body(msg).await?;
        let what = "sending the message";
        let answer = self.api.send_once(self.api.post(self.url("send-message")).json(&body), what).await?;
        let data = answer.get("data").filter(|d| d.is_object()).unwrap_or(&answer);
        let msg_id = integer(data.get("msgId"))
            .or_else(|| integer(data.get("id")))
            .map(|n| n.to_string())
            .ok_or_else(|| http::outcome_unknown("WASender accepted the send but returned no msgId (check the session's message log in WASender)".into()))?;
        let recipient_id = string(data.get("jid")).and_then(|j| parse_address(&j)).and_then(|a| a.digits().map(str::to_string));
        tracing::debug!(wicket_id = msg.wicket_id, msg_id, "WASender accepted a message");
        Ok(SendReceipt { provider_message_id: placeholder_id(&msg_id), recipient_id, provider_send_id: Some(msg_id), chat_id: None })
    }

    /// WhatsApp's id for a send [`WasenderClient::send_unconfirmed`]
    /// returned, when WASender gives it already (`None`: it keeps the
    /// placeholder, and status polling adopts the real id later).
    pub async fn confirm(&self, receipt: &SendReceipt) -> Option<String> {
        let msg_id = receipt.provider_send_id.as_deref()?;
        let found = self.correlate(msg_id).await;
        if found.is_none() {
            tracing::debug!(msg_id, "WASender did not give the WhatsApp id yet: the message keeps a placeholder id");
        }
        found
    }

    /// WhatsApp's `key.id` for a send, asked twice a second apart.
    async fn correlate(&self, msg_id: &str) -> Option<String> {
        for attempt in 0..2 {
            if attempt > 0 {
                tokio::time::sleep(CORRELATE_RETRY_AFTER).await;
            }
            match self.message_info(msg_id, Some(CORRELATE_TIMEOUT.min(self.api.total_timeout()))).await {
                Ok(Some(info)) => {
                    if let Some(id) = key_id(&info) {
                        return Some(id);
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    let stop = e.provider_error().is_some_and(|pe| pe.kind == ErrorKind::Auth);
                    tracing::debug!("WASender message info for {msg_id} failed: {e}");
                    if stop {
                        return None;
                    }
                }
            }
        }
        None
    }

    /// `GET /messages/{msgId}/info` → its `data` (`None` when WASender
    /// does not know the msgId: 404).
    async fn message_info(&self, msg_id: &str, timeout: Option<Duration>) -> Result<Option<Value>> {
        let mut req = self.api.get(self.url(&format!("messages/{msg_id}/info")));
        if let Some(t) = timeout {
            req = req.timeout(t);
        }
        match self.call(req, "reading the message info", Credential::ApiKey).await {
            Ok(answer) => Ok(Some(answer.get("data").cloned().unwrap_or(answer))),
            Err(Error::Provider(pe)) if pe.code.as_deref() == Some("404") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The JSON body of a send (uploading local media first).
    async fn message_body(&self, msg: &OutgoingMessage) -> Result<Value> {
        let to = recipient(msg)?;
        let mut body = Map::new();
        body.insert("to".into(), Value::String(to));
        match &msg.content {
            OutgoingContent::Text { body: text, .. } => {
                if text.trim().is_empty() {
                    return Err(Error::Invalid("the message text is empty".into()));
                }
                body.insert("text".into(), Value::String(text.clone()));
            }
            OutgoingContent::Media { kind, source, caption, filename, mime } => {
                let field = media_field(*kind)?;
                let mut filename = filename.clone().filter(|f| !f.trim().is_empty());
                let url = match source {
                    MediaSource::Link(link) => link.clone(),
                    MediaSource::Path(path) => {
                        if filename.is_none() {
                            filename = path.file_name().map(|n| n.to_string_lossy().into_owned());
                        }
                        self.upload(path, mime.as_deref()).await?
                    }
                };
                if let Some(c) = caption.as_deref().filter(|c| !c.is_empty()) {
                    if matches!(field, "imageUrl" | "videoUrl" | "documentUrl") {
                        body.insert("text".into(), Value::String(c.to_string()));
                    } else {
                        tracing::debug!(field, "caption dropped: WASender shows none on this media type");
                    }
                }
                body.insert(field.into(), Value::String(url));
                if field == "documentUrl" {
                    if let Some(f) = filename {
                        body.insert("fileName".into(), Value::String(f));
                    }
                }
            }
            OutgoingContent::Location { latitude, longitude, name, address } => {
                if !(-90.0..=90.0).contains(latitude) || !(-180.0..=180.0).contains(longitude) {
                    return Err(Error::Invalid(format!("invalid location {latitude}, {longitude}: latitude must be within ±90 and longitude within ±180")));
                }
                let mut loc = Map::new();
                loc.insert("latitude".into(), json!(latitude));
                loc.insert("longitude".into(), json!(longitude));
                if let Some(n) = name.as_deref().filter(|n| !n.is_empty()) {
                    loc.insert("name".into(), Value::String(n.to_string()));
                }
                if let Some(a) = address.as_deref().filter(|a| !a.is_empty()) {
                    loc.insert("address".into(), Value::String(a.to_string()));
                }
                body.insert("messageType".into(), json!("location"));
                body.insert("location".into(), Value::Object(loc));
            }
            OutgoingContent::Contacts { contacts } => {
                body.insert("contact".into(), contact_card(contacts)?);
            }
            OutgoingContent::Reaction { .. } => return Err(Error::Invalid("WASender does not support sending reactions".into())),
            OutgoingContent::Interactive { .. } => return Err(Error::Invalid("WASender does not support interactive messages (buttons and lists)".into())),
            OutgoingContent::Template { .. } => return Err(Error::Invalid("WASender does not support message templates".into())),
        }
        // WASender's `replyTo` is its own integer msgId of an earlier send;
        // a WhatsApp id (what Wicket has for inbound messages) can't be used.
        if let Some(reply) = msg.reply_to_provider_id.as_deref() {
            match reply.trim().parse::<u64>() {
                Ok(n) if n > 0 => {
                    body.insert("replyTo".into(), json!(n));
                }
                _ => tracing::debug!("reply context dropped: WASender quotes only by its own msgId"),
            }
        }
        Ok(Value::Object(body))
    }

    /// Not possible with an id alone: WASender's `POST /messages/read`
    /// needs the chat's JID with the message id. Always an
    /// [`Error::Invalid`] that says so (never a faked success); use
    /// [`WasenderClient::mark_read_in_chat`].
    pub async fn mark_read(&self, provider_message_id: &str) -> Result<()> {
        Err(Error::Invalid(format!(
            "WASender needs the chat's JID to mark message {provider_message_id} read, and only its id was given: read receipts are not sent for this account"
        )))
    }

    /// Marks an inbound message read (`POST /messages/read`): `remote_jid` is
    /// the chat (the contact's `jid`), `participant` the sender in a group.
    pub async fn mark_read_in_chat(&self, provider_message_id: &str, remote_jid: &str, participant: Option<&str>) -> Result<()> {
        if provider_message_id.trim().is_empty() || remote_jid.trim().is_empty() {
            return Err(Error::Invalid("marking a WASender message read needs its id and its chat's JID".into()));
        }
        let remote_jid = if remote_jid.contains('@') {
            remote_jid.trim().to_string()
        } else {
            match phone_digits(remote_jid) {
                Some(d) => format!("{d}@s.whatsapp.net"),
                None => return Err(Error::Invalid(format!("{remote_jid:?} is not a WhatsApp JID or phone number"))),
            }
        };
        let mut key = json!({"id": provider_message_id.trim(), "remoteJid": remote_jid, "fromMe": false});
        if let Some(p) = participant.map(str::trim).filter(|p| !p.is_empty()) {
            key["participant"] = Value::String(p.to_string());
        }
        let body = json!({ "key": key });
        self.call(self.api.post(self.url("messages/read")).json(&body), "marking the message read", Credential::ApiKey).await?;
        Ok(())
    }

    /// The status of one of our sends by its WASender msgId
    /// (`GET /messages/{msgId}/info`), with WhatsApp's id for it as
    /// `provider_message_id`. `None` when WASender does not know the msgId
    /// or has no WhatsApp id or known status for it yet. PENDING (1) is
    /// reported as [`MessageStatus::Sending`] so the key id still arrives.
    pub async fn message_status(&self, provider_send_id: &str) -> Result<Option<StatusReport>> {
        let msg_id = provider_send_id.trim();
        if msg_id.is_empty() || !msg_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::Invalid(format!("{provider_send_id:?} is not a WASender msgId (a positive integer)")));
        }
        let Some(info) = self.message_info(msg_id, None).await? else {
            return Ok(None);
        };
        let Some(id) = key_id(&info) else {
            return Ok(None);
        };
        let Some(status) = info.get("status").and_then(message_status_of) else {
            return Ok(None);
        };
        let remote = string(info.pointer("/key/remoteJid")).or_else(|| string(info.get("remoteJid")));
        Ok(Some(StatusReport {
            provider_message_id: id,
            wicket_id: None,
            status,
            timestamp: now_ms(),
            error: (status == MessageStatus::Failed).then(failed_error),
            recipient: remote.and_then(|r| parse_address(&r)).map(|a| a.key()),
        }))
    }
}

/// WhatsApp's id in a message-info answer (`key.id`, else `id` when it is
/// not WASender's integer).
fn key_id(info: &Value) -> Option<String> {
    string(info.pointer("/key/id")).or_else(|| match info.get("id") {
        Some(Value::String(s)) if !s.trim().is_empty() && !s.trim().bytes().all(|b| b.is_ascii_digit()) => Some(s.trim().to_string()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(to: &str, to_group: bool) -> OutgoingMessage {
        OutgoingMessage {
            to: to.into(),
            content: OutgoingContent::Text { body: "hi".into(), preview_url: false },
            reply_to_provider_id: None,
            wicket_id: 1,
            chat_id: None,
            to_group,
        }
    }

    #[test]
    fn recipients_are_e164_or_jids_as_given() {
        assert_eq!(recipient(&msg("447700900123", false)).unwrap(), "+447700900123");
        assert_eq!(recipient(&msg("+44 7700 900123", false)).unwrap(), "+447700900123");
        assert_eq!(recipient(&msg("120363041234567890@g.us", true)).unwrap(), "120363041234567890@g.us");
        assert_eq!(recipient(&msg("118237465019283@lid", false)).unwrap(), "118237465019283@lid");
        assert!(recipient(&msg("alice", false)).is_err());
    }

    #[test]
    fn contact_cards_take_the_first_meta_contact() {
        let v = json!([{"name": {"formatted_name": "Max Mustermann", "first_name": "Max"}, "phones": [{"phone": "+49 151 98765432", "type": "CELL"}]},
                       {"name": {"formatted_name": "Other"}, "phones": [{"phone": "+1"}]}]);
        assert_eq!(contact_card(&v).unwrap(), json!({"name": "Max Mustermann", "phone": "+49 151 98765432"}));
        let parts = json!({"name": {"first_name": "Max", "last_name": "M"}, "phones": [{"wa_id": "4915198765432"}]});
        assert_eq!(contact_card(&parts).unwrap(), json!({"name": "Max M", "phone": "+4915198765432"}));
        assert!(contact_card(&json!([])).is_err());
        assert!(contact_card(&json!([{"name": {"formatted_name": "No phone"}}])).is_err());
    }

    #[test]
    fn message_statuses_numeric_and_string() {
        assert_eq!(message_status_of(&json!(3)), Some(MessageStatus::Delivered));
        assert_eq!(message_status_of(&json!("4")), Some(MessageStatus::Read));
        assert_eq!(message_status_of(&json!("DELIVERY_ACK")), Some(MessageStatus::Delivered));
        assert_eq!(message_status_of(&json!("played")), Some(MessageStatus::Played));
        assert_eq!(message_status_of(&json!(0)), Some(MessageStatus::Failed));
        assert_eq!(message_status_of(&json!(9)), None);
    }

    #[test]
    fn placeholders_are_recognisable() {
        assert_eq!(placeholder_id("100482"), "wasender-msg-100482");
        assert!(is_placeholder_id("wasender-msg-100482"));
        assert!(!is_placeholder_id("3EB0C0FFEE1234567890"));
    }
}
