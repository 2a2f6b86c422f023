//! The demo's customers: who they are, what they said, and how they answer.

use crate::model::{Direction, MessageKind, MessageStatus, Origin};
use crate::providers::{InboundMessage, ProviderEvent, StatusReport};
use crate::store::contacts::{ContactKey, ContactUpdate};

pub struct SampleConversation {
    pub phone: &'static str,
    pub name: &'static str,
    /// (minutes ago, from the customer?, text)
    pub messages: &'static [(i64, bool, &'static str)],
    pub language: &'static str,
}

pub const SAMPLE_CONVERSATIONS: &[SampleConversation] = &[
    SampleConversation {
        phone: "+447911123456",
        name: "Priya Raman",
        language: "en",
        messages: &[
            (180, true, "Hi! Is my order #4521 ready for pickup?"),
            (176, false, "Hi Priya, it is packed and waiting for you at the Camden counter."),
            (175, true, "Brilliant, I'll come by after 5 👍"),
        ],
    },
    SampleConversation {
        phone: "+4915112345678",
        name: "Jürgen Müller",
        language: "de",
        messages: &[
            (95, true, "Guten Tag! Haben Sie die Jacke noch in Größe L?"),
            (90, false, "Ja, eine ist noch da. Soll ich sie zurücklegen?"),
            (12, true, "Gerne, bis morgen bitte."),
        ],
    },
    SampleConversation {
        phone: "+34612345678",
        name: "Lucía Fernández",
        language: "es",
        messages: &[(60 * 26, true, "¿Hacen envíos a Valencia?"), (60 * 25, false, "¡Sí! El envío tarda 2–3 días laborables.")],
    },
    SampleConversation {
        phone: "+971501234567", name: "أحمد المنصوري", language: "ar", messages: &[(40, true, "مرحبا، هل المتجر مفتوح يوم الجمعة؟")]
    },
    SampleConversation {
        phone: "+818012345678", name: "佐藤 花子", language: "ja", messages: &[(8, true, "こんにちは。注文の配送状況を教えてください。")]
    },
    SampleConversation {
        phone: "+5511987654321",
        name: "João Silva",
        language: "pt",
        messages: &[(60 * 50, true, "Obrigado pela entrega rápida!"), (60 * 49, false, "Nós que agradecemos, João! 😊")],
    },
];

/// The events that create the sample conversations, relative to `now` (ms).
pub fn seed_events(now: i64) -> Vec<ProviderEvent> {
    let mut out = vec![];
    for (ci, c) in SAMPLE_CONVERSATIONS.iter().enumerate() {
        for (mi, (minutes_ago, from_customer, text)) in c.messages.iter().enumerate() {
            let id = format!("demo.seed.{ci}.{mi}");
            let ts = now - minutes_ago * 60_000;
            out.push(ProviderEvent::Message(InboundMessage {
                chat_update: ContactUpdate {
                    profile_name: Some(c.name.to_string()),
                    wa_id: Some(c.phone.trim_start_matches('+').to_string()),
                    ..Default::default()
                },
                origin: (!from_customer).then_some(Origin::App),
                text: Some(text.to_string()),
                ..InboundMessage::new(
                    id.clone(),
                    ContactKey::phone(c.phone),
                    if *from_customer { Direction::In } else { Direction::Out },
                    MessageKind::Text,
                    ts,
                    serde_json::json!({ "demo": true }),
                )
            }));
            if !from_customer {
                out.push(ProviderEvent::Status(StatusReport {
                    provider_message_id: id,
                    wicket_id: None,
                    status: MessageStatus::Read,
                    timestamp: ts + 60_000,
                    error: None,
                    recipient: None,
                }));
            }
        }
    }
    out
}

/// A customer's answer to `said`, in that customer's language.
pub fn reply_to(to: &str, said: &str) -> String {
    let language = SAMPLE_CONVERSATIONS.iter().find(|c| c.phone == to).map(|c| c.language).unwrap_or("en");
    let said = said.to_lowercase();
    let asked = said.contains('?');
    match language {
        "de" => {
            if asked {
                "Gute Frage – ich schaue nach und melde mich gleich."
            } else {
                "Danke, das hilft mir sehr!"
            }
        }
        "es" => {
            if asked {
                "Déjame comprobarlo y te digo."
            } else {
                "¡Perfecto, muchas gracias!"
            }
        }
        "ar" => {
            if asked {
                "سأتحقق وأعود إليك قريبًا."
            } else {
                "شكرًا جزيلًا!"
            }
        }
        "ja" => {
            if asked {
                "確認してまたご連絡します。"
            } else {
                "ありがとうございます！"
            }
        }
        "pt" => {
            if asked {
                "Vou verificar e já respondo."
            } else {
                "Perfeito, obrigado!"
            }
        }
        _ => {
            if asked {
                "Good question – let me check and get back to you."
            } else {
                "Great, thank you! 🙏"
            }
        }
    }
    .to_string()
}
