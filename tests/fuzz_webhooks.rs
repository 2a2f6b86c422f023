//! Property-based fuzzing (proptest) of the three webhook parsers and the
//! signature checks, from mutated copies of the recorded fixtures.
//!
//! What must hold for every input: no parser panics; nothing a parser returns
//! or allocates on the way grows faster than the body (a body within the
//! listener's 1 MiB cap can never make a parser allocate without bound);
//! a body or a signature that was changed never verifies, and neither does
//! another secret; a verify token matches only itself.
//!
//! Allocation is measured by a counting global allocator, per thread (the
//! parsers run on the test's own thread), so a parallel test does not
//! disturb the count.
//!
//! The default case count keeps this file well under 30 s in a debug build.
//! A long run (docs/robustness.md):
//!   PROPTEST_CASES=20000 cargo test -p wicket-core --release --test fuzz_webhooks

use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::Config;
use serde_json::Value;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;
use std::sync::OnceLock;
use wicket_core::providers::{meta, unipile, wasender};
use wicket_core::webhook::signature::{meta_signature, tokens_match, verify_meta_signature};
use wicket_core::webhook::MAX_BODY_BYTES;

// ---- allocation accounting -------------------------------------------------

/// The system allocator, counting the live and peak bytes of each thread.
struct Counting;

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

fn grew(n: usize) {
    let _ = LIVE.try_with(|live| {
        let v = live.get().saturating_add(n);
        live.set(v);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(v)));
    });
}

fn shrank(n: usize) {
    // Memory freed on another thread than it was taken on only lowers this
    // thread's count (never below zero): the peak stays an upper bound.
    let _ = LIVE.try_with(|live| live.set(live.get().saturating_sub(n)));
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            shrank(layout.size());
            grew(new_size);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns its result with the most bytes this thread held at
/// once meanwhile, over what it held before (the result included).
fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let out = f();
    let peak = PEAK.with(Cell::get);
    (out, peak.saturating_sub(base))
}

/// The most a parser may hold while parsing `len` bytes: a parsed JSON tree
/// costs a bounded multiple of its text (the worst is many one-key objects,
/// each a B-tree node of some 500 bytes for 6 bytes of text), and the events
/// keep at most a copy or two of it. Linear in the body, whatever its shape;
/// the constant covers bounded lazy caches (a country's phone-number rules
/// are compiled on first sight of its calling code).
fn allocation_budget(len: usize) -> usize {
    512 * len + (4 << 20)
}

// ---- the parsers under test --------------------------------------------------

/// Each parser on `body`: (name, items it returned, peak bytes), or a panic
/// that fails the property.
fn run_parsers(body: &[u8]) -> Vec<(&'static str, usize, usize)> {
    // Lazy one-time tables (phone-number metadata and its regexes) are
    // built before measuring: they are not the body's doing.
    static WARM: std::sync::Once = std::sync::Once::new();
    WARM.call_once(|| {
        for fx in fixtures() {
            let _ = (meta::webhook::parse_payload(&fx.bytes), wasender::webhook::parse_payload(&fx.bytes), unipile::webhook::parse_payload(&fx.bytes));
        }
    });
    let (meta_items, meta_peak) = peak_during(|| match meta::webhook::parse_payload(body) {
        Ok(changes) => changes.len() + changes.iter().map(|c| c.events.len()).sum::<usize>(),
        Err(e) => {
            assert!(!e.0.is_empty(), "a parse error says why");
            0
        }
    });
    let (wasender_items, wasender_peak) = peak_during(|| match wasender::webhook::parse_payload(body) {
        Ok(events) => events.len(),
        Err(e) => {
            assert!(!e.0.is_empty(), "a parse error says why");
            0
        }
    });
    let (unipile_items, unipile_peak) = peak_during(|| match unipile::webhook::parse_payload(body) {
        Ok(events) => events.len(),
        Err(e) => {
            assert!(!e.0.is_empty(), "a parse error says why");
            0
        }
    });
    vec![("meta", meta_items, meta_peak), ("wasender", wasender_items, wasender_peak), ("unipile", unipile_items, unipile_peak)]
}

