//! Generates `ui/src/bindings/index.ts`: the TypeScript of every command
//! (its argument and result types), event and payload, from the Rust types.
//! The test `bindings_are_current` fails when the file is stale;
//! `WICKET_UPDATE_GOLDEN=1 cargo test -p wicket-desktop` rewrites it.

use crate::about::{AboutDto, Folder, FolderArgs};
use crate::alerts::AlertDto;
use crate::applock::{LockIdleArgs, LockSetPassphraseArgs, LockStatusDto, UnlockAppArgs};
use crate::away::{AutoRepliesDto, DayHoursDto, HoursRangeDto, SetAutoRepliesArgs};
use crate::backups::{
    BackupCountsDto, BackupCreateArgs, BackupCreatedDto, BackupFileDto, BackupRestoreArgs, BackupRestoredDto, BackupScheduleArgs, BackupStatusDto,
    ContactEraseArgs, ContactErasedDto, ContactExportArgs, ContactExportDto,
};
use crate::bulk::{BulkArgs, BulkJobDto, BulkListArgs, BulkReasonDto, BulkReportDto, BulkRowDto, BulkStartDto};
use crate::contact_merge::{
    ContactIdArgs, ContactMergeArgs, ContactMergeUndoArgs, ContactMergeUndoneDto, ContactMergedDto, MergeCandidateDto, MergeSuggestionDto, MergeUndoOfferDto,
    SuggestionDismissArgs,
};
use crate::conversation_actions::{ConversationFlagsArgs, ConversationLabelsArgs};
use crate::craft::{
    AddNoteArgs, EditNoteArgs, FileArg, FillQuickReplyArgs, FilledQuickReplyDto, NoteDto, NotesArgs, QuickReplyDto, SaveQuickReplyArgs, ShortcutArgs,
};
use crate::dto::*;
use crate::dto_account::{AccountHealthDto, AttentionDto, HistoryImportDto, TypingArgs};
use crate::events::{self, MessageReceivedEvent, SyncProgressEvent};
use crate::jobs::JobDto;
use crate::limits::{AccountLimitsArgs, LimitsDto, SetLimitsArgs};
use crate::media_cache::{MediaPruneDto, MediaUsageDto, SetMediaLimitArgs};
use crate::notifications::{OpenConversationEvent, OPEN_CONVERSATION};
use crate::owner_settings::{
    DataExportArgs, DataExportDto, DataImportArgs, ImportedTableDto, PollingDto, SetPollingArgs, SetWebhookListenerArgs, WebhookListenerDto,
};
use crate::public_address::{PublicAddressStatusDto, PUBLIC_ADDRESS_HEALTH};
use crate::scheduled::{ScheduleTemplateArgs, ScheduleTextArgs, ScheduledDto, ScheduledListArgs};
use crate::settings::{FocusArgs, PreferencesDto, QuietHoursDto};
use crate::snooze::{AddReminderArgs, ListRemindersArgs, ReminderDto, SnoozeArgs};
use crate::stats::{DayCountDto, FailureCountDto, StatsArgs, StatsDto, WebhookCountsDto};
use ts_rs::{Config, TS};
use wicket_core::error::ErrorKind;
use wicket_core::model::{AccountStatus, Direction, MediaState, MessageKind, MessageStatus, Origin, Provider};

