//! The window stays light (issue 12): opening chats, over the real commands
//! the UI calls when a chat opens, opens no SQLite connection and probes no
//! secret store (keychain write-read-delete, or the vault's Argon2id) per
//! click: the app keeps one of each for its life.
//!
//! Every file opened in the data dir is seen through Linux inotify
//! (`IN_OPEN`), so a connection opened and closed again within a command is
//! caught, not only one left open.

use crate::state::AppState;
use crate::tests::Harness;
use serde_json::json;
use std::ffi::{c_char, CString};
use std::fs::File;
use std::io::Read;
use std::os::fd::FromRawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use tauri::Manager;

extern "C" {
    fn inotify_init1(flags: i32) -> i32;
    fn inotify_add_watch(fd: i32, path: *const c_char, mask: u32) -> i32;
}
const IN_OPEN: u32 = 0x20;
const IN_NONBLOCK: i32 = 0o4000;
const IN_CLOEXEC: i32 = 0o2000000;

/// The names of the files opened in a folder.
struct OpenWatch {
    events: File,
}

impl OpenWatch {
    fn new(dir: &Path) -> OpenWatch {
        let fd = unsafe { inotify_init1(IN_NONBLOCK | IN_CLOEXEC) };
        assert!(fd >= 0, "inotify_init1: {}", std::io::Error::last_os_error());
        // SAFETY: a fresh descriptor that nothing else owns.
        let events = unsafe { File::from_raw_fd(fd) };
        let path = CString::new(dir.as_os_str().as_bytes()).unwrap();
        let wd = unsafe { inotify_add_watch(fd, path.as_ptr(), IN_OPEN) };
        assert!(wd >= 0, "inotify_add_watch: {}", std::io::Error::last_os_error());
        OpenWatch { events }
    }

    /// The files opened since the last call, by name.
    fn opened(&mut self) -> Vec<String> {
        let mut names = vec![];
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match self.events.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("reading inotify events: {e}"),
            };
            // struct inotify_event { int wd; u32 mask, cookie, len; char name[len]; }
            let mut i = 0;
            while i + 16 <= n {
                let len = u32::from_ne_bytes(buf[i + 12..i + 16].try_into().unwrap()) as usize;
                let name = &buf[i + 16..i + 16 + len];
                names.push(String::from_utf8_lossy(name).trim_end_matches('\0').to_string());
                i += 16 + len;
            }
        }
        names
    }
}

/// What the UI calls when the owner clicks a conversation (ChatView,
/// Composer, the contact panel).
fn open_chat(h: &Harness, conversation_id: i64, account_id: i64) {
    let id = json!({ "conversation_id": conversation_id });
    h.ok("open_conversation", json!({ "id": conversation_id }));
    h.ok("list_messages", json!({ "conversation_id": conversation_id, "limit": 50 }));
    h.ok("list_templates", json!({ "account_id": account_id }));
    h.ok("account_health", json!({ "account_id": account_id }));
    h.ok("list_notes", id.clone());
    h.ok("list_scheduled", id.clone());
    h.ok("list_quick_replies", json!(null));
    // With no secret store here a due indicator cannot be sent (an error the
    // composer ignores); it is called all the same, as on every keystroke.
    let _ = h.call("owner_typing", id.clone());
    h.ok("save_draft", json!({ "conversation_id": conversation_id, "text": "" }));
}

#[test]
fn opening_chats_opens_no_connection_and_no_secret_store() {
    let h = Harness::new();
    let chats: Vec<(i64, i64)> = h
        .ok("list_conversations", json!({ "filter": "all" }))
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_i64().unwrap(), c["account_id"].as_i64().unwrap()))
        .collect();
    assert!(chats.len() >= 3, "the sample has several chats");
    let mut watch = OpenWatch::new(h.data_dir());

    // The watch sees SQLite open the store (else the test below proves nothing).
    drop(wicket_core::Store::open(&h.data_dir().join("wicket.db")).unwrap());
    assert!(watch.opened().iter().any(|n| n == "wicket.db"), "inotify sees a connection being opened");

    // The first click may probe the secret store once (none answers here: no
    // keychain, no vault passphrase); the next 50 must not probe again.
    open_chat(&h, chats[0].0, chats[0].1);
    let probes = h.app.state::<AppState>().secrets.probes();
    assert!(probes <= 1, "one probe at most on the first click, got {probes}");
    watch.opened();
    for i in 0..50 {
        let (conversation, account) = chats[i % chats.len()];
        open_chat(&h, conversation, account);
    }
    let opened = watch.opened();
    assert!(opened.is_empty(), "opening 50 chats opened files in the data dir (a new connection or vault read per click): {opened:?}");
    assert_eq!(h.app.state::<AppState>().secrets.probes(), probes, "the secret store is probed once per app life, not per click");
}

#[test]
fn attachments_cross_the_ipc_as_raw_bytes() {
    let h = Harness::new();
    let stall = h.ok("list_conversations", json!({ "filter": "all", "account_id": 2 }))[0]["id"].as_i64().unwrap();
    // Every byte value, so nothing on the way treats the body as text.
    let bytes: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();
    let sent = h
        .call_bytes(
            "send_media",
            json!({ "conversation_id": stall, "file_name": "価格表 Ünï.pdf", "mime": "application/pdf", "caption": "½ price" }),
            bytes.clone(),
        )
        .unwrap();
    assert_eq!(sent["media"]["file_name"], "価格表 Ünï.pdf", "file names in any script survive the header");
    assert_eq!(sent["caption"], "½ price");
    let id = sent["media"]["id"].as_i64().unwrap();
    let store = h.app.state::<AppState>();
    let file = wicket_core::media::local_file(&store.store().unwrap(), &store.dir, id).unwrap();
    assert_eq!(std::fs::read(&file.path).unwrap(), bytes, "the stored file is the bytes sent");
}
