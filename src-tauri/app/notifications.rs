//! Desktop notifications for inbound customer messages, shown with
//! notify-rust on the D-Bus session (org.freedesktop.Notifications).
//!
//! What to show is decided by the core (`wicket_core::notify::decide`:
//! muted, focused, own phone messages, grouping, do-not-disturb, quiet
//! hours); this module only feeds it what the shell knows (which
//! conversation is open in a focused window, the preferences) and shows the
//! result. Everything runs on a thread of its own, never on the main (GTK)
//! thread: D-Bus calls may block.
//!
//! Each notification carries the XDG action `default`; when the owner clicks
//! it, the window comes to the front and the UI is told to open that
//! conversation (`open-conversation`).

use serde::Serialize;
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::Duration;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use ts_rs::TS;
use wicket_core::prefs::Preferences;
use wicket_core::{notify, Store};

/// Event asking the UI to open a conversation (a notification was clicked).
pub const OPEN_CONVERSATION: &str = "open-conversation";

/// Payload of `open-conversation`. `conversation_id` is null for a summary of
/// many chats: the UI shows the unread ones.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct OpenConversationEvent {
    pub conversation_id: Option<i64>,
    /// Open the chat at this message (a reminder), else at its end.
    pub message_id: Option<i64>,
}

/// Messages that arrive this close together are decided (and grouped) as one
/// batch: a burst of webhooks makes one notification per chat, not one each.
const GATHER: Duration = Duration::from_millis(300);

/// The shell's side of notifications: what the owner is looking at, and the
/// queue of new customer messages to the notification thread.
#[derive(Default)]
pub struct Notifier {
    focused: Mutex<Option<i64>>,
    queue: Mutex<Option<mpsc::Sender<Vec<i64>>>>,
}

impl Notifier {
    /// A notifier whose queue goes nowhere until [`start`] runs (tests).
    pub fn new() -> Notifier {
        Notifier::default()
    }

    /// The UI says which conversation is open in a focused window (None: none,
    /// or the window lost focus).
    pub fn set_focused(&self, conversation: Option<i64>) {
        if let Ok(mut f) = self.focused.lock() {
            *f = conversation;
        }
    }

    pub fn focused(&self) -> Option<i64> {
        self.focused.lock().ok().and_then(|f| *f)
    }

    /// New customer messages (ids) just stored by the engine.
    pub fn inbound(&self, messages: Vec<i64>) {
        if messages.is_empty() {
            return;
        }
        if let Some(tx) = self.queue.lock().ok().and_then(|q| q.clone()) {
            let _ = tx.send(messages);
        }
    }
}

/// Starts the notification thread over the store at `db_path` (its own
/// connection: the commands' one stays free).
pub fn start<R: Runtime>(app: AppHandle<R>, db_path: std::path::PathBuf) {
    let (tx, rx) = mpsc::channel::<Vec<i64>>();
    if let Ok(mut q) = app.state::<Notifier>().queue.lock() {
        *q = Some(tx);
    }
    let spawned = std::thread::Builder::new().name("notifications".into()).spawn(move || {
        let store = match Store::open(&db_path) {
            Ok(s) => s,
            Err(e) => return tracing::error!("notifications are off: cannot open the store: {e}"),
        };
        while let Ok(mut batch) = rx.recv() {
            while let Ok(more) = rx.recv_timeout(GATHER) {
                batch.extend(more);
            }
            if let Err(e) = notify_batch(&app, &store, &batch) {
                tracing::warn!("cannot decide on notifications for {} message(s): {e}", batch.len());
            }
        }
    });
    if let Err(e) = spawned {
        tracing::error!("cannot start the notification thread: {e}");
    }
}

fn notify_batch<R: Runtime>(app: &AppHandle<R>, store: &Store, messages: &[i64]) -> wicket_core::Result<()> {
    let prefs = Preferences::load(store)?;
    let focused = app.state::<Notifier>().focused();
    // The lock is in the store: locked by this window or by `wicket lock`, no preview.
    let locked = wicket_core::applock::is_locked(store)?;
    let Some(attention) = prefs.attention(focused, local_minutes(), locked) else {
        return Ok(());
    };
    for n in notify::decide(store, messages, &attention)? {
        show(app, n);
    }
    Ok(())
}

/// The local time of day, in minutes after midnight (quiet hours are local).
fn local_minutes() -> u32 {
    use chrono::Timelike;
    let now = chrono::Local::now();
    now.hour() * 60 + now.minute()
}

/// Servers that understand body markup would read customer text as markup:
/// it is text, so its markup characters are escaped.
fn escape_markup(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn show<R: Runtime>(app: &AppHandle<R>, n: notify::Notification) {
    let mut note = notify_rust::Notification::new();
    note.appname("Wicket")
        .summary(&n.title)
        .body(&escape_markup(&n.body))
        .icon("app.wicket.inbox")
        .hint(notify_rust::Hint::Category("im.received".into()))
        .hint(notify_rust::Hint::DesktopEntry("app.wicket.inbox".into()))
        .action("default", "Open");
    let handle = match note.show() {
        Ok(h) => h,
        Err(e) => {
            // No notification server on this session: nothing else to do.
            return tracing::warn!("cannot show a notification: {e}");
        }
    };
    tracing::info!(id = handle.id(), conversation = ?n.conversation_id, "notification shown");
    let app = app.clone();
    // Waiting for the click blocks until the server closes the notification.
    let spawned = std::thread::Builder::new().name("notification-action".into()).spawn(move || {
        let conversation = n.conversation_id;
        handle.wait_for_action(|action| {
            if action == "default" {
                open_from_notification(&app, conversation);
            }
        });
    });
    if let Err(e) = spawned {
        tracing::warn!("cannot wait for the notification's click: {e}");
    }
}

/// A notification was clicked: the window to the front, the chat open.
pub fn open_from_notification<R: Runtime>(app: &AppHandle<R>, conversation_id: Option<i64>) {
    tracing::info!(?conversation_id, "notification clicked: opening the conversation");
    crate::window::bring_to_front(app);
    if let Err(e) = app.emit(OPEN_CONVERSATION, OpenConversationEvent { conversation_id, message_id: None }) {
        tracing::warn!("cannot emit {OPEN_CONVERSATION}: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_customer_text_stays_text() {
        assert_eq!(escape_markup("<b>hi</b> & <a href='x'>"), "&lt;b&gt;hi&lt;/b&gt; &amp; &lt;a href='x'&gt;");
    }

    #[test]
    fn focus_is_remembered_and_cleared() {
        let n = Notifier::new();
        assert_eq!(n.focused(), None);
        n.set_focused(Some(3));
        assert_eq!(n.focused(), Some(3));
        n.set_focused(None);
        assert_eq!(n.focused(), None);
    }
}
