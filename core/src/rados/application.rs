//! Pool applications (rados_application_*): librados reads them from its
//! OSDMap and changes them with `osd pool application ...` monitor
//! commands; the embedded store applies the monitor's rules itself.

use alloc::format;
use alloc::string::String;

use crate::osdmap::Applications;
use crate::Errno;

/// The monitor's limits (MAX_POOL_APPLICATIONS, _KEYS, _LENGTH).
const MAX_APPLICATIONS: usize = 4;
const MAX_KEYS: usize = 64;
const MAX_LENGTH: usize = 128;

/// A change to a pool's applications.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppChange {
    /// `force`: also when another application is enabled already.
    Enable {
        app: String,
        force: bool,
    },
    Set {
        app: String,
        key: String,
        value: String,
    },
    Remove {
        app: String,
        key: String,
    },
}

impl AppChange {
    /// The monitor command librados sends for it, on pool `pool`. Like
    /// librados, names go in unescaped: a quote makes the command invalid.
    pub fn command(&self, pool: &str) -> String {
        match self {
            AppChange::Enable { app, force } => {
                let force = if *force { ",\"yes_i_really_mean_it\": true" } else { "" };
                format!("{{\"prefix\": \"osd pool application enable\",\"pool\": \"{pool}\",\"app\": \"{app}\"{force}}}")
            }
            AppChange::Set { app, key, value } => format!(
                "{{\"prefix\":\"osd pool application set\",\"pool\":\"{pool}\",\"app\":\"{app}\",\"key\":\"{key}\",\"value\":\"{value}\"}}"
            ),
            AppChange::Remove { app, key } => format!(
                "{{\"prefix\":\"osd pool application rm\",\"pool\":\"{pool}\",\"app\":\"{app}\",\"key\":\"{key}\"}}"
            ),
        }
    }

    /// Applies the change as the monitor does (OSDMonitor's
    /// _command_pool_application), with its errors.
    pub fn apply(&self, apps: &mut Applications) -> Result<(), Errno> {
        let (key, value) = match self {
            AppChange::Enable { .. } => ("", ""),
            AppChange::Set { key, value, .. } => (key.as_str(), value.as_str()),
            AppChange::Remove { key, .. } => (key.as_str(), ""),
        };
        if key == "all" || value == "all" {
            return Err(Errno::EINVAL);
        }
        match self {
            AppChange::Enable { app, force } => {
                let exists = apps.contains_key(app);
                if app.is_empty() {
                    return Err(Errno::EINVAL);
                }
                if !exists && !apps.is_empty() && !force {
                    return Err(Errno::EPERM);
                }
                if (!exists && apps.len() >= MAX_APPLICATIONS) || app.len() > MAX_LENGTH {
                    return Err(Errno::EINVAL);
                }
                apps.entry(app.clone()).or_default();
            }
            AppChange::Set { app, key, value } => {
                let keys = apps.get_mut(app).ok_or(Errno::ENOENT)?;
                let too_many = !keys.contains_key(key) && keys.len() >= MAX_KEYS;
                if key.is_empty() || too_many || key.len() > MAX_LENGTH || value.len() > MAX_LENGTH {
                    return Err(Errno::EINVAL);
                }
                keys.insert(key.clone(), value.clone());
            }
            // A key that is not there is fine (idempotent).
            AppChange::Remove { app, key } => {
                apps.get_mut(app).ok_or(Errno::ENOENT)?.remove(key);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    fn enable(app: &str, force: bool) -> AppChange {
        AppChange::Enable { app: app.into(), force }
    }

    #[test]
    fn the_monitors_rules() {
        let mut apps = Applications::new();
        assert_eq!(enable("rbd", false).apply(&mut apps), Ok(()));
        assert_eq!(enable("rbd", false).apply(&mut apps), Ok(()), "enabled again: fine");
        assert_eq!(enable("rgw", false).apply(&mut apps), Err(Errno::EPERM));
        assert_eq!(enable("rgw", true).apply(&mut apps), Ok(()));
        let set = |app: &str, key: &str, value: &str| AppChange::Set {
            app: app.into(),
            key: key.into(),
            value: value.into(),
        };
        assert_eq!(set("cephfs", "k", "v").apply(&mut apps), Err(Errno::ENOENT));
        assert_eq!(set("rbd", "all", "v").apply(&mut apps), Err(Errno::EINVAL));
        assert_eq!(set("rbd", "", "v").apply(&mut apps), Err(Errno::EINVAL));
        assert_eq!(set("rbd", "k", "v").apply(&mut apps), Ok(()));
        assert_eq!(apps["rbd"]["k"], "v");
        let rm = |app: &str, key: &str| AppChange::Remove { app: app.into(), key: key.into() };
        assert_eq!(rm("rbd", "absent").apply(&mut apps), Ok(()));
        assert_eq!(rm("none", "k").apply(&mut apps), Err(Errno::ENOENT));
        assert_eq!(rm("rbd", "k").apply(&mut apps), Ok(()));
        assert!(apps["rbd"].is_empty());
        for app in ["a", "b"] {
            enable(app, true).apply(&mut apps).unwrap();
        }
        assert_eq!(enable("e", true).apply(&mut apps), Err(Errno::EINVAL), "at most four");
        assert_eq!(enable(&"x".repeat(129), true).apply(&mut Applications::new()), Err(Errno::EINVAL));
    }

    #[test]
    fn commands_are_librados_json() {
        assert_eq!(
            enable("rbd", true).command("p"),
            "{\"prefix\": \"osd pool application enable\",\"pool\": \"p\",\"app\": \"rbd\",\"yes_i_really_mean_it\": true}"
        );
        let rm = AppChange::Remove { app: "a".into(), key: "k".to_string() };
        assert_eq!(
            rm.command("p"),
            "{\"prefix\":\"osd pool application rm\",\"pool\":\"p\",\"app\":\"a\",\"key\":\"k\"}"
        );
    }
}