/// The commands: (name, argument type or `None`, result type). `main.rs`
/// registers the same names; `tests.rs` checks every one answers.
pub fn commands(cfg: &Config) -> Vec<(&'static str, Option<String>, String)> {
    vec![
        ("app_info", None, AppInfo::name(cfg)),
        ("list_accounts", None, <Vec<AccountDto>>::name(cfg)),
        ("list_conversations", Some(ListConversationsArgs::name(cfg)), <Vec<ConversationDto>>::name(cfg)),
        ("list_messages", Some(ListMessagesArgs::name(cfg)), <Vec<MessageDto>>::name(cfg)),
        ("open_conversation", Some(IdArgs::name(cfg)), ConversationDto::name(cfg)),
        ("send_text", Some(SendTextArgs::name(cfg)), MessageDto::name(cfg)),
        ("search", Some(SearchArgs::name(cfg)), <Vec<SearchHitDto>>::name(cfg)),
        ("save_draft", Some(SaveDraftArgs::name(cfg)), "null".into()),
        ("list_labels", None, <Vec<String>>::name(cfg)),
        ("retry_message", Some(IdArgs::name(cfg)), MessageDto::name(cfg)),
        ("retry_media", Some(IdArgs::name(cfg)), MediaDto::name(cfg)),
        ("open_media", Some(IdArgs::name(cfg)), "null".into()),
        ("send_media", Some(SendMediaArgs::name(cfg)), MessageDto::name(cfg)),
        ("list_templates", Some(AccountArgs::name(cfg)), <Vec<TemplateDto>>::name(cfg)),
        ("send_template", Some(SendTemplateArgs::name(cfg)), MessageDto::name(cfg)),
        ("wizard_test_meta", Some(WizardMetaArgs::name(cfg)), ConnectionInfoDto::name(cfg)),
        ("wizard_add_meta", Some(WizardMetaArgs::name(cfg)), WizardAddedDto::name(cfg)),
        ("wizard_add_wasender", Some(WizardWasenderArgs::name(cfg)), WizardAddedDto::name(cfg)),
        ("wizard_unipile_accounts", Some(WizardUnipileArgs::name(cfg)), <Vec<UnipileAccountDto>>::name(cfg)),
        ("wizard_add_unipile", Some(WizardAddUnipileArgs::name(cfg)), <Vec<WizardAddedDto>>::name(cfg)),
        ("wizard_import_env", Some(WizardPathArgs::name(cfg)), EnvImportDto::name(cfg)),
        ("wizard_create_from_env", Some(WizardPathArgs::name(cfg)), <Vec<WizardAddedDto>>::name(cfg)),
        ("wizard_add_demo", None, AccountDto::name(cfg)),
        ("wizard_first_sync", Some(WizardSyncArgs::name(cfg)), <Vec<FirstSyncStepDto>>::name(cfg)),
        ("wizard_test_wasender", Some(WizardWasenderArgs::name(cfg)), ConnectionInfoDto::name(cfg)),
        ("wizard_import_env_text", Some(WizardTextArgs::name(cfg)), EnvImportDto::name(cfg)),
        ("wizard_create_from_env_text", Some(WizardTextArgs::name(cfg)), <Vec<WizardAddedDto>>::name(cfg)),
        ("wizard_unipile_connect", Some(WizardUnipileArgs::name(cfg)), UnipileLinkDto::name(cfg)),
        ("wizard_unipile_wait", Some(WizardUnipileWaitArgs::name(cfg)), UnipileAccountDto::name(cfg)),
        ("wizard_import_export", Some(WizardExportArgs::name(cfg)), <Vec<WizardAddedDto>>::name(cfg)),
        ("accounts_set_enabled", Some(AccountEnabledArgs::name(cfg)), AccountDto::name(cfg)),
        ("accounts_remove", Some(WizardSyncArgs::name(cfg)), "null".into()),
        ("wizard_public_address", Some(WizardSyncArgs::name(cfg)), PublicAddressDto::name(cfg)),
        ("wizard_start_listener", Some(WizardListenArgs::name(cfg)), ListenerDto::name(cfg)),
        ("wizard_start_tunnel", Some(WizardTunnelArgs::name(cfg)), TunnelStartedDto::name(cfg)),
        ("wizard_check_public", Some(WizardCheckArgs::name(cfg)), SelfCheckDto::name(cfg)),
        ("app_about", None, AboutDto::name(cfg)),
        ("list_jobs", None, <Vec<JobDto>>::name(cfg)),
        ("list_alerts", None, <Vec<AlertDto>>::name(cfg)),
        ("get_stats", Some(StatsArgs::name(cfg)), StatsDto::name(cfg)),
        ("search_conversation", Some(SearchConversationArgs::name(cfg)), <Vec<i64>>::name(cfg)),
        ("set_conversation_flags", Some(ConversationFlagsArgs::name(cfg)), ConversationDto::name(cfg)),
        ("set_conversation_labels", Some(ConversationLabelsArgs::name(cfg)), ConversationDto::name(cfg)),
        ("mark_unread", Some(IdArgs::name(cfg)), ConversationDto::name(cfg)),
        ("account_limits", Some(AccountLimitsArgs::name(cfg)), LimitsDto::name(cfg)),
        ("set_account_limits", Some(SetLimitsArgs::name(cfg)), LimitsDto::name(cfg)),
        ("open_folder", Some(FolderArgs::name(cfg)), "null".into()),
        ("vault_status", None, VaultStatusDto::name(cfg)),
        ("unlock_vault", Some(UnlockVaultArgs::name(cfg)), VaultStatusDto::name(cfg)),
        ("passphrase_strength", Some(PassphraseArgs::name(cfg)), PassphraseStrengthDto::name(cfg)),
        ("public_address_status", None, PublicAddressStatusDto::name(cfg)),
        ("public_address_stop", None, PublicAddressStatusDto::name(cfg)),
        ("public_address_restart", None, PublicAddressStatusDto::name(cfg)),
        ("get_preferences", None, PreferencesDto::name(cfg)),
        ("set_preferences", Some(PreferencesDto::name(cfg)), PreferencesDto::name(cfg)),
        ("set_focused_conversation", Some(FocusArgs::name(cfg)), "null".into()),
        ("account_health", Some(AccountArgs::name(cfg)), AccountHealthDto::name(cfg)),
        ("owner_typing", Some(TypingArgs::name(cfg)), "\"sent\" | \"too_soon\" | \"off\" | \"nothing_to_answer\" | \"not_supported\"".into()),
        ("schedule_text", Some(ScheduleTextArgs::name(cfg)), ScheduledDto::name(cfg)),
        ("schedule_template", Some(ScheduleTemplateArgs::name(cfg)), ScheduledDto::name(cfg)),
        ("list_scheduled", Some(ScheduledListArgs::name(cfg)), <Vec<ScheduledDto>>::name(cfg)),
        ("cancel_scheduled", Some(IdArgs::name(cfg)), ScheduledDto::name(cfg)),
        ("bulk_check", Some(BulkArgs::name(cfg)), BulkReportDto::name(cfg)),
        ("bulk_start", Some(BulkArgs::name(cfg)), BulkStartDto::name(cfg)),
        ("bulk_jobs", Some(BulkListArgs::name(cfg)), <Vec<BulkJobDto>>::name(cfg)),
        ("bulk_job", Some(IdArgs::name(cfg)), BulkJobDto::name(cfg)),
        ("bulk_pause", Some(IdArgs::name(cfg)), BulkJobDto::name(cfg)),
        ("bulk_resume", Some(IdArgs::name(cfg)), BulkJobDto::name(cfg)),
        ("bulk_cancel", Some(IdArgs::name(cfg)), BulkJobDto::name(cfg)),
        ("list_quick_replies", None, <Vec<QuickReplyDto>>::name(cfg)),
        ("save_quick_reply", Some(SaveQuickReplyArgs::name(cfg)), QuickReplyDto::name(cfg)),
        ("remove_quick_reply", Some(ShortcutArgs::name(cfg)), QuickReplyDto::name(cfg)),
        ("fill_quick_reply", Some(FillQuickReplyArgs::name(cfg)), FilledQuickReplyDto::name(cfg)),
        ("list_notes", Some(NotesArgs::name(cfg)), <Vec<NoteDto>>::name(cfg)),
        ("add_note", Some(AddNoteArgs::name(cfg)), NoteDto::name(cfg)),
        ("edit_note", Some(EditNoteArgs::name(cfg)), NoteDto::name(cfg)),
        ("delete_note", Some(IdArgs::name(cfg)), NoteDto::name(cfg)),
        ("snooze_conversation", Some(SnoozeArgs::name(cfg)), ConversationDto::name(cfg)),
        ("unsnooze_conversation", Some(IdArgs::name(cfg)), ConversationDto::name(cfg)),
        ("add_reminder", Some(AddReminderArgs::name(cfg)), ReminderDto::name(cfg)),
        ("list_reminders", Some(ListRemindersArgs::name(cfg)), <Vec<ReminderDto>>::name(cfg)),
        ("cancel_reminder", Some(IdArgs::name(cfg)), ReminderDto::name(cfg)),
        ("backup_status", None, BackupStatusDto::name(cfg)),
        ("backup_set_schedule", Some(BackupScheduleArgs::name(cfg)), BackupStatusDto::name(cfg)),
        ("backup_create", Some(BackupCreateArgs::name(cfg)), BackupCreatedDto::name(cfg)),
        ("backup_restore", Some(BackupRestoreArgs::name(cfg)), BackupRestoredDto::name(cfg)),
        ("contact_export", Some(ContactExportArgs::name(cfg)), ContactExportDto::name(cfg)),
        ("contact_erase", Some(ContactEraseArgs::name(cfg)), ContactErasedDto::name(cfg)),
        ("contact_merge_candidates", Some(ContactIdArgs::name(cfg)), <Vec<MergeCandidateDto>>::name(cfg)),
        ("contact_merge", Some(ContactMergeArgs::name(cfg)), ContactMergedDto::name(cfg)),
        ("contact_merge_undo", Some(ContactMergeUndoArgs::name(cfg)), ContactMergeUndoneDto::name(cfg)),
        ("contact_merge_undo_offer", Some(ContactIdArgs::name(cfg)), <Option<MergeUndoOfferDto>>::name(cfg)),
        ("contact_suggestions", Some(ContactIdArgs::name(cfg)), <Vec<MergeSuggestionDto>>::name(cfg)),
        ("contact_suggestion_dismiss", Some(SuggestionDismissArgs::name(cfg)), "null".into()),
        ("webhook_listener", None, WebhookListenerDto::name(cfg)),
        ("set_webhook_listener", Some(SetWebhookListenerArgs::name(cfg)), WebhookListenerDto::name(cfg)),
        ("account_polling", Some(AccountArgs::name(cfg)), PollingDto::name(cfg)),
        ("set_account_polling", Some(SetPollingArgs::name(cfg)), PollingDto::name(cfg)),
        ("data_export", Some(DataExportArgs::name(cfg)), DataExportDto::name(cfg)),
        ("data_import", Some(DataImportArgs::name(cfg)), <Vec<ImportedTableDto>>::name(cfg)),
        ("get_auto_replies", None, AutoRepliesDto::name(cfg)),
        ("set_auto_replies", Some(SetAutoRepliesArgs::name(cfg)), AutoRepliesDto::name(cfg)),
        ("lock_status", None, LockStatusDto::name(cfg)),
        ("lock_now", None, LockStatusDto::name(cfg)),
        ("unlock_app", Some(UnlockAppArgs::name(cfg)), LockStatusDto::name(cfg)),
        ("lock_set_passphrase", Some(LockSetPassphraseArgs::name(cfg)), LockStatusDto::name(cfg)),
        ("lock_turn_off", Some(UnlockAppArgs::name(cfg)), LockStatusDto::name(cfg)),
        ("lock_set_idle", Some(LockIdleArgs::name(cfg)), LockStatusDto::name(cfg)),
        ("media_usage", None, MediaUsageDto::name(cfg)),
        ("set_media_limit", Some(SetMediaLimitArgs::name(cfg)), MediaPruneDto::name(cfg)),
        ("media_prune", None, MediaPruneDto::name(cfg)),
        ("redownload_media", Some(IdArgs::name(cfg)), MediaDto::name(cfg)),
    ]
}

