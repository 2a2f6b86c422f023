//! The desktop app's preferences, kept in the settings table like every other
//! setting (so `wicket settings set do_not_disturb true` works too):
//!
//! | key | value | default |
//! |---|---|---|
//! | `notifications` | bool | true |
//! | `do_not_disturb` | bool | false |
//! | `quiet_hours` | `"HH:MM-HH:MM"` or null (may wrap past midnight) | null |
//! | `close_to_tray` | bool | true |
//! | `start_at_login` | bool | false |
//! | `typing_indicator` | bool (see [`crate::typing`]) | true |
//!
//! A value of the wrong type reads as the default rather than failing: the
//! window must open even when a hand-edited setting is odd.

use crate::error::{Error, Result};
use crate::notify::Attention;
use crate::store::Store;
use serde::{Deserialize, Serialize};

pub const NOTIFICATIONS: &str = "notifications";
pub const DO_NOT_DISTURB: &str = "do_not_disturb";
pub const QUIET_HOURS: &str = "quiet_hours";
pub const CLOSE_TO_TRAY: &str = "close_to_tray";
pub const START_AT_LOGIN: &str = "start_at_login";
pub const NOTIFICATION_PREVIEWS: &str = "notification_previews";
/// `system`, `light` or `dark`.
pub const THEME: &str = "theme";
pub const CONTACT_SYNC_HOURS: &str = "contact_sync_hours";
/// The longest contact sync interval accepted: a month.
pub const MAX_CONTACT_SYNC_HOURS: f64 = 720.0;
const THEMES: [&str; 3] = ["system", "light", "dark"];

/// Quiet hours as "HH:MM" local times; `from` after `to` wraps past midnight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietHours {
    pub from: String,
    pub to: String,
}

impl QuietHours {
    /// (start, end) in minutes after local midnight.
    pub fn minutes(&self) -> Result<(u32, u32)> {
        Ok((parse_hhmm(&self.from)?, parse_hhmm(&self.to)?))
    }

    pub(crate) fn parse(text: &str) -> Option<QuietHours> {
        let (from, to) = text.split_once('-')?;
        let q = QuietHours { from: from.trim().to_string(), to: to.trim().to_string() };
        q.minutes().ok().map(|_| q)
    }
}

