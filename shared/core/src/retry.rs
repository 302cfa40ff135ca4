//! The retry policy as pure functions: how long to wait before the next attempt, or
//! whether to stop (success, 410 Gone, attempts exhausted).

use chrono::{DateTime, Utc};
use std::time::Duration;

/// Hard ceiling on attempts per (message, endpoint), whatever the configuration says.
pub const MAX_ATTEMPTS: u32 = 5;

/// Delays before attempts 2..=max: `base × factor^(n−2)`, ± `jitter` (a fraction).
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base: Duration,
    pub factor: f64,
    pub jitter: f64,
}

impl Default for RetryPolicy {
    /// 5 attempts; 1 min, 11 min, 2 h 01, 22 h 11 between them (about 24 h 25 in all, so a
    /// receiver down for a day still gets its messages); ±10 % jitter.
    fn default() -> Self {
        Self {
            max_attempts: MAX_ATTEMPTS,
            base: Duration::from_secs(60),
            factor: 11.0,
            jitter: 0.1,
        }
    }
}

/// What an attempt's result means for retrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    Success,
    /// 410 Gone: the receiver asks us to stop sending this message.
    Gone,
    /// Any other failure; `retry_after` is the receiver's `Retry-After` on 429/503.
    Failed {
        retry_after: Option<Duration>,
    },
}

impl AttemptOutcome {
    /// Classifies an HTTP status (or none, for transport errors).
    pub fn classify(status: Option<u16>, retry_after: Option<Duration>) -> Self {
        match status {
            Some(s) if (200..300).contains(&s) => Self::Success,
            Some(410) => Self::Gone,
            Some(429 | 503) => Self::Failed { retry_after },
            _ => Self::Failed { retry_after: None },
        }
    }
}

impl RetryPolicy {
    /// Builds a policy, clamping attempts to 1..=5 and rejecting nonsensical numbers.
    pub fn new(max_attempts: u32, base: Duration, factor: f64) -> Result<Self, String> {
        if !(1..=MAX_ATTEMPTS).contains(&max_attempts) {
            return Err(format!("max attempts must be between 1 and {MAX_ATTEMPTS}"));
        }
        if !(factor.is_finite() && factor >= 1.0) {
            return Err("retry factor must be a number ≥ 1".into());
        }
        Ok(Self {
            max_attempts,
            base,
            factor,
            ..Self::default()
        })
    }

    /// The un-jittered delay before attempt `n` (n ≥ 2).
    pub fn nominal_delay(&self, n: u32) -> Duration {
        let exp = n.saturating_sub(2) as i32;
        self.base.mul_f64(self.factor.powi(exp))
    }

    /// Delay before the next attempt after attempt `attempt` (1-based) ended with
    /// `outcome`, or `None` to stop. `jitter_unit` in [-1, 1] picks the point in the
    /// ± jitter band, so the function stays pure and testable.
    pub fn next_delay(
        &self,
        attempt: u32,
        outcome: AttemptOutcome,
        jitter_unit: f64,
    ) -> Option<Duration> {
        let retry_after = match outcome {
            AttemptOutcome::Success | AttemptOutcome::Gone => return None,
            AttemptOutcome::Failed { retry_after } => retry_after,
        };
        if attempt >= self.max_attempts {
            return None;
        }
        let nominal = self.nominal_delay(attempt + 1);
        let delay = nominal.mul_f64(1.0 + self.jitter * jitter_unit.clamp(-1.0, 1.0));
        Some(match retry_after {
            Some(wanted) => wanted.clamp(delay, delay * 2),
            None => delay,
        })
    }
}

