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
    "list_labels",
    "retry_message",
    "retry_media",
    "open_media",
    "send_media",
    "list_templates",
    "send_template",
    "wizard_test_meta",
    "wizard_add_meta",
    "wizard_add_wasender",
    "wizard_unipile_accounts",
    "wizard_add_unipile",
    "wizard_import_env",
    "wizard_create_from_env",
    "wizard_add_demo",
    "wizard_first_sync",
];
