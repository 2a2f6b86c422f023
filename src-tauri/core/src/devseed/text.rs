//! What seeded customers and the shop say: short phrases in several
//! languages and scripts (diacritics, Cyrillic, Arabic, Devanagari, CJK,
//! emoji), names, file names and templates. Words the benchmarks search for
//! are common on purpose: "order" is in about a quarter of the messages.

use super::Rng;

/// (weight, phrases) per language; the weights add up to 100.
const LANGUAGES: &[(u64, &[&str])] = &[
    (
        40,
        &[
            "Hi, is my order ready?",
            "Thanks, see you tomorrow",
            "Can I pick up the order today?",
            "What time do you open on Saturday?",
            "The parcel arrived, thank you!",
            "Do you have this in a larger size?",
            "Please send the invoice for my order",
            "How much is delivery to my address?",
            "Perfect, I'll take two",
            "Your order has shipped",
            "We are closed on Sunday",
            "Could you check the price of the blue one?",
            "ok",
            "Great 👍",
            "Where is my order? It has been a week",
            "Can I change the colour?",
        ],
    ),
    (
        15,
        &[
            "Hola, ¿mi pedido está listo? order",
            "Gracias, nos vemos mañana",
            "¿Cuánto cuesta el envío?",
            "¿Tienen la talla grande en azul?",
            "Perfecto, ¡muchas gracias!",
            "Quiero cambiar mi pedido, por favor",
            "¿A qué hora abren el sábado?",
        ],
    ),
    (10, &["Olá, a minha encomenda já está pronta?", "Obrigado, até amanhã", "Quanto custa a entrega?", "Vocês têm o tamanho maior?", "Ótimo, vou levar dois"]),
    (
        8,
        &[
            "Bonjour, ma commande est-elle prête ?",
            "Merci beaucoup, à demain",
            "Est-ce que la livraison est gratuite ?",
            "Je voudrais changer la couleur de ma commande (order 2)",
            "Très bien, ça me va",
        ],
    ),
    (6, &["Hallo, ist meine Bestellung fertig?", "Danke schön, bis morgen", "Können Sie die Größe ändern?", "Grüße aus München, Jürgen"]),
    (4, &["Merhaba, siparişim hazır mı?", "Teşekkürler, yarın görüşürüz", "Kargo ücreti ne kadar?"]),
    (4, &["Здравствуйте, мой заказ готов?", "Спасибо, до завтра", "Сколько стоит доставка?"]),
    (4, &["مرحبا، هل طلبي جاهز؟", "شكرا جزيلا، أراك غدا", "كم تكلفة التوصيل؟"]),
    (3, &["नमस्ते, क्या मेरा ऑर्डर तैयार है?", "धन्यवाद, कल मिलते हैं"]),
    (3, &["你好，我的订单准备好了吗？", "谢谢，明天见", "运费是多少？"]),
    (3, &["こんにちは、注文の準備はできましたか？", "ありがとうございます、また明日", "送料はいくらですか？"]),
];

const EMOJI: &[&str] = &["👍", "🙏", "😊", "❤️", "🎉", "📦", "🚚", "😂", "👌", "🔥"];

const FIRST: &[&str] = &[
    "José", "María", "Zoë", "Jürgen", "Amélie", "Søren", "Łukasz", "Chloé", "Ahmed", "Fatima", "Olga", "Dmitri", "Priya", "Arjun", "Wei", "Yuki", "Emma",
    "Liam", "Sofia", "Mateo", "Ines", "Noah", "Ayşe", "Mehmet",
];

const LAST: &[&str] = &[
    "García",
    "Müller",
    "Dubois",
    "Silva",
    "Kowalski",
    "Nguyen",
    "Smith",
    "Jones",
    "Rossi",
    "Öztürk",
    "Ivanova",
    "Haddad",
    "Sharma",
    "Tanaka",
    "Chen",
    "O'Brien",
    "Van der Berg",
    "Åberg",
];

/// Names in their own scripts, for some contacts.
const NATIVE_NAMES: &[&str] = &["王伟", "李娜", "佐藤 花子", "محمد علي", "Ольга Петрова", "प्रिया शर्मा", "김민준"];

/// One message's text: a phrase, sometimes with an order number, an emoji
/// or a second phrase.
pub fn message(rng: &mut Rng) -> String {
    let mut pick = rng.below(100);
    let phrases = LANGUAGES
        .iter()
        .find(|(w, _)| {
            if pick < *w {
                true
            } else {
                pick -= w;
                false
            }
        })
        .map_or(LANGUAGES[0].1, |(_, p)| *p);
    let mut text = phrases[rng.below(phrases.len() as u64) as usize].to_string();
    match rng.below(10) {
        0 | 1 => text.push_str(&format!(" order #{}", 10_000 + rng.below(90_000))),
        2 => {
            text.push(' ');
            text.push_str(EMOJI[rng.below(EMOJI.len() as u64) as usize]);
        }
        3 => {
            text.push(' ');
            text.push_str(phrases[rng.below(phrases.len() as u64) as usize]);
        }
        _ => {}
    }
    text
}

/// A contact's profile name.
pub fn name(rng: &mut Rng) -> String {
    if rng.below(8) == 0 {
        NATIVE_NAMES[rng.below(NATIVE_NAMES.len() as u64) as usize].to_string()
    } else {
        format!("{} {}", FIRST[rng.below(FIRST.len() as u64) as usize], LAST[rng.below(LAST.len() as u64) as usize])
    }
}

/// A media file: (kind, mime, file name, caption).
pub fn media(rng: &mut Rng) -> (crate::model::MessageKind, &'static str, String, Option<String>) {
    use crate::model::MessageKind;
    let n = rng.below(100_000);
    let caption = (rng.below(3) == 0).then(|| message(rng));
    match rng.below(4) {
        0 => (MessageKind::Image, "image/jpeg", format!("IMG-{n:05}.jpg"), caption),
        1 => (MessageKind::Document, "application/pdf", format!("invoice-{n:05}.pdf"), caption),
        2 => (MessageKind::Voice, "audio/ogg", format!("voice-{n:05}.ogg"), None),
        _ => (MessageKind::Video, "video/mp4", format!("VID-{n:05}.mp4"), caption),
    }
}

/// A template send: (the stored template JSON, its text).
pub fn template(rng: &mut Rng, customer: &str) -> (serde_json::Value, String) {
    let order = 10_000 + rng.below(90_000);
    match rng.below(3) {
        0 => (
            serde_json::json!({"name": "order_shipped", "language": "en", "components": [{"type": "body", "parameters": [{"type": "text", "text": customer}, {"type": "text", "text": order.to_string()}]}]}),
            format!("Hi {customer}, your order #{order} has shipped and arrives in 2–3 days."),
        ),
        1 => (
            serde_json::json!({"name": "pedido_listo", "language": "es", "components": [{"type": "body", "parameters": [{"type": "text", "text": order.to_string()}]}]}),
            format!("¡Hola! Tu pedido #{order} está listo para recoger."),
        ),
        _ => (
            serde_json::json!({"name": "appointment_reminder", "language": "en", "components": []}),
            "Reminder: your appointment is tomorrow at 10:00. Reply to change it.".to_string(),
        ),
    }
}

pub fn emoji(rng: &mut Rng) -> &'static str {
    EMOJI[rng.below(EMOJI.len() as u64) as usize]
}