fn union(values: impl IntoIterator<Item = &'static str>) -> String {
    values.into_iter().map(|v| format!("{v:?}")).collect::<Vec<_>>().join(" | ")
}

pub fn typescript() -> String {
    // Ids and Unix-millisecond times fit a JavaScript number exactly.
    let cfg = Config::new().with_large_int("number");
    let mut out = String::from(
        "// Generated from the Rust types of src-tauri/app (bindings.rs): do not edit.\n\
         // Regenerate: WICKET_UPDATE_GOLDEN=1 cargo test -p wicket-desktop bindings\n\n",
    );
    // The core's enums, by their wire names.
    let enums: [(&str, String); 8] = [
        ("Provider", union(Provider::ALL.iter().map(|v| v.as_str()))),
        ("AccountStatus", union(AccountStatus::ALL.iter().map(|v| v.as_str()))),
        ("Direction", union(Direction::ALL.iter().map(|v| v.as_str()))),
        ("Origin", union(Origin::ALL.iter().map(|v| v.as_str()))),
        ("MessageKind", union(MessageKind::ALL.iter().map(|v| v.as_str()))),
        ("MessageStatus", union(MessageStatus::ALL.iter().map(|v| v.as_str()))),
        ("MediaState", union(MediaState::ALL.iter().map(|v| v.as_str()))),
        (
            "ErrorKind",
            union(
                [
                    ErrorKind::RateLimited,
                    ErrorKind::OutsideWindow,
                    ErrorKind::InvalidRecipient,
                    ErrorKind::Auth,
                    ErrorKind::Template,
                    ErrorKind::Media,
                    ErrorKind::SessionDisconnected,
                    ErrorKind::Unavailable,
                    ErrorKind::Unknown,
                    ErrorKind::OutcomeUnknown,
                ]
                .map(ErrorKind::as_str),
            ),
        ),
    ];
    for (name, values) in enums {
        out.push_str(&format!("export type {name} = {values};\n\n"));
    }
    let decls = [
        CommandError::decl(&cfg),
        AccountDto::decl(&cfg),
        ConversationDto::decl(&cfg),
        MediaDto::decl(&cfg),
        LocationDto::decl(&cfg),
        SharedContactDto::decl(&cfg),
        OrderDto::decl(&cfg),
        OrderItemDto::decl(&cfg),
        ReferralDto::decl(&cfg),
        ReactionDto::decl(&cfg),
        QuoteDto::decl(&cfg),
        MessageErrorDto::decl(&cfg),
        MessageDto::decl(&cfg),
        TemplateDto::decl(&cfg),
        SearchHitDto::decl(&cfg),
        EngineState::decl(&cfg),
        AppInfo::decl(&cfg),
        ListFilter::decl(&cfg),
        ConversationCursor::decl(&cfg),
        ListConversationsArgs::decl(&cfg),
        ListMessagesArgs::decl(&cfg),
        IdArgs::decl(&cfg),
        SendTextArgs::decl(&cfg),
        SearchArgs::decl(&cfg),
        AccountArgs::decl(&cfg),
        SendMediaArgs::decl(&cfg),
        TemplateParamArg::decl(&cfg),
        ButtonParamArg::decl(&cfg),
        SendTemplateArgs::decl(&cfg),
        SaveDraftArgs::decl(&cfg),
        WizardMetaArgs::decl(&cfg),
        WizardWasenderArgs::decl(&cfg),
        WizardUnipileArgs::decl(&cfg),
        WizardAddUnipileArgs::decl(&cfg),
        WizardPathArgs::decl(&cfg),
        WizardSyncArgs::decl(&cfg),
        ConnectionInfoDto::decl(&cfg),
        WizardAddedDto::decl(&cfg),
        UnipileAccountDto::decl(&cfg),
        EnvImportDto::decl(&cfg),
        WizardProgress::decl(&cfg),
        FirstSyncStepDto::decl(&cfg),
        AccountEnabledArgs::decl(&cfg),
        WizardTextArgs::decl(&cfg),
        WizardExportArgs::decl(&cfg),
        UnipileLinkDto::decl(&cfg),
        WizardUnipileWaitArgs::decl(&cfg),
        TunnelToolDto::decl(&cfg),
        PublicAddressDto::decl(&cfg),
        WizardListenArgs::decl(&cfg),
        ListenerDto::decl(&cfg),
        WizardTunnelArgs::decl(&cfg),
        RegistrationDto::decl(&cfg),
        TunnelStartedDto::decl(&cfg),
        WizardCheckArgs::decl(&cfg),
        CheckStepDto::decl(&cfg),
        SelfCheckDto::decl(&cfg),
        PublicAddressChanged::decl(&cfg),
        PublicAddressStatusDto::decl(&cfg),
        AboutDto::decl(&cfg),
        JobDto::decl(&cfg),
        AlertDto::decl(&cfg),
        StatsArgs::decl(&cfg),
        FailureCountDto::decl(&cfg),
        DayCountDto::decl(&cfg),
        WebhookCountsDto::decl(&cfg),
        StatsDto::decl(&cfg),
        SearchConversationArgs::decl(&cfg),
        ConversationFlagsArgs::decl(&cfg),
        ConversationLabelsArgs::decl(&cfg),
        LimitsDto::decl(&cfg),
        AccountLimitsArgs::decl(&cfg),
        SetLimitsArgs::decl(&cfg),
        Folder::decl(&cfg),
        FolderArgs::decl(&cfg),
        VaultStatusDto::decl(&cfg),
        PassphraseStrengthDto::decl(&cfg),
        PassphraseArgs::decl(&cfg),
        UnlockVaultArgs::decl(&cfg),
        QuietHoursDto::decl(&cfg),
        PreferencesDto::decl(&cfg),
        FocusArgs::decl(&cfg),
        AttentionDto::decl(&cfg),
        HistoryImportDto::decl(&cfg),
        AccountHealthDto::decl(&cfg),
        TypingArgs::decl(&cfg),
        ScheduledDto::decl(&cfg),
        ScheduleTextArgs::decl(&cfg),
        ScheduleTemplateArgs::decl(&cfg),
        ScheduledListArgs::decl(&cfg),
        BulkArgs::decl(&cfg),
        BulkRowDto::decl(&cfg),
        BulkReportDto::decl(&cfg),
        BulkReasonDto::decl(&cfg),
        BulkJobDto::decl(&cfg),
        BulkStartDto::decl(&cfg),
        BulkListArgs::decl(&cfg),
        QuickReplyDto::decl(&cfg),
        FileArg::decl(&cfg),
        SaveQuickReplyArgs::decl(&cfg),
        ShortcutArgs::decl(&cfg),
        FillQuickReplyArgs::decl(&cfg),
        FilledQuickReplyDto::decl(&cfg),
        NoteDto::decl(&cfg),
        NotesArgs::decl(&cfg),
        AddNoteArgs::decl(&cfg),
        EditNoteArgs::decl(&cfg),
        BackupCountsDto::decl(&cfg),
        BackupFileDto::decl(&cfg),
        BackupStatusDto::decl(&cfg),
        BackupScheduleArgs::decl(&cfg),
        BackupCreateArgs::decl(&cfg),
        BackupCreatedDto::decl(&cfg),
        BackupRestoreArgs::decl(&cfg),
        BackupRestoredDto::decl(&cfg),
        ContactExportArgs::decl(&cfg),
        ContactExportDto::decl(&cfg),
        ContactEraseArgs::decl(&cfg),
        ContactErasedDto::decl(&cfg),
        ContactIdArgs::decl(&cfg),
        ContactMergeArgs::decl(&cfg),
        ContactMergeUndoArgs::decl(&cfg),
        SuggestionDismissArgs::decl(&cfg),
        MergeCandidateDto::decl(&cfg),
        ContactMergedDto::decl(&cfg),
        ContactMergeUndoneDto::decl(&cfg),
        MergeUndoOfferDto::decl(&cfg),
        MergeSuggestionDto::decl(&cfg),
        WebhookListenerDto::decl(&cfg),
        SetWebhookListenerArgs::decl(&cfg),
        PollingDto::decl(&cfg),
        SetPollingArgs::decl(&cfg),
        DataExportArgs::decl(&cfg),
        DataExportDto::decl(&cfg),
        DataImportArgs::decl(&cfg),
        ImportedTableDto::decl(&cfg),
        HoursRangeDto::decl(&cfg),
        DayHoursDto::decl(&cfg),
        AutoRepliesDto::decl(&cfg),
        SetAutoRepliesArgs::decl(&cfg),
        LockStatusDto::decl(&cfg),
        UnlockAppArgs::decl(&cfg),
        LockSetPassphraseArgs::decl(&cfg),
        LockIdleArgs::decl(&cfg),
        MediaUsageDto::decl(&cfg),
        MediaPruneDto::decl(&cfg),
        SetMediaLimitArgs::decl(&cfg),
        MessageReceivedEvent::decl(&cfg),
        SyncProgressEvent::decl(&cfg),
        OpenConversationEvent::decl(&cfg),
        SnoozeArgs::decl(&cfg),
        AddReminderArgs::decl(&cfg),
        ListRemindersArgs::decl(&cfg),
        ReminderDto::decl(&cfg),
    ];
    for d in decls {
        out.push_str(&format!("export {d}\n\n"));
    }
    out.push_str("/** Every command: its `args` (passed as `{ args }`) and its result. */\nexport type Commands = {\n");
    for (name, args, result) in commands(&cfg) {
        out.push_str(&format!("  {name}: {{ args: {}; result: {result} }};\n", args.unwrap_or_else(|| "null".into())));
    }
    out.push_str("};\n\n/** Every event the shell emits, with its payload. */\nexport type Events = {\n");
    for (name, payload) in [
        (events::MESSAGE_CHANGED, MessageDto::name(&cfg)),
        (events::CONVERSATION_CHANGED, ConversationDto::name(&cfg)),
        (events::STORE_CHANGED, "null".into()),
        (events::ENGINE_CHANGED, EngineState::name(&cfg)),
        (crate::wizard::WIZARD_PROGRESS, WizardProgress::name(&cfg)),
        (events::MESSAGE_RECEIVED, MessageReceivedEvent::name(&cfg)),
        (events::STATUS_CHANGED, MessageDto::name(&cfg)),
        (events::CONVERSATION_UPDATED, ConversationDto::name(&cfg)),
        (events::SYNC_PROGRESS, SyncProgressEvent::name(&cfg)),
        (events::ACCOUNT_STATE, AccountDto::name(&cfg)),
        (OPEN_CONVERSATION, OpenConversationEvent::name(&cfg)),
        (crate::wizard::PUBLIC_ADDRESS_CHANGED, PublicAddressChanged::name(&cfg)),
        (PUBLIC_ADDRESS_HEALTH, PublicAddressStatusDto::name(&cfg)),
        (crate::alerts::ALERTS_CHANGED, "null".into()),
    ] {
        out.push_str(&format!("  {name:?}: {payload};\n"));
    }
    out.push_str("};\n");
    out
}
