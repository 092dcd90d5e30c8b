//! Shrinking a failing journey: drop chunks of steps, halving the chunk size (delta debugging),
//! keeping a candidate only if the model can still take every step and the target still fails on
//! the same claim. What is left is the shortest journey found that still fails.

use std::future::Future;

use super::generate::Journey;
use super::model::Model;

/// Whether the model can take every step of the candidate in order.
pub fn well_formed(model: &Model, journey: &Journey) -> bool {
    let mut model = model.clone();
    journey.iter().all(|(id, op)| {
        let ok = model.can_take(op);
        model.step(*id, op);
        ok
    })
}

/// Shrinks `journey` while `still_fails(candidate)` answers `Some(shorter)` (the candidate cut
/// after the step that failed), spending at most `budget` requests (one per step tried, and
/// `overhead` more per run).
pub async fn shrink<F, Fut>(
    model: &Model,
    journey: Journey,
    budget: usize,
    overhead: usize,
    mut still_fails: F,
) -> (Journey, usize)
where
    F: FnMut(Journey) -> Fut,
    Fut: Future<Output = Option<Journey>>,
{
    let mut best = journey;
    let mut spent = 0;
    let mut chunk = best.len().div_ceil(2).max(1);
    loop {
        let mut start = 0;
        let mut progressed = false;
        while start < best.len() {
            let end = (start + chunk).min(best.len());
            // The last step is the failure itself: never dropped.
            if end == best.len() && start == 0 {
                break;
            }
            let end = end.min(best.len() - 1);
            if start >= end {
                break;
            }
            let candidate: Journey = best[..start].iter().chain(&best[end..]).cloned().collect();
            if !well_formed(model, &candidate) {
                start += chunk;
                continue;
            }
            let cost = candidate.len() + overhead;
            if spent + cost > budget {
                return (best, spent);
            }
            spent += cost;
            match still_fails(candidate).await {
                Some(shorter) => {
                    best = shorter;
                    progressed = true;
                }
                None => start += chunk,
            }
        }
        if chunk == 1 && !progressed {
            return (best, spent);
        }
        if !progressed {
            chunk = chunk.div_ceil(2).max(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explore::model::{Op, Password};
    use crate::profile::SiteProfile;

    fn numbered(ops: Vec<Op>) -> Journey {
        ops.into_iter().enumerate().collect()
    }

    #[tokio::test]
    async fn a_journey_shrinks_to_the_steps_the_failure_needs() {
        let model = Model::new(SiteProfile::default());
        let register = Op::Register {
            acct: 0,
            password: Password::Normal,
            username: false,
        };
        let mut ops = vec![Op::Site, Op::Geo, register, Op::Location, Op::PlanUnknown];
        ops.push(Op::Retrieve {
            tok: 2,
            post: false,
        });
        ops.push(Op::Geo);
        ops.push(Op::Logout { tok: 2 });
        // "The target" fails whenever a logout follows a retrieve of the same token.
        let journey = numbered(ops);
        let (best, spent) = shrink(&model, journey, 1000, 0, |candidate: Journey| async move {
            let retrieve = candidate
                .iter()
                .position(|(_, op)| matches!(op, Op::Retrieve { .. }))?;
            let logout = candidate
                .iter()
                .position(|(_, op)| matches!(op, Op::Logout { .. }))?;
            (retrieve < logout).then_some(candidate)
        })
        .await;
        let ops: Vec<&Op> = best.iter().map(|(_, op)| op).collect();
        assert_eq!(ops.len(), 3, "{ops:?}");
        assert!(matches!(ops[0], Op::Register { .. }));
        assert!(matches!(ops[2], Op::Logout { .. }));
        assert!(spent > 0 && spent <= 1000);
    }

    #[tokio::test]
    async fn the_budget_stops_shrinking() {
        let model = Model::new(SiteProfile::default());
        let journey = numbered(vec![Op::Site; 20]);
        let (best, spent) =
            shrink(&model, journey, 15, 0, |c: Journey| async move { Some(c) }).await;
        assert!(spent <= 15);
        assert!(best.len() < 20);
    }

    #[test]
    fn a_step_that_lost_its_token_is_not_well_formed() {
        let model = Model::new(SiteProfile::default());
        assert!(!well_formed(&model, &numbered(vec![Op::Logout { tok: 0 }])));
    }
}
