//! Operator-facing units. `HumanDuration` is the contract's `DURATION` (a number with
//! a unit: `90s`, `15m`, `12h`, `30d`); `ByteSize` accepts `1024`, `64K`, `512M`, `2G`, `1T`
//! (binary multiples). Both parse from strings and (de)serialize as strings in config.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::{fmt, str::FromStr, time::Duration};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseUnitError(String);

impl fmt::Display for ParseUnitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseUnitError {}

/// A duration written with exactly one unit: `s`, `m`, `h` or `d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct HumanDuration(Duration);

impl HumanDuration {
    pub fn from_secs(secs: u64) -> Self {
        HumanDuration(Duration::from_secs(secs))
    }

    pub fn as_duration(self) -> Duration {
        self.0
    }

    pub fn as_secs(self) -> u64 {
        self.0.as_secs()
    }
}

impl FromStr for HumanDuration {
    type Err = ParseUnitError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ParseUnitError(format!("invalid duration {s:?}: expected a number and a unit, like 90s, 15m, 12h or 30d"));
        let s = s.trim();
        let unit_at = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let (num, unit) = s.split_at(unit_at);
        let n: u64 = num.parse().map_err(|_| bad())?;
        let mult = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return Err(bad()),
        };
        n.checked_mul(mult).map(HumanDuration::from_secs).ok_or_else(bad)
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0.as_secs();
        match s {
            0 => write!(f, "0s"),
            s if s % 86_400 == 0 => write!(f, "{}d", s / 86_400),
            s if s % 3600 == 0 => write!(f, "{}h", s / 3600),
            s if s % 60 == 0 => write!(f, "{}m", s / 60),
            s => write!(f, "{s}s"),
        }
    }
}

/// A size in bytes; suffixes are binary (K = 1024).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ByteSize(pub u64);

impl FromStr for ByteSize {
    type Err = ParseUnitError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ParseUnitError(format!("invalid size {s:?}: expected bytes or a number with K, M, G or T, like 512M"));
        let s = s.trim();
        let unit_at = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (num, unit) = s.split_at(unit_at);
        let n: u64 = num.parse().map_err(|_| bad())?;
        let shift = match unit.trim_end_matches(['B', 'b', 'i']) {
            "" => 0,
            "K" | "k" => 10,
            "M" | "m" => 20,
            "G" | "g" => 30,
            "T" | "t" => 40,
            _ => return Err(bad()),
        };
        n.checked_mul(1 << shift).map(ByteSize).ok_or_else(bad)
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        for (shift, unit) in [(40, "T"), (30, "G"), (20, "M"), (10, "K")] {
            if n != 0 && n.is_multiple_of(1 << shift) {
                return write!(f, "{}{unit}", n >> shift);
            }
        }
        write!(f, "{n}")
    }
}

macro_rules! serde_via_str {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
serde_via_str!(HumanDuration);
serde_via_str!(ByteSize);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let ok = |s: &str, secs: u64| assert_eq!(s.parse::<HumanDuration>().unwrap().as_secs(), secs, "{s}");
        ok("90s", 90);
        ok("15m", 900);
        ok("12h", 43_200);
        ok("30d", 2_592_000);
        for bad in ["", "30", "d", "1.5h", "-3d", "3 weeks", "99999999999999999999d"] {
            assert!(bad.parse::<HumanDuration>().is_err(), "{bad}");
        }
        assert_eq!(HumanDuration::from_secs(2_592_000).to_string(), "30d");
        assert_eq!(HumanDuration::from_secs(90).to_string(), "90s");
    }

    #[test]
    fn sizes() {
        let ok = |s: &str, n: u64| assert_eq!(s.parse::<ByteSize>().unwrap().0, n, "{s}");
        ok("1024", 1024);
        ok("64K", 65_536);
        ok("512M", 512 << 20);
        ok("2G", 2 << 30);
        ok("2GiB", 2 << 30);
        for bad in ["", "M", "1.5G", "12X"] {
            assert!(bad.parse::<ByteSize>().is_err(), "{bad}");
        }
        assert_eq!(ByteSize(512 << 20).to_string(), "512M");
    }
}
