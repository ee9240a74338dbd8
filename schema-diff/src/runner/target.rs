//! Upgrade and downgrade targets: `head`, `+N`, `-N`, `base`, or a version.

use super::RunError;

/// How far `upgrade` goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UpgradeTarget {
    /// Every pending migration.
    Head,
    /// The next N pending migrations (`+N`).
    Steps(u32),
    /// Up to and including this version (full name or unique prefix).
    Version(String),
}

/// How far `downgrade` goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DowngradeTarget {
    /// Roll back everything.
    Base,
    /// The last N applied migrations (`-N`).
    Steps(u32),
    /// Roll back every migration after this one (it stays applied).
    Version(String),
}

/// Where `stamp` declares the database to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StampTarget {
    /// No migration applied.
    Base,
    /// Every migration of the code applied.
    Head,
    /// This version and every one before it applied, none after (full name or
    /// unique prefix).
    Version(String),
}

impl std::str::FromStr for UpgradeTarget {
    type Err = RunError;
    fn from_str(s: &str) -> Result<Self, RunError> {
        match s {
            "head" | "heads" => Ok(UpgradeTarget::Head),
            _ if s.starts_with('+') => steps(s, &s[1..]).map(UpgradeTarget::Steps),
            _ if s.starts_with('-') => Err(RunError::BadTarget(
                s.into(),
                "upgrade goes forward: use `downgrade` to go back".into(),
            )),
            _ => Ok(UpgradeTarget::Version(s.into())),
        }
    }
}

impl std::str::FromStr for DowngradeTarget {
    type Err = RunError;
    fn from_str(s: &str) -> Result<Self, RunError> {
        match s {
            "base" => Ok(DowngradeTarget::Base),
            _ if s.starts_with('-') => steps(s, &s[1..]).map(DowngradeTarget::Steps),
            _ if s.starts_with('+') => Err(RunError::BadTarget(
                s.into(),
                "downgrade goes back: use `upgrade` to go forward".into(),
            )),
            _ => Ok(DowngradeTarget::Version(s.into())),
        }
    }
}

impl std::str::FromStr for StampTarget {
    type Err = RunError;
    fn from_str(s: &str) -> Result<Self, RunError> {
        match s {
            "base" => Ok(StampTarget::Base),
            "head" | "heads" => Ok(StampTarget::Head),
            _ if s.starts_with('+') || s.starts_with('-') => Err(RunError::BadTarget(
                s.into(),
                "stamp takes a version, `head` or `base`".into(),
            )),
            _ => Ok(StampTarget::Version(s.into())),
        }
    }
}

impl StampTarget {
    /// How many of the code's migrations (the first ones) count as applied.
    pub fn applied_count(&self, versions: &[String]) -> Result<usize, RunError> {
        match self {
            StampTarget::Base => Ok(0),
            StampTarget::Head => Ok(versions.len()),
            StampTarget::Version(v) => {
                let target = resolve(v, versions)?;
                Ok(versions
                    .iter()
                    .position(|x| *x == target)
                    .map_or(0, |i| i + 1))
            }
        }
    }
}

fn steps(given: &str, digits: &str) -> Result<u32, RunError> {
    digits
        .parse::<u32>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            RunError::BadTarget(given.into(), "expected a positive number of steps".into())
        })
}

/// Resolves a full version name or a unique prefix of one. An empty (or blank)
/// `given` is refused: as a prefix it would match every version.
pub fn resolve(given: &str, versions: &[String]) -> Result<String, RunError> {
    if given.trim().is_empty() {
        return Err(RunError::BadTarget(
            given.into(),
            "a version cannot be empty: give its full name or a unique prefix".into(),
        ));
    }
    if let Some(v) = versions.iter().find(|v| v.as_str() == given) {
        return Ok(v.clone());
    }
    let matches: Vec<String> = versions
        .iter()
        .filter(|v| v.starts_with(given))
        .cloned()
        .collect();
    match matches.len() {
        1 => Ok(matches[0].clone()),
        0 => Err(RunError::UnknownTarget {
            given: given.into(),
            hint: match versions.last() {
                Some(last) => format!(
                    "the code has {} migration(s), the newest is `{last}` (see `db-migrate history`)",
                    versions.len()
                ),
                None => "the code has no migrations".into(),
            },
        }),
        _ => Err(RunError::AmbiguousTarget {
            given: given.into(),
            matches,
        }),
    }
}

