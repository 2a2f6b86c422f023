//! Sending through UniPile: into a chat or by starting one, with the
//! attachment in the same request; locations and contact cards as text;
//! finding our message after a send whose outcome was unknown; marking a
//! chat read.

use super::client::{items, UnipileClient};
use super::mapping::{iso_ms, phone_from_digits, string, timestamp, truthy};
use super::media::read_upload;
use super::polling::{MAX_POLL_PAGES, POLL_OVERLAP_MS};
use crate::error::{Error, ErrorKind, Result};
use crate::model::MessageKind;
use crate::providers::http::{self, provider_error, upload::Upload};
use crate::providers::{MediaSource, OutgoingContent, OutgoingMessage, SendReceipt};
use serde_json::{json, Value};

/// The attendee id of a new chat: a JID as given, or `<digits>@s.whatsapp.net`.
fn attendee_id(to: &str) -> Result<String> {
    let t = to.trim();
    if t.contains('@') {
        return Ok(t.to_string());
    }
    match phone_from_digits(t) {
        Some(e164) => Ok(format!("{}@s.whatsapp.net", e164.trim_start_matches('+'))),
        None => {
            Err(Error::Invalid(format!("{to:?} is not a phone number UniPile can start a chat with: use the number with its country code, e.g. +447700900123")))
        }
    }
}

/// A location sent as text: its name, address and a map link.
fn location_text(latitude: f64, longitude: f64, name: Option<&str>, address: Option<&str>) -> Result<String> {
    if !(-90.0..=90.0).contains(&latitude) || !(-180.0..=180.0).contains(&longitude) {
        return Err(Error::Invalid(format!("invalid location {latitude}, {longitude}: latitude must be within ±90 and longitude within ±180")));
    }
    let mut lines: Vec<String> = vec![];
    for part in [name, address].into_iter().flatten().map(str::trim).filter(|s| !s.is_empty()) {
        lines.push(part.to_string());
    }
    lines.push(format!("https://maps.google.com/?q={latitude},{longitude}"));
    Ok(lines.join("\n"))
}

/// Contact cards (Meta's `contacts` shape) sent as text: name, phones, emails.
fn contacts_text(contacts: &Value) -> Result<String> {
    let list: Vec<&Value> = match contacts {
        Value::Array(items) => items.iter().collect(),
        o @ Value::Object(_) => vec![o],
        _ => vec![],
    };
    let mut cards = vec![];
    for c in list {
        let name = string(c.pointer("/name/formatted_name")).or_else(|| {
            let parts: Vec<String> = ["first_name", "last_name"].iter().filter_map(|k| string(c.get("name").and_then(|n| n.get(*k)))).collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        });
        let mut lines: Vec<String> = name.into_iter().collect();
        for p in c.get("phones").and_then(Value::as_array).into_iter().flatten() {
            if let Some(phone) = string(p.get("phone")).or_else(|| string(p.get("wa_id"))) {
                lines.push(format!("Tel: {phone}"));
            }
        }
        for e in c.get("emails").and_then(Value::as_array).into_iter().flatten() {
            if let Some(email) = string(e.get("email")) {
                lines.push(format!("Email: {email}"));
            }
        }
        if !lines.is_empty() {
            cards.push(lines.join("\n"));
        }
    }
    if cards.is_empty() {
        return Err(Error::Invalid("a contacts message needs at least one contact with a name or a phone number".into()));
    }
    Ok(cards.join("\n\n"))
}

