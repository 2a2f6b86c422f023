//! The inbox model shared by the store, the providers and the front ends:
//! accounts, contacts, conversations, messages and their small enums.
//! Everything here is plain data; rules live in `store` and `providers`.

use serde::{Deserialize, Serialize};

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $(#[serde(rename = $s)] $variant),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str { match self { $($name::$variant => $s),+ } }
            pub fn parse(s: &str) -> Option<$name> { match s { $($s => Some($name::$variant),)+ _ => None } }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

string_enum!(
    /// Which provider an account talks to.
    Provider { Meta => "meta", Wasender => "wasender", Unipile => "unipile", Demo => "demo" }
);

string_enum!(
    /// An account's connection state, shown with its reason.
    AccountStatus {
        Ok => "ok",
        Unverified => "unverified",
        NeedsToken => "needs_token",
        Retrying => "retrying",
        Disconnected => "disconnected",
        Disabled => "disabled",
    }
);

string_enum!(Direction { In => "in", Out => "out" });

string_enum!(
    /// Who wrote an outgoing message: the owner in Wicket, the owner on their
    /// phone (reported back by a gateway), or an automation.
    Origin { App => "app", Phone => "phone", Automatic => "automatic" }
);

string_enum!(
    MessageKind {
        Text => "text",
        Image => "image",
        Audio => "audio",
        Voice => "voice",
        Video => "video",
        Document => "document",
        Sticker => "sticker",
        Location => "location",
        Contacts => "contacts",
        Template => "template",
        Interactive => "interactive",
        Reaction => "reaction",
        Unsupported => "unsupported",
        // A catalog cart the customer sent (Meta `order`): structured in
        // the message's `order`, summarised in its text.
        Order => "order",
        // Not a message anyone wrote: a system line (a customer changed
        // number, a group's subject changed). Never unread, never notified.
        Notice => "notice",
    }
);

string_enum!(
    /// Delivery state. Outgoing: pending → sending → sent → delivered → read →
    /// played, or failed. A send whose outcome cannot be known (the process
    /// died, or the connection broke, after the request went out) is
    /// `unknown`: "may have been sent", never resent without the owner.
    /// Incoming messages are `received`.
    MessageStatus {
        Pending => "pending",
        Sending => "sending",
        Sent => "sent",
        Delivered => "delivered",
        Read => "read",
        Played => "played",
        Failed => "failed",
        Received => "received",
        Unknown => "unknown",
    }
);

impl MessageStatus {
    fn rank(self) -> Option<u8> {
        match self {
            MessageStatus::Pending => Some(0),
            MessageStatus::Sending => Some(1),
            MessageStatus::Sent => Some(2),
            MessageStatus::Delivered => Some(3),
            MessageStatus::Read => Some(4),
            MessageStatus::Played => Some(5),
            MessageStatus::Failed | MessageStatus::Received | MessageStatus::Unknown => None,
        }
    }

    /// The status rule: only forward, and `failed` replaces only pending,
    /// sending or sent. Nothing replaces `failed` but a new send (a retry).
    /// `unknown` replaces only pending or sending, and a provider's report
    /// (sent, delivered, read, played or failed) settles it; only the
    /// owner's resend sends it again.
    pub fn can_move_to(self, next: MessageStatus) -> bool {
        match (self, self.rank(), next) {
            (_, _, MessageStatus::Received) => false,
            (MessageStatus::Unknown, _, n) => matches!(n, MessageStatus::Failed) || n.rank().is_some_and(|r| r >= 2),
            (_, Some(cur), MessageStatus::Unknown) => cur <= 1,
            (_, None, _) => false,
            (_, Some(cur), MessageStatus::Failed) => cur <= 2,
            (_, Some(cur), n) => n.rank().is_some_and(|r| r > cur),
        }
    }
}

string_enum!(
    /// A media file's state. `evicted`: downloaded once, then removed to save
    /// space (`crate::media_cache`); the message stays and may be downloaded again.
    MediaState { Pending => "pending", Downloaded => "downloaded", Failed => "failed", Evicted => "evicted" }
);

#[cfg(test)]
mod tests {
    use super::MessageStatus::*;

    #[test]
    fn status_only_moves_forward() {
        assert!(Pending.can_move_to(Sending));
        assert!(Sent.can_move_to(Read), "read may come without delivered");
        assert!(!Read.can_move_to(Delivered), "read must never be downgraded");
        assert!(!Delivered.can_move_to(Delivered));
        assert!(Read.can_move_to(Played));
    }

    #[test]
    fn failed_replaces_only_early_states() {
        assert!(Pending.can_move_to(Failed));
        assert!(Sending.can_move_to(Failed));
        assert!(Sent.can_move_to(Failed));
        assert!(!Delivered.can_move_to(Failed));
        assert!(!Read.can_move_to(Failed));
        assert!(!Failed.can_move_to(Sent));
        assert!(!Received.can_move_to(Read));
    }

    #[test]
    fn unknown_is_settled_only_by_a_report_or_a_resend() {
        assert!(Sending.can_move_to(Unknown));
        assert!(Pending.can_move_to(Unknown));
        assert!(!Sent.can_move_to(Unknown), "a known send never becomes unknown");
        assert!(!Delivered.can_move_to(Unknown));
        assert!(!Failed.can_move_to(Unknown));
        assert!(Unknown.can_move_to(Sent));
        assert!(Unknown.can_move_to(Read));
        assert!(Unknown.can_move_to(Failed));
        assert!(!Unknown.can_move_to(Pending), "only the owner's resend sends it again");
        assert!(!Unknown.can_move_to(Sending));
        assert!(!Unknown.can_move_to(Unknown));
    }
}
