//! Brute-force time-series queries over the samples held, shared by the differential test and
//! the `series_queries` fuzz target.

use core::time::Duration;

use rtshm::{InterpolationError, Stamped, Timestamp};

/// Brute force over the samples held, oldest first.
pub(crate) struct Model(pub Vec<Stamped<f64>>);

impl Model {
    pub(crate) fn closest(&self, t: Timestamp, max: Duration) -> Option<Stamped<f64>> {
        let best = self.0.iter().map(|s| t.abs_diff(s.stamp)).min()?;
        // The earlier stamp among those at the best distance.
        let stamp = self
            .0
            .iter()
            .map(|s| s.stamp)
            .filter(|&s| t.abs_diff(s) == best)
            .min()?;
        let mut same = self.0.iter().filter(|s| s.stamp == stamp);
        // Equal stamps: the one next to t in the series.
        let pick = if stamp < t {
            same.next_back()
        } else {
            same.next()
        };
        pick.copied().filter(|_| best <= max)
    }

    pub(crate) fn pair(
        &self,
        t: Timestamp,
    ) -> Result<(Stamped<f64>, Stamped<f64>, f64), InterpolationError> {
        let (first, last) = match (self.0.first(), self.0.last()) {
            (Some(f), Some(l)) => (f, l),
            _ => return Err(InterpolationError::Empty),
        };
        if t < first.stamp || t > last.stamp {
            return Err(InterpolationError::OutOfRange {
                requested: t,
                oldest: first.stamp,
                newest: last.stamp,
            });
        }
        if let Some(hit) = self.0.iter().find(|s| s.stamp == t) {
            return Ok((*hit, *hit, 0.0));
        }
        let b = *self.0.iter().rev().find(|s| s.stamp < t).unwrap();
        let a = *self.0.iter().find(|s| s.stamp > t).unwrap();
        let alpha = (t.as_nanos() - b.stamp.as_nanos()) as f64
            / (a.stamp.as_nanos() - b.stamp.as_nanos()) as f64;
        Ok((b, a, alpha))
    }

    pub(crate) fn range(&self, t0: Timestamp, t1: Timestamp) -> Vec<Stamped<f64>> {
        self.0
            .iter()
            .filter(|s| t0 <= s.stamp && s.stamp <= t1)
            .copied()
            .collect()
    }
}