/// Every parser survives `body`, returns at most one item per byte and stays
/// within the linear allocation budget.
fn assert_parsers_bounded(origin: &str, body: &[u8]) -> Result<(), TestCaseError> {
    for (parser, items, peak) in run_parsers(body) {
        prop_assert!(items <= body.len(), "{parser}: {items} events from {} bytes (from {origin})", body.len());
        prop_assert!(
            peak <= allocation_budget(body.len()),
            "{parser}: held {peak} bytes at once for a {}-byte body from {origin} (budget {})",
            body.len(),
            allocation_budget(body.len())
        );
    }
    Ok(())
}

// ---- fixtures ----------------------------------------------------------------

#[derive(Debug)]
struct Fixture {
    name: String,
    bytes: Vec<u8>,
}

fn fixtures_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures"))
}

/// Every recorded webhook body of the three providers (the fixtures of
/// shared/reference are the same files, copied into tests/fixtures).
fn fixtures() -> &'static [Fixture] {
    static ALL: OnceLock<Vec<Fixture>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut all = vec![];
        for (dir, prefix) in [("meta_webhooks", "meta_webhook_"), ("wasender", "webhook_"), ("unipile", "unipile_webhook_")] {
            let mut names: Vec<String> = std::fs::read_dir(fixtures_dir().join(dir))
                .unwrap_or_else(|e| panic!("fixtures folder {dir}: {e}"))
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(prefix) && n.ends_with(".json") && n != "meta_webhook_signatures.json")
                .collect();
            names.sort();
            for name in names {
                let bytes = std::fs::read(fixtures_dir().join(dir).join(&name)).unwrap();
                all.push(Fixture { name: format!("{dir}/{name}"), bytes });
            }
        }
        assert!(all.len() >= 30, "the webhook fixtures are all there: {}", all.len());
        all
    })
}

fn fixture() -> impl Strategy<Value = &'static Fixture> {
    select(fixtures().iter().collect::<Vec<_>>())
}

/// A Meta fixture with the signature Meta sent for its exact bytes.
#[derive(Debug, Clone)]
struct Signed {
    name: String,
    body: Vec<u8>,
    header: String,
}

fn signed() -> &'static (Vec<u8>, Vec<Signed>) {
    static ALL: OnceLock<(Vec<u8>, Vec<Signed>)> = OnceLock::new();
    ALL.get_or_init(|| {
        let dir = fixtures_dir().join("meta_webhooks");
        let table: Value = serde_json::from_slice(&std::fs::read(dir.join("meta_webhook_signatures.json")).unwrap()).unwrap();
        let secret = table["app_secret"].as_str().unwrap().as_bytes().to_vec();
        let mut all: Vec<Signed> = table["signatures"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(name, sig)| Signed { name: name.clone(), body: std::fs::read(dir.join(name)).unwrap(), header: sig.as_str().unwrap().to_string() })
            .collect();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        assert_eq!(all.len(), 7);
        (secret, all)
    })
}

fn signed_fixture() -> impl Strategy<Value = Signed> {
    select(signed().1.clone())
}

// ---- byte-level mutations -------------------------------------------------------

/// Pieces of JSON syntax and hostile literals, inserted as they are.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    ",",
    ":",
    "\\",
    "null",
    "true",
    "-",
    "0",
    "1e999",
    "-1e999",
    "1e-999",
    "-0",
    "18446744073709551616",
    "\\u0000",
    "\\ud800",
    "\\udfff",
    "\u{feff}",
    "\u{0}",
    "\"\":",
    "[[[[[[[[",
    "{\"a\":",
    "\u{10ffff}",
    "\u{7f}",
];

#[derive(Debug, Clone)]
enum ByteEdit {
    Flip(Index, u8),
    Set(Index, u8),
    Truncate(Index),
    Insert(Index, Vec<u8>),
    Delete(Index, usize),
    /// Repeats a slice many times in place (long strings, long arrays).
    Repeat(Index, usize, usize),
}