fn parse_hhmm(text: &str) -> Result<u32> {
    let bad = || Error::Invalid(format!("{text:?} is not a time of day: write it as HH:MM, for example 22:00"));
    let (h, m) = text.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h > 23 || m > 59 || text.trim().len() != 5 {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preferences {
    /// Desktop notifications for customer messages at all.
    pub notifications: bool,
    pub do_not_disturb: bool,
    pub quiet_hours: Option<QuietHours>,
    /// Closing the window keeps Wicket in the tray (where there is a tray host).
    pub close_to_tray: bool,
    pub start_at_login: bool,
    /// Meta's typing indicator while the owner writes an answer
    /// ([`crate::typing`]; also off whenever read receipts are).
    pub typing_indicator: bool,
    /// Notifications show what the customer wrote (off: only who).
    pub notification_previews: bool,
    /// `system` (follow the desktop), `light` or `dark`.
    pub theme: String,
    /// The country a number without a country code is read in (ISO code, e.g. GB).
    pub default_country: String,
    /// The owner's time zone (IANA name); None: the system's.
    pub time_zone: Option<String>,
    /// Hours between contact syncs of a gateway account; 0 turns them off.
    pub contact_sync_hours: f64,
}

impl Default for Preferences {
    fn default() -> Preferences {
        Preferences {
            notifications: true,
            do_not_disturb: false,
            quiet_hours: None,
            close_to_tray: true,
            start_at_login: false,
            typing_indicator: true,
            notification_previews: true,
            theme: "system".into(),
            default_country: crate::store::settings::DEFAULT_COUNTRY_CODE.into(),
            time_zone: None,
            contact_sync_hours: crate::engine::DEFAULT_CONTACT_SYNC_HOURS,
        }
    }
}

impl Preferences {
    pub fn load(store: &Store) -> Result<Preferences> {
        let d = Preferences::default();
        let flag = |key: &str, default: bool| -> Result<bool> { Ok(store.setting(key)?.and_then(|v| v.as_bool()).unwrap_or(default)) };
        Ok(Preferences {
            notifications: flag(NOTIFICATIONS, d.notifications)?,
            do_not_disturb: flag(DO_NOT_DISTURB, d.do_not_disturb)?,
            quiet_hours: store.setting_str(QUIET_HOURS)?.as_deref().and_then(QuietHours::parse),
            close_to_tray: flag(CLOSE_TO_TRAY, d.close_to_tray)?,
            start_at_login: flag(START_AT_LOGIN, d.start_at_login)?,
            typing_indicator: flag(crate::typing::SETTING, d.typing_indicator)?,
            notification_previews: flag(NOTIFICATION_PREVIEWS, d.notification_previews)?,
            theme: store.setting_str(THEME)?.filter(|t| THEMES.contains(&t.as_str())).unwrap_or(d.theme),
            default_country: store.default_country()?,
            time_zone: store.setting_str(crate::scheduled::TIME_ZONE)?.filter(|z| !z.trim().is_empty()),
            contact_sync_hours: store.setting(CONTACT_SYNC_HOURS)?.and_then(|v| v.as_f64()).filter(|h| *h >= 0.0).unwrap_or(d.contact_sync_hours),
        })
    }

    /// Checks the quiet hours, then stores every preference in one go.
    pub fn save(&self, store: &mut Store) -> Result<()> {
        let quiet = match &self.quiet_hours {
            Some(q) => {
                let (start, end) = q.minutes()?;
                if start == end {
                    return Err(Error::Invalid("quiet hours must end at another time than they start".into()));
                }
                serde_json::Value::String(format!("{}-{}", q.from.trim(), q.to.trim()))
            }
            None => serde_json::Value::Null,
        };
        if !THEMES.contains(&self.theme.as_str()) {
            return Err(Error::Invalid(format!("the theme is system, light or dark, not {:?}", self.theme)));
        }
        crate::phone::parse_country(&self.default_country)?;
        let country = self.default_country.trim().to_ascii_uppercase();
        let zone = self.time_zone.as_deref().map(str::trim).filter(|z| !z.is_empty());
        if let Some(z) = zone {
            crate::scheduled::time_zone(z)?;
        }
        if !(0.0..=MAX_CONTACT_SYNC_HOURS).contains(&self.contact_sync_hours) || self.contact_sync_hours.is_nan() {
            return Err(Error::Invalid(format!("contacts are synced every 0 (off) to {MAX_CONTACT_SYNC_HOURS} hours, not {}", self.contact_sync_hours)));
        }
        store.set_setting(NOTIFICATIONS, &self.notifications.into())?;
        store.set_setting(DO_NOT_DISTURB, &self.do_not_disturb.into())?;
        store.set_setting(QUIET_HOURS, &quiet)?;
        store.set_setting(CLOSE_TO_TRAY, &self.close_to_tray.into())?;
        store.set_setting(START_AT_LOGIN, &self.start_at_login.into())?;
        store.set_setting(crate::typing::SETTING, &self.typing_indicator.into())?;
        store.set_setting(NOTIFICATION_PREVIEWS, &self.notification_previews.into())?;
        store.set_setting(THEME, &self.theme.clone().into())?;
        store.set_setting(crate::store::settings::DEFAULT_COUNTRY, &country.into())?;
        store.set_setting(crate::scheduled::TIME_ZONE, &zone.map(str::to_string).map(serde_json::Value::String).unwrap_or(serde_json::Value::Null))?;
        store.set_setting(CONTACT_SYNC_HOURS, &self.contact_sync_hours.into())?;
        Ok(())
    }

    /// What `notify::decide` needs, or `None` when notifications are off.
    /// `now_minutes`: the local time of day in minutes after midnight.
    pub fn attention(&self, focused_conversation: Option<i64>, now_minutes: u32, locked: bool) -> Option<Attention> {
        if !self.notifications {
            return None;
        }
        Some(Attention {
            focused_conversation,
            do_not_disturb: self.do_not_disturb,
            quiet_hours: self.quiet_hours.as_ref().and_then(|q| q.minutes().ok()),
            now_minutes,
            locked,
            hide_previews: !self.notification_previews,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("wicket.db")).unwrap();
        (dir, store)
    }

    #[test]
    fn defaults_then_round_trip() {
        let (_d, mut store) = store();
        assert_eq!(Preferences::load(&store).unwrap(), Preferences::default());
        let p = Preferences {
            notifications: true,
            do_not_disturb: true,
            quiet_hours: Some(QuietHours { from: "22:00".into(), to: "07:30".into() }),
            close_to_tray: false,
            start_at_login: true,
            typing_indicator: false,
            notification_previews: false,
            theme: "dark".into(),
            default_country: "gb".into(),
            time_zone: Some("Europe/London".into()),
            contact_sync_hours: 12.0,
        };
        p.save(&mut store).unwrap();
        assert_eq!(Preferences::load(&store).unwrap(), Preferences { default_country: "GB".into(), ..p.clone() }, "the country code is stored in capitals");
        // The same settings the CLI reads and writes.
        assert_eq!(store.default_country().unwrap(), "GB");
        assert_eq!(store.setting_str("time_zone").unwrap().as_deref(), Some("Europe/London"));
        assert_eq!(store.setting("contact_sync_hours").unwrap(), Some(serde_json::json!(12.0)));
        assert!(p.attention(None, 0, false).unwrap().hide_previews, "previews off reach the notifications");
        assert_eq!(store.setting_str(QUIET_HOURS).unwrap().as_deref(), Some("22:00-07:30"), "readable in `wicket settings list`");
        let a = p.attention(Some(4), 23 * 60, false).unwrap();
        assert_eq!((a.quiet_hours, a.do_not_disturb, a.focused_conversation), (Some((1320, 450)), true, Some(4)));
        let off = Preferences { notifications: false, ..p };
        assert!(off.attention(None, 0, false).is_none(), "notifications off: nothing to decide");
    }

    #[test]
    fn bad_theme_country_zone_or_interval_are_refused_and_change_nothing() {
        let (_d, mut store) = store();
        let bad = [
            Preferences { theme: "sepia".into(), ..Default::default() },
            Preferences { default_country: "XX1".into(), ..Default::default() },
            Preferences { time_zone: Some("Mars/Olympus".into()), ..Default::default() },
            Preferences { contact_sync_hours: -1.0, ..Default::default() },
            Preferences { contact_sync_hours: 10_000.0, ..Default::default() },
        ];
        for p in bad {
            assert!(matches!(p.save(&mut store), Err(Error::Invalid(_))), "{p:?} must be refused");
        }
        assert_eq!(Preferences::load(&store).unwrap(), Preferences::default(), "nothing was stored");
        let system = Preferences { time_zone: Some("  ".into()), contact_sync_hours: 0.0, ..Default::default() };
        system.save(&mut store).unwrap();
        let back = Preferences::load(&store).unwrap();
        assert_eq!((back.time_zone, back.contact_sync_hours), (None, 0.0), "blank: the system's zone; 0: syncs off");
    }

    #[test]
    fn bad_times_are_refused_and_odd_values_read_as_defaults() {
        let (_d, mut store) = store();
        for (from, to) in [("25:00", "07:00"), ("22:00", "7"), ("22:00", "22:00"), ("ten", "07:00")] {
            let p = Preferences { quiet_hours: Some(QuietHours { from: from.into(), to: to.into() }), ..Default::default() };
            assert!(matches!(p.save(&mut store), Err(Error::Invalid(_))), "{from}-{to} must be refused");
        }
        store.set_setting(DO_NOT_DISTURB, &serde_json::json!("yes")).unwrap();
        store.set_setting(QUIET_HOURS, &serde_json::json!("late")).unwrap();
        assert_eq!(Preferences::load(&store).unwrap(), Preferences::default());
    }
}
