//! The demo provider: a clearly marked account backed by a local simulated
//! customer base, so a new owner can try every screen before connecting a
//! real number. Sends are accepted locally; the simulated customers answer
//! like customers do, a little later, and the ticks move (sent → delivered
//! → read) — all through the same polling path as a real gateway.
//!
//! Nothing leaves the machine. Demo accounts are never exported.

mod script;

use crate::error::Result;
use crate::model::{AccountStatus, Direction, MessageKind, MessageStatus, Provider};
use crate::providers::{
    ConnectionInfo, InboundMessage, MediaBytes, OutgoingContent, OutgoingMessage, PollPage, ProviderEvent, SendReceipt, StatusReport, SyncedContact,
};
use crate::store::contacts::{ContactKey, ContactUpdate};
use crate::store::{Account, NewAccount, Store};
use crate::time::now_ms;
use std::sync::Mutex;

pub use script::{reply_to, SAMPLE_CONVERSATIONS};

/// Something the simulation will report once its time comes.
#[derive(Debug, Clone)]
struct Scheduled {
    due: i64,
    event: ProviderEvent,
}

/// The simulated provider of one demo account.
pub struct DemoClient {
    queue: Mutex<Vec<Scheduled>>,
    counter: std::sync::atomic::AtomicU64,
    /// How long simulated customers take to react, in ms.
    pace_ms: i64,
}

impl DemoClient {
    pub fn for_account(account: &Account) -> DemoClient {
        let pace_ms = account.config.get("pace_ms").and_then(|v| v.as_i64()).unwrap_or(1500).max(0);
        DemoClient { queue: Mutex::new(vec![]), counter: std::sync::atomic::AtomicU64::new(0), pace_ms }
    }

    fn schedule(&self, due: i64, event: ProviderEvent) {
        self.queue.lock().unwrap_or_else(|p| p.into_inner()).push(Scheduled { due, event });
    }

    pub async fn test_connection(&self) -> Result<ConnectionInfo> {
        Ok(ConnectionInfo {
            verified_name: Some("Wicket demo shop".into()),
            display_number: None,
            quality_rating: None,
            raw: serde_json::json!({ "demo": true }),
        })
    }

    /// Accepts the message, then schedules its ticks and a customer's answer.
    pub async fn send(&self, msg: &OutgoingMessage) -> Result<SendReceipt> {
        let n = self.counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let id = format!("demo.{}.{n}", now_ms());
        let now = now_ms();
        for (i, status) in [MessageStatus::Delivered, MessageStatus::Read].into_iter().enumerate() {
            self.schedule(
                now + self.pace_ms * (i as i64 + 1) / 2,
                ProviderEvent::Status(StatusReport {
                    provider_message_id: id.clone(),
                    wicket_id: Some(msg.wicket_id),
                    status,
                    timestamp: now + self.pace_ms * (i as i64 + 1) / 2,
                    error: None,
                    recipient: None,
                }),
            );
        }
        let said = match &msg.content {
            OutgoingContent::Text { body, .. } => body.clone(),
            OutgoingContent::Media { caption, .. } => caption.clone().unwrap_or_default(),
            _ => String::new(),
        };
        let answer = reply_to(&msg.to, &said);
        let at = now + self.pace_ms * 2;
        self.schedule(
            at,
            ProviderEvent::Message(InboundMessage {
                text: Some(answer),
                ..InboundMessage::new(
                    format!("{id}.reply"),
                    ContactKey::phone(msg.to.clone()),
                    Direction::In,
                    MessageKind::Text,
                    at,
                    serde_json::json!({ "demo": true }),
                )
            }),
        );
        Ok(SendReceipt { provider_message_id: id, recipient_id: None, provider_send_id: None, chat_id: None })
    }

    pub async fn mark_read(&self, _provider_message_id: &str) -> Result<()> {
        // The simulated customers do not care; nothing to tell anyone.
        Ok(())
    }

    pub async fn download_media(&self, media: &crate::store::media::MediaFile, _max: u64) -> Result<MediaBytes> {
        Err(crate::error::Error::Invalid(format!("the demo has no file for media {}", media.id)))
    }

    pub async fn contacts(&self) -> Result<Vec<SyncedContact>> {
        Ok(SAMPLE_CONVERSATIONS
            .iter()
            .map(|c| SyncedContact {
                key: ContactKey::phone(c.phone),
                update: ContactUpdate { saved_name: Some(c.name.to_string()), synced: true, ..Default::default() },
            })
            .collect())
    }

    pub async fn account_state(&self) -> Result<(AccountStatus, Option<String>)> {
        Ok((AccountStatus::Ok, None))
    }

    /// What the simulation has to report by now.
    pub async fn poll(&self, high_water: Option<i64>) -> Result<PollPage> {
        let now = now_ms();
        let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        let (due, later): (Vec<Scheduled>, Vec<Scheduled>) = queue.drain(..).partition(|s| s.due <= now);
        *queue = later;
        Ok(PollPage { events: due.into_iter().map(|s| s.event).collect(), high_water: Some(high_water.unwrap_or(0).max(now)) })
    }
}

/// Creates the demo account with its sample conversations.
pub fn create_demo_account(store: &mut Store) -> Result<Account> {
    let account = store.add_account(&NewAccount {
        provider: Provider::Demo,
        name: "Demo shop (sample data)".into(),
        phone: Some("+15550100000".into()),
        config: serde_json::json!({ "demo": true }),
    })?;
    store.set_account_status(account.id, AccountStatus::Ok, Some("demo account: simulated customers, nothing is sent"))?;
    let events = script::seed_events(now_ms());
    store.write(|tx| crate::ingest::apply(tx, account.id, &events))?;
    store.account(account.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_send_gets_ticks_and_an_answer_later() {
        let account = Account {
            id: 1,
            provider: Provider::Demo,
            name: "d".into(),
            phone: None,
            status: AccountStatus::Ok,
            status_reason: None,
            status_since: None,
            enabled: true,
            config: serde_json::json!({ "pace_ms": 0 }),
            created_at: 0,
            updated_at: 0,
            last_sync_at: None,
            last_sync_result: None,
        };
        let client = DemoClient::for_account(&account);
        let msg = OutgoingMessage {
            to: "+4915112345678".into(),
            content: OutgoingContent::Text { body: "Hallo, wann öffnen Sie?".into(), preview_url: false },
            reply_to_provider_id: None,
            wicket_id: 7,
            chat_id: None,
            to_group: false,
        };
        let receipt = client.send(&msg).await.unwrap();
        let page = client.poll(None).await.unwrap();
        assert_eq!(page.events.len(), 3, "delivered, read and an answer");
        assert!(page
            .events
            .iter()
            .any(|e| matches!(e, ProviderEvent::Status(s) if s.status == MessageStatus::Read && s.provider_message_id == receipt.provider_message_id)));
        let answer = page
            .events
            .iter()
            .find_map(|e| match e {
                ProviderEvent::Message(m) => m.text.clone(),
                _ => None,
            })
            .unwrap();
        assert!(!answer.is_empty());
        assert!(client.poll(None).await.unwrap().events.is_empty(), "each event is reported once");
    }
}