fn byte_edit() -> impl Strategy<Value = ByteEdit> {
    let insert = prop_oneof![prop::collection::vec(any::<u8>(), 1..16), select(TOKENS).prop_map(|t| t.as_bytes().to_vec())];
    prop_oneof![
        (any::<Index>(), 0u8..8).prop_map(|(i, bit)| ByteEdit::Flip(i, bit)),
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| ByteEdit::Set(i, b)),
        any::<Index>().prop_map(ByteEdit::Truncate),
        (any::<Index>(), insert).prop_map(|(i, bytes)| ByteEdit::Insert(i, bytes)),
        (any::<Index>(), 1usize..64).prop_map(|(i, n)| ByteEdit::Delete(i, n)),
        (any::<Index>(), 1usize..48, 2usize..400).prop_map(|(i, n, times)| ByteEdit::Repeat(i, n, times)),
    ]
}

fn apply_bytes(body: &mut Vec<u8>, edit: &ByteEdit) {
    let len = body.len();
    let at = |i: &Index| if len == 0 { 0 } else { i.index(len) };
    match edit {
        ByteEdit::Flip(i, bit) if len > 0 => body[at(i)] ^= 1 << bit,
        ByteEdit::Set(i, b) if len > 0 => body[at(i)] = *b,
        ByteEdit::Truncate(i) => body.truncate(at(i)),
        ByteEdit::Insert(i, bytes) => {
            let p = if len == 0 { 0 } else { i.index(len + 1) };
            body.splice(p..p, bytes.iter().copied());
        }
        ByteEdit::Delete(i, n) if len > 0 => {
            let p = at(i);
            body.drain(p..(p + n).min(len));
        }
        ByteEdit::Repeat(i, n, times) if len > 0 => {
            let p = at(i);
            let piece = body[p..(p + n).min(len)].to_vec();
            let copies: Vec<u8> = piece.iter().copied().cycle().take(piece.len() * times).collect();
            body.splice(p..p, copies);
        }
        _ => {}
    }
}

fn mutate_bytes(original: &[u8], edits: &[ByteEdit]) -> Vec<u8> {
    let mut body = original.to_vec();
    for e in edits {
        apply_bytes(&mut body, e);
    }
    body
}

// ---- JSON-structure mutations ------------------------------------------------------

/// Number literals serde_json's `Value` cannot hold as they are: written into
/// the text in place of a marker.
const RAW_NUMBERS: &[&str] = &[
    "1e308",
    "-1e308",
    "1e400",
    "4.9e-324",
    "1e-400",
    "-0",
    "-0.0",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775808",
    "-9223372036854775809",
    "123456789012345678901234567890123456789012345678901234567890",
    "0.000000000000000000000000000000000000000000000000000000000001",
];
const RAW_MARKER: &str = "\u{1}raw-number\u{1}";

/// Values the parsers look for, so mutations reach past the first `match`.
const MEANINGFUL: &[&str] = &[
    "whatsapp_business_account",
    "messages",
    "statuses",
    "text",
    "image",
    "audio",
    "document",
    "sticker",
    "video",
    "location",
    "contacts",
    "interactive",
    "button",
    "reaction",
    "unsupported",
    "sent",
    "delivered",
    "read",
    "failed",
    "played",
    "messages.received",
    "messages.upsert",
    "messages.update",
    "message-receipt.update",
    "chats.upsert",
    "groups.upsert",
    "groups.update",
    "group-participants.update",
    "history",
    "history_context",
    "media_placeholder",
    "smb_app_state_sync",
    "state_sync",
    "recipient_participant_id",
    "messages.delete",
    "messages.reaction",
    "session.status",
    "contacts.upsert",
    "message_received",
    "message_reaction",
    "message_read",
    "message_delivered",
    "message_edited",
    "message_deleted",
    "AccountStatus",
    "OK",
    "CREDENTIALS",
    "447911123456",
    "447911123456@s.whatsapp.net",
    "120363025246125486@g.us",
    "1234567890@lid",
    "status@broadcast",
    "",
    " ",
    "0",
    "-1",
    "9999999999999999999",
    "1700000000",
    "1700000000000",
];

