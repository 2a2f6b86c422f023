//! Every setting an owner can change, with its default, a line saying what it
//! does and a check of its value: what `wicket settings list` shows and what
//! `wicket settings set` accepts. The settings table also keeps the app's own
//! state (cursors, health, the data dir's id); those keys are not settings and
//! `settings set` refuses them like any unknown key, naming the known ones.

use crate::error::{Error, Result};
use crate::store::Store;
use serde_json::{json, Value};

/// One owner setting.
pub struct Setting {
    pub key: &'static str,
    /// The value in effect while the owner has not set one.
    pub default: fn() -> Value,
    pub about: &'static str,
    /// Refuses a value the readers of this setting would not understand.
    pub check: fn(&Value) -> Result<()>,
}

fn boolean(v: &Value) -> Result<()> {
    v.as_bool().map(|_| ()).ok_or_else(|| Error::Invalid(format!("this setting is true or false, not {v}")))
}

fn whole_at_least_one(v: &Value) -> Result<()> {
    match v.as_i64() {
        Some(n) if n >= 1 => Ok(()),
        _ => Err(Error::Invalid(format!("this setting is a whole number, 1 or more, not {v}"))),
    }
}

fn text(v: &Value) -> Result<()> {
    v.as_str().map(|_| ()).ok_or_else(|| Error::Invalid(format!("this setting is text, not {v}")))
}

fn text_or_null(v: &Value) -> Result<()> {
    if v.is_null() {
        Ok(())
    } else {
        text(v)
    }
}

fn quiet_hours(v: &Value) -> Result<()> {
    match v {
        Value::Null => Ok(()),
        Value::String(s) if crate::prefs::QuietHours::parse(s).is_some() => Ok(()),
        _ => Err(Error::Invalid(format!("quiet hours are \"HH:MM-HH:MM\" (for example \"22:00-07:00\") or null, not {v}"))),
    }
}

fn theme(v: &Value) -> Result<()> {
    match v.as_str() {
        Some("system" | "light" | "dark") => Ok(()),
        _ => Err(Error::Invalid(format!("the theme is \"system\", \"light\" or \"dark\", not {v}"))),
    }
}

fn contact_sync_hours(v: &Value) -> Result<()> {
    match v.as_f64() {
        Some(h) if (0.0..=crate::prefs::MAX_CONTACT_SYNC_HOURS).contains(&h) => Ok(()),
        _ => Err(Error::Invalid(format!("contacts are synced every 0 (off) to {} hours, not {v}", crate::prefs::MAX_CONTACT_SYNC_HOURS))),
    }
}

fn country(v: &Value) -> Result<()> {
    crate::phone::parse_country(v.as_str().unwrap_or_default()).map(|_| ())
}

fn time_zone(v: &Value) -> Result<()> {
    match v {
        Value::Null => Ok(()),
        Value::String(z) if z.trim().is_empty() => Ok(()),
        Value::String(z) => crate::scheduled::time_zone(z.trim()).map(|_| ()),
        _ => Err(Error::Invalid(format!("the time zone is an IANA name such as Europe/London, not {v}"))),
    }
}

fn keywords(v: &Value) -> Result<()> {
    crate::optout::parse_list(v).map(|_| ())
}

fn listen(v: &Value) -> Result<()> {
    match v {
        Value::Null | Value::Bool(_) => Ok(()),
        Value::String(a) => a
            .parse::<std::net::SocketAddr>()
            .map(|_| ())
            .map_err(|_| Error::Invalid(format!("the listener is true, false or \"ADDR:PORT\" such as 127.0.0.1:8765, not {a:?}"))),
        _ => Err(Error::Invalid(format!("the listener is true, false or \"ADDR:PORT\", not {v}"))),
    }
}

fn positive_hours(v: &Value) -> Result<()> {
    match v.as_f64() {
        Some(h) if h > 0.0 => Ok(()),
        _ => Err(Error::Invalid(format!("this setting is a number of hours above 0, not {v}"))),
    }
}

fn object(v: &Value) -> Result<()> {
    if v.is_object() || v.is_null() {
        Ok(())
    } else {
        Err(Error::Invalid(format!("this setting is a JSON object (written by the public-address step), not {v}")))
    }
}

/// The automatic replies' settings are checked by their own module (`away`).
fn opening_hours(v: &Value) -> Result<()> {
    crate::away::check(crate::away::OPENING_HOURS, v).unwrap_or(Ok(()))
}

fn holidays(v: &Value) -> Result<()> {
    crate::away::check(crate::away::HOLIDAYS, v).unwrap_or(Ok(()))
}

