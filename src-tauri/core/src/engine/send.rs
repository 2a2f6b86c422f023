//! An account's senders: two lanes over the account's outbox. Messages that
//! upload a local file first go through the upload lane; everything else
//! through the quick lane, so a video that takes minutes to upload never holds
//! up a text. Within one conversation the order holds: the quick lane leaves a
//! message alone while an earlier upload of its conversation is queued or in
//! flight.
//!
//! A lane finishes the send it started before it stops (the outbox's claim
//! keeps any other sender off that message meanwhile).

use super::client::NoClient;
use super::worker::Ctx;
use super::EngineEvent;
use crate::error::{ErrorKind, ProviderError, Result};
use crate::model::MessageStatus;
use crate::outbox::{self, Attempt};
use crate::providers::{MediaSource, OutgoingContent, OutgoingMessage, TemplateParam};
use crate::ratelimit::Hold;
use crate::store::Store;
use crate::time::now_ms;
use serde::Deserialize;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// Due messages a lane looks through per pass: more than it sends, so a
/// backlog of the other lane's messages at the front never hides its own.
const SCAN: usize = 200;
/// Send attempts per pass of a lane.
const BATCH: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lane {
    /// Messages without a local file to upload.
    Quick,
    /// Messages that upload a local file first.
    Upload,
}

/// Conversations whose upload is being sent right now, shared by an
/// account's two lanes (and kept across a rebuild of its workers).
pub(super) type Uploading = Arc<Mutex<HashSet<i64>>>;

/// Whether sending a message with this `send_request` uploads a local file
/// first (media from a path, or a template whose header is a local file).
pub(super) fn needs_upload(send_request: Option<&serde_json::Value>) -> bool {
    let Some(request) = send_request.and_then(|v| OutgoingMessage::deserialize(v).ok()) else { return false };
    match &request.content {
        OutgoingContent::Media { source: MediaSource::Path(_), .. } => true,
        OutgoingContent::Template { header_params, .. } => header_params.iter().any(|p| matches!(p, TemplateParam::Media { source: MediaSource::Path(_), .. })),
        _ => false,
    }
}

/// Marks a conversation as uploading until dropped (also when the send is
/// cut off at shutdown).
struct UploadMark {
    set: Uploading,
    conversation_id: i64,
}

impl UploadMark {
    fn new(set: &Uploading, conversation_id: i64) -> UploadMark {
        set.lock().unwrap_or_else(|p| p.into_inner()).insert(conversation_id);
        UploadMark { set: set.clone(), conversation_id }
    }
}

impl Drop for UploadMark {
    fn drop(&mut self) {
        self.set.lock().unwrap_or_else(|p| p.into_inner()).remove(&self.conversation_id);
    }
}