impl UpgradeTarget {
    /// The versions to apply, in order, given the code's versions and the pending ones.
    pub fn plan(&self, versions: &[String], pending: &[String]) -> Result<Vec<String>, RunError> {
        match self {
            UpgradeTarget::Head => Ok(pending.to_vec()),
            UpgradeTarget::Steps(n) => Ok(pending.iter().take(*n as usize).cloned().collect()),
            UpgradeTarget::Version(v) => {
                let target = resolve(v, versions)?;
                Ok(pending.iter().filter(|p| **p <= target).cloned().collect())
            }
        }
    }
}

impl DowngradeTarget {
    /// The versions to roll back, newest first, given the code's and the applied versions.
    pub fn plan(&self, versions: &[String], applied: &[String]) -> Result<Vec<String>, RunError> {
        let newest_first = applied.iter().rev().cloned();
        match self {
            DowngradeTarget::Base => Ok(newest_first.collect()),
            DowngradeTarget::Steps(n) => Ok(newest_first.take(*n as usize).collect()),
            DowngradeTarget::Version(v) => {
                let target = resolve(v, versions)?;
                Ok(newest_first.filter(|a| *a > target).collect())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn versions() -> Vec<String> {
        [
            "m20260101_000000_a",
            "m20260102_000000_b",
            "m20260103_000000_c",
        ]
        .map(String::from)
        .to_vec()
    }

    #[test]
    fn parses_targets() {
        assert!(resolve("", &versions()).is_err());
        assert!(resolve("  ", &versions()).is_err());
        assert_eq!(
            "head".parse::<UpgradeTarget>().ok(),
            Some(UpgradeTarget::Head)
        );
        assert_eq!(
            "+2".parse::<UpgradeTarget>().ok(),
            Some(UpgradeTarget::Steps(2))
        );
        assert_eq!(
            "-1".parse::<DowngradeTarget>().ok(),
            Some(DowngradeTarget::Steps(1))
        );
        assert_eq!(
            "base".parse::<DowngradeTarget>().ok(),
            Some(DowngradeTarget::Base)
        );
        assert!("+0".parse::<UpgradeTarget>().is_err());
        assert!("-x".parse::<DowngradeTarget>().is_err());
        assert!("-1".parse::<UpgradeTarget>().is_err());
    }

    #[test]
    fn upgrade_to_a_version_prefix_stops_there() {
        let v = versions();
        let plan = UpgradeTarget::Version("m20260102".into()).plan(&v, &v).ok();
        assert_eq!(plan, Some(v[..2].to_vec()));
    }

    #[test]
    fn downgrade_to_a_version_keeps_it_applied() {
        let v = versions();
        let plan = DowngradeTarget::Version("m20260101_000000_a".into())
            .plan(&v, &v)
            .ok();
        assert_eq!(plan, Some(vec![v[2].clone(), v[1].clone()]));
    }

    #[test]
    fn stamp_targets_count_the_applied_migrations() {
        let v = versions();
        let count = |s: &str| {
            s.parse::<StampTarget>()
                .and_then(|t| t.applied_count(&v))
                .ok()
        };
        assert_eq!(count("base"), Some(0));
        assert_eq!(count("head"), Some(3));
        assert_eq!(count("m20260102"), Some(2));
        assert_eq!(count("m20260101_000000_a"), Some(1));
        assert_eq!(count("m2099"), None);
        assert_eq!(count("+1"), None);
    }

    #[test]
    fn unknown_and_ambiguous_versions_are_errors() {
        let v = versions();
        assert!(matches!(
            resolve("m2099", &v),
            Err(RunError::UnknownTarget { .. })
        ));
        assert!(matches!(
            resolve("m2026", &v),
            Err(RunError::AmbiguousTarget { .. })
        ));
    }
}