fn away_message(v: &Value) -> Result<()> {
    crate::away::check(crate::away::AWAY_MESSAGE, v).unwrap_or(Ok(()))
}

fn greeting_message(v: &Value) -> Result<()> {
    crate::away::check(crate::away::GREETING_MESSAGE, v).unwrap_or(Ok(()))
}

/// Every owner setting, in the order `settings list` shows them.
pub const SETTINGS: &[Setting] = &[
    Setting {
        key: crate::store::settings::DEFAULT_COUNTRY,
        default: || json!(crate::store::settings::DEFAULT_COUNTRY_CODE),
        about: "country of numbers typed without a country code (ISO code, e.g. GB)",
        check: country,
    },
    Setting {
        key: crate::scheduled::TIME_ZONE,
        default: || Value::Null,
        about: "time zone for scheduled sends and statistics (IANA name; null: the system's)",
        check: time_zone,
    },
    Setting {
        key: crate::away::OPENING_HOURS,
        default: || json!(""),
        about: "opening hours per weekday, e.g. \"mon-fri 09:00-17:30; sat 10:00-14:00\" (empty: always open)",
        check: opening_hours,
    },
    Setting { key: crate::away::HOLIDAYS, default: || json!(""), about: "whole days closed: YYYY-MM-DD separated by commas", check: holidays },
    Setting {
        key: crate::away::AWAY_MESSAGE,
        default: || json!(""),
        about: "sent once per closed period to a customer who writes while closed (empty: off)",
        check: away_message,
    },
    Setting {
        key: crate::away::GREETING_MESSAGE,
        default: || json!(""),
        about: "sent to a customer who writes for the first time (empty: off)",
        check: greeting_message,
    },
    Setting { key: crate::prefs::NOTIFICATIONS, default: || json!(true), about: "desktop notifications for new messages", check: boolean },
    Setting {
        key: crate::prefs::NOTIFICATION_PREVIEWS,
        default: || json!(true),
        about: "notifications show the message (false: the sender only)",
        check: boolean,
    },
    Setting { key: crate::prefs::DO_NOT_DISTURB, default: || json!(false), about: "no notifications at all until turned off", check: boolean },
    Setting { key: crate::prefs::QUIET_HOURS, default: || Value::Null, about: "\"HH:MM-HH:MM\": no notifications in these hours each day", check: quiet_hours },
    Setting {
        key: crate::prefs::CLOSE_TO_TRAY,
        default: || json!(true),
        about: "closing the window keeps Wicket running in the tray (where there is one)",
        check: boolean,
    },
    Setting { key: crate::prefs::START_AT_LOGIN, default: || json!(false), about: "start the desktop app at login", check: boolean },
    Setting {
        key: crate::applock::LOCK_AFTER_MINUTES,
        default: || json!(0),
        about: "minutes without input before the window locks (0: only on demand; needs an app lock passphrase)",
        check: crate::applock::check_minutes,
    },
    Setting { key: crate::prefs::THEME, default: || json!("system"), about: "the window's theme: system, light or dark", check: theme },
    Setting {
        key: crate::prefs::CONTACT_SYNC_HOURS,
        default: || json!(crate::engine::DEFAULT_CONTACT_SYNC_HOURS),
        about: "hours between contact syncs of gateway accounts (0: off)",
        check: contact_sync_hours,
    },
    Setting { key: crate::typing::SETTING, default: || json!(true), about: "show customers that you are typing (Meta)", check: boolean },
    Setting {
        key: crate::optout::OPT_OUT_KEYWORDS,
        default: || json!(crate::optout::DEFAULT_OPT_OUT),
        about: "words that opt a customer out of bulk and template messages",
        check: keywords,
    },
    Setting {
        key: crate::optout::OPT_IN_KEYWORDS,
        default: || json!(crate::optout::DEFAULT_OPT_IN),
        about: "words that opt a customer back in",
        check: keywords,
    },
    Setting {
        key: crate::webhook::LISTEN_SETTING,
        default: || json!(false),
        about: "the webhook listener: true (127.0.0.1:8765), \"ADDR:PORT\" or false",
        check: listen,
    },
    Setting {
        key: "public_url",
        default: || Value::Null,
        about: "the public https address that reaches the listener (a tunnel or proxy)",
        check: text_or_null,
    },
    Setting {
        key: crate::tunnel::saved::SETUP_SETTING,
        default: || Value::Null,
        about: "how the public address is made (written by the public-address step)",
        check: object,
    },
    Setting {
        key: crate::maintenance::WEBHOOK_RETENTION_DAYS,
        default: || json!(crate::maintenance::DEFAULT_WEBHOOK_RETENTION_DAYS),
        about: "days raw webhook bodies are kept",
        check: whole_at_least_one,
    },
    Setting {
        key: crate::media_cache::LIMIT_SETTING,
        default: || json!(crate::media_cache::DEFAULT_LIMIT_MB),
        about: "MB of downloaded media kept; over it the least recently used files are removed (messages stay, downloadable again while WhatsApp keeps them). 2048: months of pictures, a small share of a disk. 0: no limit",
        check: crate::media_cache::check_limit,
    },
    Setting { key: crate::backup::schedule::ENABLED, default: || json!(false), about: "scheduled backups on or off", check: boolean },
    Setting {
        key: crate::backup::schedule::EVERY_HOURS,
        default: || json!(crate::backup::schedule::DEFAULT_EVERY_HOURS),
        about: "hours between scheduled backups",
        check: positive_hours,
    },
    Setting {
        key: crate::backup::schedule::KEEP,
        default: || json!(crate::backup::schedule::DEFAULT_KEEP),
        about: "scheduled backups kept (the newest N)",
        check: whole_at_least_one,
    },
    Setting {
        key: crate::backup::schedule::FOLDER,
        default: || Value::Null,
        about: "folder of scheduled backups (null: backups/ in the data dir)",
        check: text_or_null,
    },
    Setting { key: crate::backup::schedule::WITH_SECRETS, default: || json!(false), about: "scheduled backups include the accounts' secrets", check: boolean },
];

