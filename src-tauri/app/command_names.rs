// The names of the app's commands, shared by build.rs (one permission per
// command) and the tests (each must be registered, permitted and typed).
// `main.rs` registers the handlers; `bindings.rs` gives their TypeScript.
pub const COMMANDS: &[&str] = &[
    "app_info",
    "list_accounts",
    "list_conversations",
    "list_messages",
    "open_conversation",
    "send_text",
    "search",
    "save_draft",
];