#[derive(Debug, Clone)]
enum Replacement {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    /// A marker, replaced by a raw number literal in the text.
    Raw,
    Meaningful(&'static str),
    Text(String),
    /// `n` copies of a character: long strings.
    Long(char, usize),
    DeepArray(usize),
    DeepObject(usize),
    EmptyArray,
    EmptyObject,
}

impl Replacement {
    fn value(&self) -> Value {
        match self {
            Replacement::Null => Value::Null,
            Replacement::Bool(b) => Value::Bool(*b),
            Replacement::Int(n) => Value::from(*n),
            Replacement::UInt(n) => Value::from(*n),
            Replacement::Float(f) => serde_json::Number::from_f64(*f).map(Value::Number).unwrap_or(Value::Null),
            Replacement::Raw => Value::String(RAW_MARKER.to_string()),
            Replacement::Meaningful(s) => Value::String(s.to_string()),
            Replacement::Text(s) => Value::String(s.clone()),
            Replacement::Long(c, n) => Value::String(std::iter::repeat_n(*c, *n).collect()),
            Replacement::DeepArray(depth) => (0..*depth).fold(Value::from(1), |v, _| Value::Array(vec![v])),
            Replacement::DeepObject(depth) => (0..*depth).fold(Value::from("x"), |v, _| serde_json::json!({ "messages": v })),
            Replacement::EmptyArray => Value::Array(vec![]),
            Replacement::EmptyObject => Value::Object(Default::default()),
        }
    }
}

fn replacement() -> impl Strategy<Value = Replacement> {
    prop_oneof![
        Just(Replacement::Null),
        any::<bool>().prop_map(Replacement::Bool),
        any::<i64>().prop_map(Replacement::Int),
        prop_oneof![Just(u64::MAX), Just(i64::MAX as u64 + 1), any::<u64>()].prop_map(Replacement::UInt),
        prop_oneof![Just(f64::MAX), Just(f64::MIN), Just(f64::EPSILON), Just(-0.0), any::<f64>()].prop_map(Replacement::Float),
        Just(Replacement::Raw),
        select(MEANINGFUL).prop_map(Replacement::Meaningful),
        any::<String>().prop_map(Replacement::Text),
        (select(vec!['a', '9', ' ', '"', '\\', '\u{0}', '\u{1F600}', '\u{202E}']), 1usize..20_000).prop_map(|(c, n)| Replacement::Long(c, n)),
        (1usize..120).prop_map(Replacement::DeepArray),
        (1usize..120).prop_map(Replacement::DeepObject),
        Just(Replacement::EmptyArray),
        Just(Replacement::EmptyObject),
    ]
}

#[derive(Debug, Clone)]
enum JsonEdit {
    /// Replaces the value at the picked node (the root included).
    Replace(Index, Replacement),
    /// Removes the picked node from its parent.
    Remove(Index),
    /// Repeats the first item of the picked array, or the picked value
    /// wrapped in an array, many times (many events from one body).
    Repeat(Index, usize),
    /// Renames the picked object's first key to another meaningful one.
    Rename(Index, &'static str),
}

fn json_edit() -> impl Strategy<Value = JsonEdit> {
    prop_oneof![
        4 => (any::<Index>(), replacement()).prop_map(|(i, r)| JsonEdit::Replace(i, r)),
        1 => any::<Index>().prop_map(JsonEdit::Remove),
        1 => (any::<Index>(), 2usize..400).prop_map(|(i, n)| JsonEdit::Repeat(i, n)),
        1 => (any::<Index>(), select(MEANINGFUL)).prop_map(|(i, k)| JsonEdit::Rename(i, k)),
    ]
}

#[derive(Debug, Clone)]
enum Seg {
    Key(String),
    At(usize),
}

fn paths(v: &Value, here: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    out.push(here.clone());
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                here.push(Seg::Key(k.clone()));
                paths(child, here, out);
                here.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                here.push(Seg::At(i));
                paths(child, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

fn node<'a>(root: &'a mut Value, path: &[Seg]) -> Option<&'a mut Value> {
    path.iter().try_fold(root, |v, seg| match seg {
        Seg::Key(k) => v.get_mut(k.as_str()),
        Seg::At(i) => v.get_mut(*i),
    })
}

fn apply_json(root: &mut Value, edit: &JsonEdit) {
    let mut all = vec![];
    paths(root, &mut vec![], &mut all);
    let pick = |i: &Index| all[i.index(all.len())].clone();
    match edit {
        JsonEdit::Replace(i, r) => {
            if let Some(v) = node(root, &pick(i)) {
                *v = r.value();
            }
        }
        JsonEdit::Remove(i) => {
            let path = pick(i);
            let Some((last, parent)) = path.split_last() else { return };
            match (node(root, parent), last) {
                (Some(Value::Object(map)), Seg::Key(k)) => {
                    map.remove(k);
                }
                (Some(Value::Array(items)), Seg::At(i)) if *i < items.len() => {
                    items.remove(*i);
                }
                _ => {}
            }
        }
        JsonEdit::Repeat(i, n) => {
            if let Some(v) = node(root, &pick(i)) {
                let item = match &*v {
                    Value::Array(items) => items.first().cloned(),
                    other => Some(other.clone()),
                };
                if let Some(item) = item {
                    *v = Value::Array(vec![item; *n]);
                }
            }
        }
        JsonEdit::Rename(i, key) => {
            if let Some(Value::Object(map)) = node(root, &pick(i)) {
                if let Some(first) = map.keys().next().cloned() {
                    let v = map.remove(&first).unwrap_or(Value::Null);
                    map.insert(key.to_string(), v);
                }
            }
        }
    }
}

/// The fixture with the edits applied, as text (raw number literals written in).
fn mutate_json(original: &[u8], edits: &[(JsonEdit, &'static str)]) -> Vec<u8> {
    let mut root: Value = serde_json::from_slice(original).expect("fixtures are JSON");
    let mut raws = vec![];
    for (edit, raw) in edits {
        apply_json(&mut root, edit);
        raws.push(*raw);
    }
    let mut text = serde_json::to_string(&root).expect("a Value serializes");
    let marker = serde_json::to_string(RAW_MARKER).unwrap();
    let mut raws = raws.into_iter().cycle();
    while let Some(at) = text.find(&marker) {
        let raw = raws.next().unwrap_or("0");
        text.replace_range(at..at + marker.len(), raw);
    }
    text.into_bytes()
}

// ---- the properties ------------------------------------------------------------------

/// The case count: PROPTEST_CASES when set (long runs), else a count that
/// keeps the file fast in debug builds. No regression files are written into
/// the source tree: a failure prints its minimal input.
fn config(default_cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default_cases);
    Config { cases, failure_persistence: None, ..Config::default() }
}

proptest! {
    #![proptest_config(config(384))]

    /// Flipped, overwritten, cut, inserted, deleted and repeated bytes.
    #[test]
    fn parsers_survive_byte_mutations(fx in fixture(), edits in prop::collection::vec(byte_edit(), 1..5)) {
        let body = mutate_bytes(&fx.bytes, &edits);
        assert_parsers_bounded(&fx.name, &body)?;
    }

    /// Values replaced by other JSON types, huge numbers, long strings and
    /// deep nesting; nodes removed, renamed and repeated.
    #[test]
    fn parsers_survive_json_mutations(
        fx in fixture(),
        edits in prop::collection::vec((json_edit(), select(RAW_NUMBERS)), 1..5),
    ) {
        let body = mutate_json(&fx.bytes, &edits);
        prop_assume!(body.len() <= MAX_BODY_BYTES, "the listener refuses larger bodies before parsing");
        assert_parsers_bounded(&fx.name, &body)?;
    }

    /// Arbitrary bytes, JSON or not.
    #[test]
    fn parsers_survive_arbitrary_bytes(body in prop::collection::vec(any::<u8>(), 0..4096)) {
        assert_parsers_bounded("random bytes", &body)?;
    }
}

proptest! {
    #![proptest_config(config(512))]

    /// Any change to a signed body makes the original signature fail, while
    /// the mutated body's own signature verifies (the check is not just "no").
    #[test]
    fn a_mutated_body_never_verifies(fx in signed_fixture(), edits in prop::collection::vec(byte_edit(), 1..4)) {
        let (secret, _) = signed();
        prop_assert!(verify_meta_signature(secret, &fx.body, Some(&fx.header)), "{}: the original verifies", fx.name);
        let body = mutate_bytes(&fx.body, &edits);
        prop_assume!(body != fx.body);
        prop_assert!(!verify_meta_signature(secret, &body, Some(&fx.header)), "{}: a changed body was accepted", fx.name);
        prop_assert!(verify_meta_signature(secret, &body, Some(&meta_signature(secret, &body))));
    }

    /// A changed header verifies only when it still names the same digest
    /// (hex case and surrounding spaces are tolerated, as documented).
    #[test]
    fn a_mutated_signature_never_verifies(fx in signed_fixture(), edits in prop::collection::vec(byte_edit(), 1..4)) {
        let (secret, _) = signed();
        let header = String::from_utf8_lossy(&mutate_bytes(fx.header.as_bytes(), &edits)).into_owned();
        let same_digest = header
            .trim()
            .strip_prefix("sha256=")
            .map(|hex| hex.trim().to_ascii_lowercase())
            .is_some_and(|hex| Some(hex.as_str()) == fx.header.strip_prefix("sha256="));
        prop_assert_eq!(verify_meta_signature(secret, &fx.body, Some(&header)), same_digest, "{}: header {:?}", fx.name, header);
    }

    /// Another app secret never verifies Meta's signature. HMAC pads a short
    /// key with zero bytes, so a key that differs only by trailing NULs is
    /// the same key (found by a long run; not a weakness: it takes the secret).
    #[test]
    fn another_secret_never_verifies(fx in signed_fixture(), edits in prop::collection::vec(byte_edit(), 1..4)) {
        let (secret, _) = signed();
        let other = mutate_bytes(secret, &edits);
        let unpadded = |k: &[u8]| k.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
        prop_assume!(other.len() > 64 || other[..unpadded(&other)] != secret[..unpadded(secret)]);
        prop_assert!(!verify_meta_signature(&other, &fx.body, Some(&fx.header)), "{}: secret {:?} was accepted", fx.name, String::from_utf8_lossy(&other));
    }

    /// Random bodies, secrets and headers: only the body's own signature
    /// under its own secret verifies; no header at all never does.
    #[test]
    fn only_the_exact_signature_verifies(
        secret in prop::collection::vec(any::<u8>(), 0..96),
        body in prop::collection::vec(any::<u8>(), 0..2048),
        header in prop_oneof![any::<String>(), "sha256=[0-9a-fA-F]{0,70}".prop_map(|s| s)],
    ) {
        let good = meta_signature(&secret, &body);
        prop_assert!(verify_meta_signature(&secret, &body, Some(&good)));
        prop_assert!(!verify_meta_signature(&secret, &body, None));
        let same = header.trim().strip_prefix("sha256=").is_some_and(|h| h.trim().eq_ignore_ascii_case(&good["sha256=".len()..]));
        prop_assert_eq!(verify_meta_signature(&secret, &body, Some(&header)), same);
    }

    /// The verify token and the gateways' shared secrets match only
    /// themselves, and an empty stored token never matches.
    #[test]
    fn tokens_match_only_themselves(token in any::<String>(), edits in prop::collection::vec(byte_edit(), 0..4)) {
        let given = String::from_utf8_lossy(&mutate_bytes(token.as_bytes(), &edits)).into_owned();
        prop_assert_eq!(tokens_match(&given, &token), given == token && !token.is_empty());
        prop_assert_eq!(tokens_match(&token, &token), !token.is_empty());
    }
}

// ---- directed worst cases near the 1 MiB cap ------------------------------------------

/// A Meta body of `n` minimal messages sharing one contact whose profile
/// name is `name_len` bytes long.
fn meta_many_messages_one_contact(n: usize, name_len: usize) -> Vec<u8> {
    let messages: Vec<Value> =
        (0..n).map(|i| serde_json::json!({"from": "447911123456", "id": format!("w{i}"), "type": "text", "text": {"body": "x"}})).collect();
    serde_json::to_vec(&serde_json::json!({"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": {
        "metadata": {"phone_number_id": "1"},
        "contacts": [{"wa_id": "447911123456", "profile": {"name": "n".repeat(name_len)}}],
        "messages": messages}}]}]}))
    .unwrap()
}