/// The setting called `key`, or an error naming every known one.
pub fn find(key: &str) -> Result<&'static Setting> {
    SETTINGS.iter().find(|s| s.key == key).ok_or_else(|| {
        let known: Vec<&str> = SETTINGS.iter().map(|s| s.key).collect();
        Error::Invalid(format!("{key:?} is not a setting. The settings are: {}", known.join(", ")))
    })
}

/// Checks `value` for `key`: an unknown key or a value its readers would not understand is refused.
pub fn check(key: &str, value: &Value) -> Result<()> {
    let setting = find(key)?;
    (setting.check)(value).map_err(|e| match e {
        Error::Invalid(why) => Error::Invalid(format!("{key}: {why}")),
        other => other,
    })
}

/// One row of `settings list`: the value in effect and whether it is the default.
pub struct Current {
    pub setting: &'static Setting,
    pub value: Value,
    pub is_default: bool,
}

/// Every owner setting with the value in effect.
pub fn current(store: &Store) -> Result<Vec<Current>> {
    SETTINGS
        .iter()
        .map(|s| {
            Ok(match store.setting(s.key)? {
                Some(value) => Current { setting: s, value, is_default: false },
                None => Current { setting: s, value: (s.default)(), is_default: true },
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_passes_its_own_check_and_keys_are_unique() {
        let mut keys = std::collections::HashSet::new();
        for s in SETTINGS {
            assert!(keys.insert(s.key), "{} twice", s.key);
            check(s.key, &(s.default)()).unwrap_or_else(|e| panic!("{}: {e}", s.key));
        }
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused_with_what_to_do() {
        let e = check("defualt_country", &json!("GB")).unwrap_err().to_string();
        assert!(e.contains("not a setting") && e.contains("default_country") && e.contains("time_zone"), "{e}");
        let e = check("data_dir_id", &json!("x")).unwrap_err().to_string();
        assert!(e.contains("not a setting"), "the app's own state is not settable: {e}");
        assert!(check("theme", &json!("blue")).unwrap_err().to_string().contains("system"));
        assert!(check("quiet_hours", &json!("late")).is_err());
        assert!(check("quiet_hours", &json!("22:00-07:00")).is_ok());
        assert!(check("webhook_listen", &json!("0.0.0.0:8765")).is_ok());
        assert!(check("webhook_listen", &json!("everywhere")).is_err());
        assert!(check("backup_keep", &json!(0)).is_err());
        assert!(check("time_zone", &json!("Mars/Olympus")).is_err());
        assert!(check("opening_hours", &json!("mon-fri 09:00-17:30")).is_ok());
        assert!(check("opening_hours", &json!("whenever")).is_err(), "the away module's own check");
        assert!(check("default_country", &json!("ZZ")).is_err());
        assert!(check("lock_after_minutes", &json!(15)).is_ok());
        assert!(check("lock_after_minutes", &json!(-1)).is_err());
        assert!(check("lock_after_minutes", &json!("soon")).is_err());
        assert!(check("app_lock_locked", &json!(false)).unwrap_err().to_string().contains("not a setting"), "the lock's state is not settable");
        assert!(check("app_lock_hash", &json!("x")).is_err());
    }
}