/// One pass of a lane: sends what is due, one message at a time, until the
/// batch is done or the lane is asked to stop. A message the account's rate
/// limits hold back stays pending (unclaimed): one waiting for its recipient's
/// gap holds only its conversation, the hourly limit or a throttling provider
/// ends the pass. True when the batch filled up (more may be due at once).
pub(super) async fn send_due(ctx: &Ctx, store: &mut Store, lane: Lane, uploading: &Uploading, stop: &tokio::sync::watch::Receiver<bool>) -> Result<bool> {
    let account_id = ctx.account.id;
    if lane == Lane::Quick {
        // Scheduled messages whose time came join the outbox first, and go in this pass.
        // Its failure never holds up what is already queued.
        match crate::scheduled::release_due(store, account_id, now_ms()) {
            Ok(list) => {
                for released in list {
                    tracing::info!(account = account_id, scheduled = released.scheduled_id, message = ?released.message_id, state = ?released.state, "scheduled message released");
                    let _ = ctx.events.send(EngineEvent::ScheduledReleased { account_id, released });
                }
            }
            Err(e) => tracing::warn!(account = account_id, "scheduled messages were not released (tried again shortly): {e}"),
        }
        // Away and greeting messages for what customers wrote since the last pass (`crate::away`).
        match crate::away::release_due(store, account_id, now_ms()) {
            Ok(list) => {
                for q in list {
                    tracing::info!(account = account_id, conversation = q.conversation_id, message = q.message_id, kind = ?q.kind, "automatic reply queued");
                }
            }
            Err(e) => tracing::warn!(account = account_id, "automatic replies were not looked at (tried again shortly): {e}"),
        }
        // Bulk jobs top the outbox up to a few of their messages at a time, so the owner's replies never wait behind a whole job.
        if let Err(e) = crate::bulk::release_due(store, account_id, now_ms()) {
            tracing::warn!(account = account_id, "bulk messages were not released (tried again shortly): {e}");
        }
    }
    // Conversations with an earlier upload still queued: their later messages wait.
    let mut held: HashSet<i64> = HashSet::new();
    let mut attempts = 0;
    for id in store.outbox_due_ids(account_id, now_ms(), SCAN)? {
        if *stop.borrow() || attempts >= BATCH {
            break;
        }
        let m = store.message(id)?;
        let upload = needs_upload(m.send_request.as_ref());
        match lane {
            Lane::Quick if upload => {
                held.insert(m.conversation_id);
                continue;
            }
            Lane::Quick if held.contains(&m.conversation_id) || uploading.lock().unwrap_or_else(|p| p.into_inner()).contains(&m.conversation_id) => continue,
            Lane::Upload if !upload => continue,
            _ => {}
        }
        let client = match ctx.client.get().await {
            Ok(client) => {
                super::secrets_wait::answered(ctx, store)?;
                client
            }
            // A locked keychain: the message stays pending and is tried again;
            // the account says why it waits.
            Err(NoClient::Unavailable(why)) => {
                tracing::debug!(account = account_id, message = id, "send waits for the secret store: {why}");
                super::secrets_wait::waiting(ctx, store, &why)?;
                return Ok(false);
            }
            Err(NoClient::Unusable(why)) => {
                let pe = ProviderError { code: None, kind: ErrorKind::Auth, message: why, retry_after: None };
                store.set_message_status(id, MessageStatus::Failed, Some(&pe))?;
                let _ = ctx.events.send(EngineEvent::MessageSettled { message_id: id, status: MessageStatus::Failed });
                continue;
            }
        };
        attempts += 1;
        let _mark = (lane == Lane::Upload).then(|| UploadMark::new(uploading, m.conversation_id));
        let status = match outbox::attempt(store, &client, id).await? {
            Attempt::Waiting(wait) => {
                attempts -= 1;
                count_wait(ctx, store, id);
                match wait.hold {
                    // Later messages of the conversation keep their order behind it.
                    Hold::Recipient => {
                        held.insert(m.conversation_id);
                        continue;
                    }
                    Hold::Account => return Ok(false),
                }
            }
            // A throttling provider pauses the account and gives up after its own count of
            // throttles in a row (`ratelimit`): a message that waited long in a queued burst
            // is not failed for its age.
            Attempt::Retry(pe, _) if pe.kind != ErrorKind::RateLimited && now_ms() - m.created_at > outbox::RETRY_BUDGET.as_millis() as i64 => {
                let pe = ProviderError { message: format!("{} (gave up after {} s)", pe.message, outbox::RETRY_BUDGET.as_secs()), ..pe };
                store.set_message_status(id, MessageStatus::Failed, Some(&pe))?;
                Some(MessageStatus::Failed)
            }
            Attempt::Retry(..) | Attempt::Claimed(_) => None,
            Attempt::Sent(m) | Attempt::Failed(m, _) | Attempt::Unknown(m, _) => Some(m.status),
        };
        if let Some(status) = status {
            let _ = ctx.events.send(EngineEvent::MessageSettled { message_id: id, status });
        }
    }
    Ok(attempts >= BATCH)
}

/// Counts a message held back by the account's own limits, once per message
/// (a lane looks at a waiting message many times), for `wicket stats`.
fn count_wait(ctx: &Ctx, store: &mut Store, message_id: i64) {
    let first = ctx.counted_waits.lock().map(|mut seen| {
        if seen.len() > 10_000 {
            seen.clear();
        }
        seen.insert(message_id)
    });
    if first.unwrap_or(false) {
        let counted = store.write(|tx| crate::store::hourly::bump(tx, crate::store::hourly::RATELIMIT_WAITS, Some(ctx.account.id), 1, now_ms()));
        if let Err(e) = counted {
            tracing::debug!(account = ctx.account.id, "a rate-limit wait was not counted: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::MessageKind;

    fn request(content: OutgoingContent) -> serde_json::Value {
        let request = OutgoingMessage { to: "+447911123456".into(), content, reply_to_provider_id: None, wicket_id: 0, chat_id: None, to_group: false };
        serde_json::to_value(request).unwrap()
    }

    #[test]
    fn only_a_local_file_goes_through_the_upload_lane() {
        let media = |source| OutgoingContent::Media { kind: MessageKind::Video, source, caption: None, filename: None, mime: None };
        assert!(needs_upload(Some(&request(media(MediaSource::Path("/tmp/v.mp4".into()))))));
        assert!(!needs_upload(Some(&request(media(MediaSource::Link("https://example.com/v.mp4".into()))))), "a link is fetched by the provider");
        assert!(!needs_upload(Some(&request(OutgoingContent::Text { body: "hi".into(), preview_url: false }))));
        let template = |source| OutgoingContent::Template {
            name: "order".into(),
            language: "en".into(),
            header_params: vec![TemplateParam::Media { format: "image".into(), source, filename: None }],
            body_params: vec![],
            button_params: vec![],
        };
        assert!(needs_upload(Some(&request(template(MediaSource::Path("/tmp/h.jpg".into()))))), "a template header from a file is uploaded");
        assert!(!needs_upload(Some(&request(template(MediaSource::Link("https://example.com/h.jpg".into()))))));
        assert!(!needs_upload(None), "no request: nothing to upload");
        assert!(!needs_upload(Some(&serde_json::json!({"not": "a request"}))));
    }
}