/// Parses a `Retry-After` value: delta-seconds or an HTTP date. Dates in the past give 0.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        (at.with_timezone(&Utc) - now)
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const FAIL: AttemptOutcome = AttemptOutcome::Failed { retry_after: None };

    #[test]
    fn the_default_schedule_spans_a_day_in_five_attempts() {
        let p = RetryPolicy::default();
        let mins: Vec<u64> = (1..=4)
            .map(|a| p.next_delay(a, FAIL, 0.0).unwrap().as_secs() / 60)
            .collect();
        assert_eq!(mins, [1, 11, 121, 1331]);
        assert_eq!(p.next_delay(5, FAIL, 0.0), None);
        // The four delays, nominal and at either end of the jitter band.
        let total = |j: f64| {
            let d: Duration = (1..=4).map(|a| p.next_delay(a, FAIL, j).unwrap()).sum();
            d.as_secs_f64() / 3600.0
        };
        // (jitter unit, hours: at least, below)
        for (j, lo, hi) in [(0.0, 24.0, 24.5), (-1.0, 21.9, 22.0), (1.0, 26.8, 26.9)] {
            let h = total(j);
            assert!((lo..hi).contains(&h), "jitter {j}: {h} h");
        }
    }

    #[test]
    fn success_and_gone_stop() {
        let p = RetryPolicy::default();
        assert_eq!(p.next_delay(1, AttemptOutcome::Success, 0.0), None);
        assert_eq!(
            p.next_delay(1, AttemptOutcome::classify(Some(410), None), 0.0),
            None
        );
    }

    #[test]
    fn classification() {
        assert_eq!(
            AttemptOutcome::classify(Some(204), None),
            AttemptOutcome::Success
        );
        assert_eq!(AttemptOutcome::classify(Some(301), None), FAIL);
        let ra = Some(Duration::from_secs(9));
        assert_eq!(
            AttemptOutcome::classify(Some(503), ra),
            AttemptOutcome::Failed { retry_after: ra }
        );
        // Retry-After means nothing on a 500.
        assert_eq!(AttemptOutcome::classify(Some(500), ra), FAIL);
        assert_eq!(AttemptOutcome::classify(None, None), FAIL);
    }

    #[test]
    fn retry_after_is_clamped_to_one_or_two_delays() {
        let p = RetryPolicy::default();
        let out = |s| AttemptOutcome::Failed {
            retry_after: Some(Duration::from_secs(s)),
        };
        assert_eq!(p.next_delay(1, out(1), 0.0), Some(Duration::from_secs(60)));
        assert_eq!(p.next_delay(1, out(90), 0.0), Some(Duration::from_secs(90)));
        assert_eq!(
            p.next_delay(1, out(100_000), 0.0),
            Some(Duration::from_secs(120))
        );
    }

    #[test]
    fn retry_after_parsing() {
        let now = DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:29:00 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn configuration_is_checked() {
        assert!(RetryPolicy::new(6, Duration::from_secs(1), 2.0).is_err());
        assert!(RetryPolicy::new(0, Duration::from_secs(1), 2.0).is_err());
        assert!(RetryPolicy::new(3, Duration::from_secs(1), 0.5).is_err());
        assert!(RetryPolicy::new(3, Duration::from_secs(1), f64::NAN).is_err());
        assert!(RetryPolicy::new(5, Duration::from_millis(10), 2.0).is_ok());
    }

    proptest! {
        #[test]
        fn delays_stay_in_the_jitter_band_and_grow(
            attempt in 1u32..5, jitter in -1.0f64..=1.0, base_ms in 1u64..100_000, factor in 1.0f64..10.0
        ) {
            let p = RetryPolicy::new(5, Duration::from_millis(base_ms), factor).unwrap();
            let d = p.next_delay(attempt, FAIL, jitter).unwrap();
            let nominal = p.nominal_delay(attempt + 1).as_secs_f64();
            prop_assert!(d.as_secs_f64() >= nominal * 0.9 - 1e-6);
            prop_assert!(d.as_secs_f64() <= nominal * 1.1 + 1e-6);
            if attempt < 4 {
                prop_assert!(p.nominal_delay(attempt + 2) >= p.nominal_delay(attempt + 1));
            }
        }

        #[test]
        fn never_more_than_max_attempts(max in 1u32..=5, attempt in 1u32..20, jitter in -1.0f64..=1.0) {
            let p = RetryPolicy::new(max, Duration::from_secs(1), 2.0).unwrap();
            let next = p.next_delay(attempt, FAIL, jitter);
            prop_assert_eq!(next.is_some(), attempt < max);
        }

        #[test]
        fn retry_after_never_below_delay_nor_above_twice(attempt in 1u32..5, wanted in 0u64..1_000_000, jitter in -1.0f64..=1.0) {
            let p = RetryPolicy::default();
            let plain = p.next_delay(attempt, FAIL, jitter).unwrap();
            let d = p.next_delay(attempt, AttemptOutcome::Failed { retry_after: Some(Duration::from_secs(wanted)) }, jitter).unwrap();
            prop_assert!(d >= plain && d <= plain * 2);
        }
    }
}