impl UnipileClient {
    /// Sends a message: into `chat_id` when the conversation has one
    /// (`POST /chats/{id}/messages`), else starts a chat with `to`
    /// (`POST /chats`, attendee `<digits>@s.whatsapp.net` or the JID given).
    ///
    /// Media from a local path is attached; media from a link is downloaded
    /// first (without the API key, up to 100 MB) and attached. Locations and
    /// contact cards go out as text (a map link; name, phones and emails).
    /// Templates, interactive messages and reactions are refused: UniPile
    /// has no such sends for WhatsApp.
    pub async fn send(&self, msg: &OutgoingMessage) -> Result<SendReceipt> {
        let (text, upload) = self.content(msg).await?;
        // An attachment goes in the same request: give a slow link time for it.
        let timeout = http::transfer_timeout(self.http.total_timeout(), upload.as_ref().map_or(0, |u| u.bytes.len() as u64));
        let attach = |form: reqwest::multipart::Form, upload: Option<Upload>| -> Result<reqwest::multipart::Form> {
            let form = form.text("text", text.clone());
            match upload {
                Some(u) => Ok(form.part("attachments", u.into_part("the attachment")?)),
                None => Ok(form),
            }
        };
        let what = "sending the message";
        if let Some(chat_id) = msg.chat_id.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            let mut form = attach(reqwest::multipart::Form::new(), upload)?;
            if let Some(q) = msg.reply_to_provider_id.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
                form = form.text("quote_id", q.to_string());
            }
            let url = self.url(&["chats", chat_id, "messages"]);
            let answer = self.post_send(self.http.post(url).multipart(form).timeout(timeout), what).await?;
            let id = string(answer.get("message_id")).ok_or_else(|| http::outcome_unknown("UniPile accepted the send but returned no message id".into()))?;
            tracing::debug!(wicket_id = msg.wicket_id, provider_message_id = id, "UniPile accepted a message");
            return Ok(SendReceipt { provider_message_id: id, recipient_id: None, provider_send_id: None, chat_id: None });
        }
        if msg.to_group && !msg.to.contains('@') {
            return Err(Error::Invalid(format!(
                "{:?} is a group without a UniPile chat id: answer it in its conversation once a message from it arrived",
                msg.to
            )));
        }
        let attendee = attendee_id(&msg.to)?;
        let form = reqwest::multipart::Form::new().text("account_id", self.require_account()?.to_string()).text("attendees_ids", attendee);
        let form = attach(form, upload)?;
        let answer = self.post_send(self.http.post(self.url(&["chats"])).multipart(form).timeout(timeout), what).await?;
        let chat_id = string(answer.get("chat_id")).ok_or_else(|| http::outcome_unknown("UniPile started the chat but returned no chat id".into()))?;
        let id = match string(answer.get("message_id")) {
            Some(id) => id,
            None => self.newest_own_message(&chat_id).await.unwrap_or_else(|| format!("{chat_id}:wicket:{}", msg.wicket_id)),
        };
        tracing::debug!(wicket_id = msg.wicket_id, provider_message_id = id, chat_id, "UniPile started a chat");
        let recipient_id = phone_from_digits(&msg.to).map(|p| p.trim_start_matches('+').to_string());
        Ok(SendReceipt { provider_message_id: id, recipient_id, provider_send_id: None, chat_id: Some(chat_id) })
    }

    /// Finds our message for a send whose outcome was unknown: one the
    /// owner sent (`is_sender`) since `since` (Unix ms, less the poll
    /// overlap) with the send's text, in its chat (or, for a new chat, the
    /// chat with its recipient). Returns (message id, chat id).
    pub async fn find_sent(&self, msg: &OutgoingMessage, since: i64) -> Result<Option<(String, String)>> {
        let account_id = self.require_account()?.to_string();
        let Some(text) = sent_text(msg) else { return Ok(None) };
        let after = iso_ms(since - POLL_OVERLAP_MS);
        let listed = self.list_all(&["messages"], &[("account_id", &account_id), ("after", &after)], "looking for a sent message", MAX_POLL_PAGES).await?;
        let chat_id = msg.chat_id.as_deref().map(str::trim).filter(|c| !c.is_empty());
        let attendee = attendee_id(&msg.to).ok();
        let mut mine: Vec<&Value> = listed
            .iter()
            .filter(|m| truthy(m.get("is_sender")))
            .filter(|m| string(m.get("text")).unwrap_or_default().trim() == text.trim())
            .filter(|m| match chat_id {
                Some(c) => string(m.get("chat_id")).as_deref() == Some(c),
                None => attendee.is_some() && string(m.get("chat_provider_id")) == attendee,
            })
            .collect();
        mine.sort_by_key(|m| timestamp(m.get("timestamp")).unwrap_or(i64::MAX));
        Ok(mine.first().and_then(|m| Some((string(m.get("id"))?, string(m.get("chat_id"))?))))
    }

    /// Posts a send and returns its JSON answer. Only a failure to connect
    /// or a refusal says the message did not go out; a broken connection or
    /// an unreadable answer after the request was written is
    /// [`ErrorKind::OutcomeUnknown`] (it may have been sent).
    async fn post_send(&self, req: reqwest::RequestBuilder, what: &str) -> Result<Value> {
        self.http.send_once(req.header(reqwest::header::ACCEPT, "application/json"), what).await
    }

    /// The id of the newest message the owner sent in `chat_id`, for a
    /// `ChatStarted` answer without a message id.
    async fn newest_own_message(&self, chat_id: &str) -> Option<String> {
        let mut url = self.url(&["chats", chat_id, "messages"]);
        url.query_pairs_mut().append_pair("limit", "5");
        let page = self.get_json(url, "finding the sent message").await.ok()?;
        let mut mine: Vec<Value> = items(&page).into_iter().filter(|m| truthy(m.get("is_sender"))).collect();
        mine.sort_by_key(|m| timestamp(m.get("timestamp")).unwrap_or(0));
        mine.last().and_then(|m| string(m.get("id")))
    }

    /// The text and the attachment of a send.
    async fn content(&self, msg: &OutgoingMessage) -> Result<(String, Option<Upload>)> {
        Ok(match &msg.content {
            OutgoingContent::Text { body, .. } => {
                if body.trim().is_empty() {
                    return Err(Error::Invalid("the message is empty: type some text".into()));
                }
                (body.clone(), None)
            }
            OutgoingContent::Media { kind, source, caption, filename, mime } => {
                if !matches!(
                    kind,
                    MessageKind::Image | MessageKind::Video | MessageKind::Audio | MessageKind::Voice | MessageKind::Document | MessageKind::Sticker
                ) {
                    return Err(Error::Invalid(format!("a {kind} message cannot be sent as media")));
                }
                let upload = match source {
                    MediaSource::Path(path) => read_upload(path, filename.as_deref(), mime.as_deref()).await?,
                    MediaSource::Link(link) => self.download_link(link, filename.as_deref(), mime.as_deref()).await?,
                };
                (caption.clone().unwrap_or_default(), Some(upload))
            }
            OutgoingContent::Location { latitude, longitude, name, address } => {
                (location_text(*latitude, *longitude, name.as_deref(), address.as_deref())?, None)
            }
            OutgoingContent::Contacts { contacts } => (contacts_text(contacts)?, None),
            OutgoingContent::Reaction { .. } => return Err(Error::Invalid("UniPile can't send reactions to WhatsApp messages: react from the phone".into())),
            OutgoingContent::Interactive { .. } => {
                return Err(Error::Invalid("UniPile can't send interactive messages (buttons, lists): send text instead".into()))
            }
            OutgoingContent::Template { .. } => {
                return Err(Error::Invalid("UniPile can't send message templates: they belong to Meta's Cloud API; send text instead".into()))
            }
        })
    }

    /// Marks the chat of a message read: UniPile reads chats, not messages,
    /// so the message is looked up for its chat first.
    pub async fn mark_read(&self, provider_message_id: &str) -> Result<()> {
        let message = self.get_json(self.url(&["messages", provider_message_id]), "looking up the message to mark read").await?;
        let chat_id = string(message.get("chat_id"))
            .ok_or_else(|| provider_error(ErrorKind::Unknown, format!("UniPile's message {provider_message_id} has no chat id: can't mark it read")))?;
        let body = json!({"action": "setReadStatus", "value": true});
        self.execute(self.http.patch(self.url(&["chats", &chat_id])).json(&body), true, "marking the chat read").await?;
        Ok(())
    }
}