/// Bodies built to make a parser copy one large part into many events: each
/// stays within the linear budget. (Random mutations rarely build these.)
#[test]
fn bodies_at_the_cap_stay_within_a_linear_allocation_budget() {
    let mut bodies: Vec<(String, Vec<u8>)> = vec![];
    // Many messages, one large contact profile shared by all of them.
    bodies.push(("meta: 7000 messages, one 450 KB profile name".into(), meta_many_messages_one_contact(7000, 450_000)));
    // Many entries and changes.
    let change = serde_json::json!({"field": "messages", "value": {"metadata": {"phone_number_id": "1"}, "statuses": [{"id": "w", "status": "read", "recipient_id": "447911123456", "timestamp": "1"}]}});
    bodies.push((
        "meta: 4000 changes".into(),
        serde_json::to_vec(&serde_json::json!({"object": "whatsapp_business_account", "entry": [{"changes": vec![change; 4000]}]})).unwrap(),
    ));
    // WASender: many messages in one envelope, one long pushName each.
    let item = serde_json::json!({"key": {"id": "A", "remoteJid": "447911123456@s.whatsapp.net", "fromMe": false}, "pushName": "p".repeat(64), "message": {"conversation": "hi"}, "messageTimestamp": 1700000000});
    bodies.push((
        "wasender: 4500 messages".into(),
        serde_json::to_vec(&serde_json::json!({"event": "messages.upsert", "timestamp": 1700000000, "data": {"messages": vec![item; 4500]}})).unwrap(),
    ));
    // WASender: an array of envelopes.
    let fx = std::fs::read(fixtures_dir().join("wasender/webhook_message.json")).unwrap();
    let one: Value = serde_json::from_slice(&fx).unwrap();
    bodies.push(("wasender: 1000 envelopes".into(), serde_json::to_vec(&Value::Array(vec![one; 1000])).unwrap()));
    // UniPile: one message with a huge attachment list.
    let fx = std::fs::read(fixtures_dir().join("unipile/unipile_webhook_group_attachment.json")).unwrap();
    let mut msg: Value = serde_json::from_slice(&fx).unwrap();
    let attachment = msg["attachments"].as_array().and_then(|a| a.first().cloned()).unwrap_or(serde_json::json!({"id": "a", "type": "img"}));
    msg["attachments"] = Value::Array(vec![attachment; 3000]);
    bodies.push(("unipile: 3000 attachments".into(), serde_json::to_vec(&msg).unwrap()));
    // Deep nesting right at serde_json's limit.
    bodies.push(("127 nested arrays".into(), format!("{}{}", "[".repeat(127), "]".repeat(127)).into_bytes()));
    bodies.push(("129 nested arrays".into(), format!("{}{}", "[".repeat(129), "]".repeat(129)).into_bytes()));

    let mut failures = vec![];
    for (what, body) in &bodies {
        assert!(body.len() <= MAX_BODY_BYTES, "{what}: {} bytes is over the listener's cap", body.len());
        for (parser, items, peak) in run_parsers(body) {
            eprintln!("{what}: {parser}: {items} items, peak {} KiB for {} KiB", peak / 1024, body.len() / 1024);
            if peak > allocation_budget(body.len()) || items > body.len() {
                failures.push(format!("{what}: {parser} held {} MiB at once for a {} KiB body", peak >> 20, body.len() >> 10));
            }
        }
    }
    assert!(failures.is_empty(), "allocation not bounded by the body:\n{}", failures.join("\n"));
}

/// The allocation accounting itself sees what a parser keeps: otherwise the
/// budget checks above could never fail.
#[test]
fn the_allocation_accounting_sees_a_large_result() {
    let body = meta_many_messages_one_contact(50, 10);
    let (changes, peak) = peak_during(|| meta::webhook::parse_payload(&body).unwrap());
    assert_eq!(changes[0].events.len(), 50);
    assert!(peak > body.len(), "parsing {} bytes into 50 events took {peak} bytes", body.len());
    let (v, peak) = peak_during(|| vec![0u8; 3 << 20]);
    assert!(peak >= 3 << 20 && v.len() == 3 << 20);
}
