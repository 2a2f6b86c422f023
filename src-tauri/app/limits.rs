//! An account's sending limits in Settings → Accounts: the same as
//! `wicket account set ID --max-per-second N --max-per-hour N --recipient-gap S`
//! (`wicket_core::ratelimit`); the engine picks a change up at its next message.

use crate::dto::CommandError;
use crate::state::AppState;
use serde::{Deserialize, Serialize};
use tauri::State;
use ts_rs::TS;
use wicket_core::ratelimit::{self, LimitChanges, Limits};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct LimitsDto {
    pub max_per_second: u32,
    pub max_per_hour: u32,
    /// Seconds between two messages to the same customer (0: none).
    pub recipient_gap_seconds: u32,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct AccountLimitsArgs {
    pub account_id: i64,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct SetLimitsArgs {
    pub account_id: i64,
    pub limits: LimitsDto,
}

fn dto(l: Limits) -> LimitsDto {
    LimitsDto { max_per_second: l.max_per_second, max_per_hour: l.max_per_hour, recipient_gap_seconds: l.recipient_gap_seconds }
}

#[tauri::command]
pub fn account_limits(state: State<'_, AppState>, args: AccountLimitsArgs) -> Result<LimitsDto, CommandError> {
    Ok(dto(Limits::of(&state.store()?.account(args.account_id)?)))
}

#[tauri::command]
pub fn set_account_limits(state: State<'_, AppState>, args: SetLimitsArgs) -> Result<LimitsDto, CommandError> {
    let l = args.limits;
    let changes =
        LimitChanges { max_per_second: Some(l.max_per_second), max_per_hour: Some(l.max_per_hour), recipient_gap_seconds: Some(l.recipient_gap_seconds) };
    let mut store = state.store()?;
    let account = ratelimit::set_limits(&mut store, args.account_id, changes)?;
    Ok(dto(Limits::of(&account)))
}

/// The commands whose answers `tests` records.
#[cfg(test)]
pub const LIMITS_COMMANDS: &[&str] = &["account_limits", "set_account_limits"];

#[cfg(test)]
mod tests {
    use crate::tests::{golden, Harness};
    use serde_json::{json, Value};

    /// Through the real handlers on the sample inbox; recorded as `tests/ui/fixtures/limits.json`.
    #[test]
    fn limits_are_read_changed_and_checked_through_ipc_and_record_the_ui_fixture() {
        let h = Harness::new();
        let meta = h.ok("list_accounts", Value::Null).as_array().unwrap().iter().find(|a| a["provider"] == "meta").unwrap()["id"].clone();
        let defaults = h.ok("account_limits", json!({ "account_id": meta }));
        assert_eq!(defaults, json!({ "max_per_second": 10, "max_per_hour": 1000, "recipient_gap_seconds": 6 }), "Meta's defaults");
        let changed =
            h.ok("set_account_limits", json!({ "account_id": meta, "limits": { "max_per_second": 40, "max_per_hour": 5000, "recipient_gap_seconds": 0 } }));
        assert_eq!(changed, json!({ "max_per_second": 40, "max_per_hour": 5000, "recipient_gap_seconds": 0 }));
        assert_eq!(h.ok("account_limits", json!({ "account_id": meta })), changed, "kept in the account, as `wicket account list` shows it");
        let refused = h
            .call("set_account_limits", json!({ "account_id": meta, "limits": { "max_per_second": 0, "max_per_hour": 5000, "recipient_gap_seconds": 0 } }))
            .unwrap_err();
        assert_eq!(refused["code"], "invalid", "{refused}");
        assert!(refused["message"].as_str().unwrap().contains("messages per second"), "{refused}");
        assert_eq!(h.ok("account_limits", json!({ "account_id": meta })), changed, "a refused change changes nothing");
        let fx = json!({ "account_limits": defaults, "set_account_limits": changed, "set_account_limits_invalid": refused });
        golden("tests/ui/fixtures/limits.json", &(serde_json::to_string_pretty(&fx).unwrap() + "\n"));
    }
}
