//! The only legal moves of the request and submission status machines
//! (DESIGN §1, plus `withdrawn` and `bundled → approved`, see the models).
use sifilma::models::{requests::Status as R, submissions::Status as S};

#[test]
fn request_moves() {
    use R::{Approved, Bundled, Done, Received, Rejected, Submitted, Withdrawn};
    let all = [Submitted, Approved, Rejected, Withdrawn, Bundled, Done, Received];
    let legal = [
        (Submitted, Approved),
        (Submitted, Rejected),
        (Submitted, Withdrawn),
        (Approved, Bundled),
        (Bundled, Approved),
        (Bundled, Done),
        (Done, Received),
    ];
    for from in all {
        for to in all {
            assert_eq!(from.can_become(to), legal.contains(&(from, to)), "{from:?} → {to:?}");
        }
    }
}

#[test]
fn submission_moves_and_percent() {
    use S::{Accepted, Done, InProgress, New, Received, Rejected};
    let all = [New, Accepted, Rejected, InProgress, Done, Received];
    let legal = [(New, Accepted), (New, Rejected), (Accepted, InProgress), (InProgress, Done), (Done, Received)];
    for from in all {
        for to in all {
            assert_eq!(from.can_become(to), legal.contains(&(from, to)), "{from:?} → {to:?}");
        }
    }
    assert_eq!([New, Accepted, InProgress, Done, Received].map(S::percent), [0, 25, 50, 75, 100]);
}