/// The text a send puts in the chat (a caption for media), as UniPile
/// lists it; `None` when it has none to match on.
fn sent_text(msg: &OutgoingMessage) -> Option<String> {
    let text = match &msg.content {
        OutgoingContent::Text { body, .. } => body.clone(),
        OutgoingContent::Media { caption, .. } => caption.clone()?,
        OutgoingContent::Location { latitude, longitude, name, address } => location_text(*latitude, *longitude, name.as_deref(), address.as_deref()).ok()?,
        OutgoingContent::Contacts { contacts } => contacts_text(contacts).ok()?,
        _ => return None,
    };
    Some(text).filter(|t| !t.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attendees_of_new_chats() {
        assert_eq!(attendee_id("+44 7700 900123").unwrap(), "447700900123@s.whatsapp.net");
        assert_eq!(attendee_id("447700900123").unwrap(), "447700900123@s.whatsapp.net");
        assert_eq!(attendee_id("123@lid").unwrap(), "123@lid");
        assert!(attendee_id("alice").is_err());
    }

    #[test]
    fn locations_and_cards_as_text() {
        let t = location_text(51.5, -0.12, Some("Camden store"), None).unwrap();
        assert_eq!(t, "Camden store\nhttps://maps.google.com/?q=51.5,-0.12");
        assert!(location_text(91.0, 0.0, None, None).is_err());
        let c = contacts_text(&json!([{"name": {"formatted_name": "Priya Raman"}, "phones": [{"phone": "+44 7700 900123"}]}])).unwrap();
        assert_eq!(c, "Priya Raman\nTel: +44 7700 900123");
        assert!(contacts_text(&json!([])).is_err());
    }
}
