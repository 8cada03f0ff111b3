//! Pure scheduling of SAM-card personalization (no database, no I/O).
//!
//! The rules come from the registry's FAQ. Counting working days from the day the
//! admin accepts a producer's submission (**day 1** = the first working day on or
//! after the acceptance date):
//!
//! | step                                   | working days                          |
//! |----------------------------------------|---------------------------------------|
//! | leadership disposition                 | `disposition_days` (default 3: 1–3)   |
//! | scheduling                             | [`SCHEDULING_DAYS`] = 1 (day 4)       |
//! | personalization (nothing queued ahead) | starts on day 5                       |
//! | BAST + reply letter                    | [`HANDOVER_DAYS`] = 3 after the last personalization day |
//!
//! so the ideal total is [`IDEAL_TOTAL_DAYS`] = 8 working days (one personalization
//! day). Personalization capacity is `capacity_per_day` cards per working day, the
//! sum over the active stations of each station's cards per 8-hour day
//! ([`DEFAULT_CARDS_PER_STATION`] = 250 by default). Submissions queued ahead use
//! the capacity first, which pushes later ones back.
//!
//! FAQ example: 250 cards with 500 cards queued ahead (accepted the same day),
//! capacity 250/day, disposition 3 days: the queue takes personalization days 5
//! and 6, ours is personalized on day 7 ("the third day") and the whole process
//! ends on working day 10 (8 + 2).
//!
//! Working days are Monday–Friday, except the dates in the [`Calendar`]'s holiday set.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound::{Excluded, Included};

use chrono::{Datelike, NaiveDate, Weekday};

/// Working days of the scheduling step (day 4 with the default disposition).
pub const SCHEDULING_DAYS: u32 = 1;
/// Working days needed after the last personalization day for the BAST
/// (handover report) and the reply letter.
pub const HANDOVER_DAYS: u32 = 3;
/// The ideal duration of the whole process in working days, acceptance day
/// included: 3 disposition + 1 scheduling + 1 personalization + 3 handover.
pub const IDEAL_TOTAL_DAYS: u32 = 8;
/// Default disposition duration in working days.
pub const DEFAULT_DISPOSITION_DAYS: u32 = 3;
/// Default number of cards one station personalizes in an 8-hour day.
pub const DEFAULT_CARDS_PER_STATION: u32 = 250;

/// A working-day calendar: Monday–Friday, except the dates in the holiday set.
///
/// All methods treat weekends and holidays alike. They panic only if a date
/// would leave chrono's supported range (years ±262,000).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    holidays: BTreeSet<NaiveDate>,
}

impl Calendar {
    /// A calendar whose non-working days are the weekends plus `holidays`
    /// (duplicates and holidays falling on a weekend are harmless).
    pub fn new(holidays: impl IntoIterator<Item = NaiveDate>) -> Self {
        Self { holidays: holidays.into_iter().collect() }
    }

    /// The holiday set.
    pub fn holidays(&self) -> &BTreeSet<NaiveDate> {
        &self.holidays
    }

    /// `true` when `d` is Monday–Friday and not a holiday.
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        is_weekday(d) && !self.holidays.contains(&d)
    }

    /// `d` itself if it is a working day, otherwise the next working day.
    pub fn first_working_day_on_or_after(&self, d: NaiveDate) -> NaiveDate {
        let mut d = d;
        while !self.is_working_day(d) {
            d = next_day(d);
        }
        d
    }

    /// The `n`-th working day counting `start` (if it is a working day) as day 1;
    /// if `start` is not a working day, the first working day after it is day 1.
    /// `n = 0` is treated as `n = 1`.
    pub fn nth_working_day(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let day1 = self.first_working_day_on_or_after(start);
        self.add_working_days(day1, n.max(1) - 1)
    }

    /// The date `n` working days after `d` (`d` itself is not counted, and need
    /// not be a working day). `n = 0` returns `d` unchanged.
    pub fn add_working_days(&self, d: NaiveDate, n: u32) -> NaiveDate {
        let mut d = d;
        let mut left = n;
        while left > 0 {
            d = next_day(d);
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// The number of working days in `(from, to]` (`from` excluded, `to`
    /// included); `0` when equal, and the negated count of `(to, from]` when
    /// `to < from`. Computed arithmetically, independent of the distance.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        if to < from {
            return -self.working_days_between(to, from);
        }
        if to == from {
            return 0;
        }
        let weekdays = weekdays_up_to(to) - weekdays_up_to(from);
        let holidays = self.holidays.range((Excluded(from), Included(to))).filter(|h| is_weekday(**h)).count() as i64;
        weekdays - holidays
    }
}

fn is_weekday(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

fn next_day(d: NaiveDate) -> NaiveDate {
    d.succ_opt().expect("date beyond chrono's supported range")
}

/// Number of Monday–Friday days in `(0000-12-31, d]` (negative-safe), using
/// that 0001-01-01 (day 1 from CE) is a Monday.
fn weekdays_up_to(d: NaiveDate) -> i64 {
    let n = i64::from(d.num_days_from_ce());
    n.div_euclid(7) * 5 + n.rem_euclid(7).min(5)
}

/// Settings that drive the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// Cards personalized per working day: the sum over active stations of each
    /// station's cards per 8-hour day. `0` (no active station) is treated as `1`
    /// so that planning always terminates; see [`Rules::effective_capacity`].
    pub capacity_per_day: u32,
    /// Working days of the leadership disposition (default 3: days 1–3).
    pub disposition_days: u32,
}

impl Default for Rules {
    /// One station of [`DEFAULT_CARDS_PER_STATION`] cards and
    /// [`DEFAULT_DISPOSITION_DAYS`] disposition days.
    fn default() -> Self {
        Self { capacity_per_day: DEFAULT_CARDS_PER_STATION, disposition_days: DEFAULT_DISPOSITION_DAYS }
    }
}

impl Rules {
    /// Rules whose capacity is the (saturating) sum of the active stations'
    /// cards per 8-hour day.
    pub fn from_stations(cards_per_station: impl IntoIterator<Item = u32>, disposition_days: u32) -> Self {
        Self { capacity_per_day: cards_per_station.into_iter().fold(0u32, u32::saturating_add), disposition_days }
    }

    /// The capacity actually used by [`plan`]: `capacity_per_day`, or `1` when it
    /// is `0` (a zero capacity would never place a card; one card a day keeps the
    /// estimate finite and visibly very late instead of looping forever).
    pub fn effective_capacity(&self) -> u32 {
        self.capacity_per_day.max(1)
    }

    /// Working day (counting the acceptance working day as day 1) on which
    /// personalization can start when nothing is queued:
    /// `disposition_days + SCHEDULING_DAYS + 1` (day 5 by default).
    pub fn first_personalization_day(&self) -> u32 {
        self.disposition_days.saturating_add(SCHEDULING_DAYS).saturating_add(1)
    }
}

/// One accepted submission waiting in the personalization queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueEntry {
    /// The submission (request) id, copied into its [`Estimate`].
    pub id: i32,
    /// Date the admin accepted the submission (need not be a working day).
    pub accepted_on: NaiveDate,
    /// Cards still to personalize.
    pub cards: u32,
}

/// The planned dates of one submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Estimate {
    /// The submission id.
    pub id: i32,
    /// First personalization day.
    pub start: NaiveDate,
    /// Last personalization day.
    pub finish: NaiveDate,
    /// Day the BAST and reply letter are ready: [`HANDOVER_DAYS`] working days
    /// after `finish`.
    pub handover: NaiveDate,
}

/// Plans every entry in the given order (acceptance order), returning one
/// [`Estimate`] per entry, in the same order.
///
/// * Each entry's earliest day is the
///   (`disposition_days` + [`SCHEDULING_DAYS`] + 1)-th working day from its
///   acceptance (day 1 = first working day on or after `accepted_on`), but never
///   before `today`'s first working day.
/// * It then takes the remaining capacity of each working day from its earliest
///   day on (earlier entries filled those days first) until all its cards are
///   placed; `start`/`finish` are the first/last day it got cards on.
///   Capacity left over on a day is used by the next entries.
/// * An entry with 0 cards gets `start = finish =` its earliest day and uses no
///   capacity.
/// * `handover` = `finish` + [`HANDOVER_DAYS`] working days.
/// * A `capacity_per_day` of 0 is treated as 1 ([`Rules::effective_capacity`]).
///
/// Cost: proportional to the number of days that receive cards (full days are
/// skipped in amortised constant time), not to the number of cards, so hundreds
/// of entries of 50,000 cards each are cheap.
pub fn plan(entries: &[QueueEntry], rules: &Rules, calendar: &Calendar, today: NaiveDate) -> Vec<Estimate> {
    let capacity = rules.effective_capacity();
    let first_day = rules.first_personalization_day();
    let today = calendar.first_working_day_on_or_after(today);

    // Cards already placed on each working day.
    let mut used: BTreeMap<NaiveDate, u32> = BTreeMap::new();
    // For every full day: a working day after it that may still have room
    // (union-find style, path-compressed by `first_open_day`).
    let mut full: BTreeMap<NaiveDate, NaiveDate> = BTreeMap::new();

    entries
        .iter()
        .map(|entry| {
            let earliest = calendar.nth_working_day(entry.accepted_on, first_day).max(today);

            let (start, finish) = if entry.cards == 0 {
                (earliest, earliest)
            } else {
                let mut remaining = entry.cards;
                let mut day = first_open_day(&mut full, earliest);
                let start = day;
                loop {
                    let taken = used.entry(day).or_insert(0);
                    let placed = (capacity - *taken).min(remaining);
                    *taken += placed;
                    remaining -= placed;
                    if *taken >= capacity {
                        full.insert(day, calendar.add_working_days(day, 1));
                    }
                    if remaining == 0 {
                        break (start, day);
                    }
                    day = first_open_day(&mut full, calendar.add_working_days(day, 1));
                }
            };

            Estimate { id: entry.id, start, finish, handover: calendar.add_working_days(finish, HANDOVER_DAYS) }
        })
        .collect()
}

/// The first working day on or after the working day `d` that is not full.
fn first_open_day(full: &mut BTreeMap<NaiveDate, NaiveDate>, d: NaiveDate) -> NaiveDate {
    let mut root = d;
    while let Some(&next) = full.get(&root) {
        root = next;
    }
    let mut cur = d;
    while cur != root {
        let next = full.insert(cur, root).expect("on the path to root");
        cur = next;
    }
    root
}

/// On time when `done_on` (or `today` if not done yet) is within
/// [`IDEAL_TOTAL_DAYS`] working days from acceptance, i.e. on or before the
/// 8th working day counting the acceptance working day as day 1.
pub fn sla_on_time(accepted_on: NaiveDate, done_on: Option<NaiveDate>, today: NaiveDate, calendar: &Calendar) -> bool {
    let deadline = calendar.nth_working_day(accepted_on, IDEAL_TOTAL_DAYS);
    done_on.unwrap_or(today) <= deadline
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// Monday 6 January 2025.
    fn monday() -> NaiveDate {
        d(2025, 1, 6)
    }

    fn entry(id: i32, accepted_on: NaiveDate, cards: u32) -> QueueEntry {
        QueueEntry { id, accepted_on, cards }
    }

    fn rules(capacity_per_day: u32) -> Rules {
        Rules { capacity_per_day, disposition_days: 3 }
    }

    #[test]
    fn faq_example_250_cards_behind_500_personalized_on_day_7_and_done_on_day_10() {
        let cal = Calendar::default();
        let accepted = monday();
        let plan = plan(&[entry(1, accepted, 500), entry(2, accepted, 250)], &rules(250), &cal, accepted);
        // The queue takes days 5 and 6 (Fri 10, Mon 13 January).
        assert_eq!(plan[0].start, cal.nth_working_day(accepted, 5));
        assert_eq!(plan[0].finish, cal.nth_working_day(accepted, 6));
        assert_eq!(plan[0].finish, d(2025, 1, 13));
        // Ours: day 7 ("the third day"), everything done on day 10 (8 + 2).
        assert_eq!(plan[1].id, 2);
        assert_eq!(plan[1].start, cal.nth_working_day(accepted, 7));
        assert_eq!(plan[1].finish, plan[1].start);
        assert_eq!(plan[1].start, d(2025, 1, 14));
        assert_eq!(plan[1].handover, cal.nth_working_day(accepted, 10));
        assert_eq!(plan[1].handover, d(2025, 1, 17));
        assert_eq!(cal.working_days_between(accepted, plan[1].handover) + 1, 10);
    }

    #[test]
    fn empty_queue_personalizes_on_day_5_and_hands_over_on_day_8() {
        let cal = Calendar::default();
        let accepted = monday();
        let plan = plan(&[entry(7, accepted, 250)], &Rules::default(), &cal, accepted);
        assert_eq!(plan, vec![Estimate { id: 7, start: d(2025, 1, 10), finish: d(2025, 1, 10), handover: d(2025, 1, 15) }]);
        assert_eq!(plan[0].start, cal.nth_working_day(accepted, 5));
        assert_eq!(plan[0].handover, cal.nth_working_day(accepted, IDEAL_TOTAL_DAYS));
    }

    #[test]
    fn weekends_are_skipped_when_accepted_on_a_friday() {
        let cal = Calendar::default();
        let friday = d(2025, 1, 10);
        let plan = plan(&[entry(1, friday, 250)], &rules(250), &cal, friday);
        // Fri 10 = day 1, Mon 13 = 2, Tue 14 = 3, Wed 15 = 4, Thu 16 = 5.
        assert_eq!(plan[0].start, d(2025, 1, 16));
        assert_eq!(plan[0].finish, d(2025, 1, 16));
        // Fri 17 = 6, Mon 20 = 7, Tue 21 = 8.
        assert_eq!(plan[0].handover, d(2025, 1, 21));

        // Accepted on a Saturday: day 1 is the Monday.
        let saturday = d(2025, 1, 11);
        let plan = super::plan(&[entry(2, saturday, 250)], &rules(250), &cal, saturday);
        assert_eq!(plan[0].start, d(2025, 1, 17));
        assert_eq!(plan[0].handover, d(2025, 1, 22));
    }

    #[test]
    fn holidays_are_skipped() {
        // Holiday on Wed 8 (disposition) and on Tue 21 (handover window).
        let cal = Calendar::new([d(2025, 1, 8), d(2025, 1, 21)]);
        assert!(!cal.is_working_day(d(2025, 1, 8)));
        let accepted = monday();
        let plan = plan(&[entry(1, accepted, 500)], &rules(250), &cal, accepted);
        // Mon 6 = 1, Tue 7 = 2, Thu 9 = 3, Fri 10 = 4, Mon 13 = 5, Tue 14 = 6.
        assert_eq!(plan[0].start, d(2025, 1, 13));
        assert_eq!(plan[0].finish, d(2025, 1, 14));
        // Wed 15, Thu 16, Fri 17 -> handover Fri 17.
        assert_eq!(plan[0].handover, d(2025, 1, 17));

        // A holiday on the personalization day itself moves it to the next working day.
        let cal = Calendar::new([d(2025, 1, 10)]);
        let plan = super::plan(&[entry(2, accepted, 250)], &rules(250), &cal, accepted);
        assert_eq!(plan[0].start, d(2025, 1, 13));
        // Handover: Tue 14, Wed 15, Thu 16.
        assert_eq!(plan[0].handover, d(2025, 1, 16));
    }

    #[test]
    fn several_stations_add_capacity_750_cards_per_day_1000_cards_finish_on_day_6() {
        let cal = Calendar::default();
        let accepted = monday();
        let rules = Rules::from_stations([250, 250, 250], 3);
        assert_eq!(rules.capacity_per_day, 750);
        let plan = plan(&[entry(1, accepted, 1000)], &rules, &cal, accepted);
        assert_eq!(plan[0].start, cal.nth_working_day(accepted, 5));
        assert_eq!(plan[0].finish, cal.nth_working_day(accepted, 6));
        assert_eq!(plan[0].finish, d(2025, 1, 13));
        assert_eq!(plan[0].handover, cal.nth_working_day(accepted, 9));
    }

    #[test]
    fn entry_larger_than_daily_capacity_spans_days_and_leftover_is_shared() {
        let cal = Calendar::default();
        let accepted = monday();
        let plan = plan(&[entry(1, accepted, 600), entry(2, accepted, 200)], &rules(250), &cal, accepted);
        // 600 = 250 (day 5) + 250 (day 6) + 100 (day 7).
        assert_eq!(plan[0].start, cal.nth_working_day(accepted, 5));
        assert_eq!(plan[0].finish, cal.nth_working_day(accepted, 7));
        // The next one uses the 150 left on day 7, then 50 on day 8.
        assert_eq!(plan[1].start, cal.nth_working_day(accepted, 7));
        assert_eq!(plan[1].finish, cal.nth_working_day(accepted, 8));

        // A 50,000-card submission is 200 personalization days at 250/day.
        let plan = super::plan(&[entry(3, accepted, 50_000)], &rules(250), &cal, accepted);
        assert_eq!(plan[0].finish, cal.nth_working_day(accepted, 5 + 199));
    }

    #[test]
    fn queue_change_removing_the_middle_entry_moves_the_later_one_earlier() {
        let cal = Calendar::default();
        let accepted = monday();
        let a = entry(1, accepted, 250);
        let b = entry(2, accepted, 500);
        let c = entry(3, accepted, 250);
        let before = plan(&[a, b, c], &rules(250), &cal, accepted);
        assert_eq!(before[2].start, cal.nth_working_day(accepted, 8));
        let after = plan(&[a, c], &rules(250), &cal, accepted);
        assert_eq!(after[1].id, 3);
        assert_eq!(after[1].start, cal.nth_working_day(accepted, 6));
        assert_eq!(after[1].handover, cal.nth_working_day(accepted, 9));
        assert!(after[1].handover < before[2].handover);
        // The entry ahead is unaffected.
        assert_eq!(after[0], before[0]);
    }

    #[test]
    fn today_later_than_earliest_day_pushes_start_to_today() {
        let cal = Calendar::default();
        let accepted = monday();
        // Earliest would be Fri 10; today is Wed 15.
        let plan = plan(&[entry(1, accepted, 250)], &rules(250), &cal, d(2025, 1, 15));
        assert_eq!(plan[0].start, d(2025, 1, 15));
        assert_eq!(plan[0].handover, d(2025, 1, 20));
        // Today on a Saturday: its first working day (Mon 20) is the start.
        let plan = super::plan(&[entry(1, accepted, 250)], &rules(250), &cal, d(2025, 1, 18));
        assert_eq!(plan[0].start, d(2025, 1, 20));
        // Today before the earliest day changes nothing.
        let plan = super::plan(&[entry(1, accepted, 250)], &rules(250), &cal, d(2025, 1, 7));
        assert_eq!(plan[0].start, d(2025, 1, 10));
    }

    #[test]
    fn entries_accepted_on_different_days_share_capacity() {
        let cal = Calendar::default();
        let plan = plan(
            &[
                // Earliest Fri 10: 250 on Fri 10, 150 on Mon 13.
                entry(1, d(2025, 1, 6), 400),
                // Earliest Mon 13: the 100 left on Mon 13, then 100 on Tue 14.
                entry(2, d(2025, 1, 7), 200),
                // Earliest Tue 14: fits in the 150 left on Tue 14.
                entry(3, d(2025, 1, 8), 150),
                // Earliest Wed 15: Tue 14 is now full anyway; starts Wed 15.
                entry(4, d(2025, 1, 9), 100),
                // Accepted much later: does not use the free days before its earliest (Fri 24).
                entry(5, d(2025, 1, 20), 100),
            ],
            &rules(250),
            &cal,
            d(2025, 1, 6),
        );
        let spans: Vec<_> = plan.iter().map(|e| (e.id, e.start, e.finish)).collect();
        assert_eq!(
            spans,
            vec![
                (1, d(2025, 1, 10), d(2025, 1, 13)),
                (2, d(2025, 1, 13), d(2025, 1, 14)),
                (3, d(2025, 1, 14), d(2025, 1, 14)),
                (4, d(2025, 1, 15), d(2025, 1, 15)),
                (5, d(2025, 1, 24), d(2025, 1, 24)),
            ]
        );
    }

    #[test]
    fn entry_with_zero_cards_starts_and_finishes_on_its_earliest_day_without_using_capacity() {
        let cal = Calendar::default();
        let accepted = monday();
        let plan = plan(&[entry(1, accepted, 0), entry(2, accepted, 250)], &rules(250), &cal, accepted);
        assert_eq!(plan[0].start, d(2025, 1, 10));
        assert_eq!(plan[0].finish, d(2025, 1, 10));
        assert_eq!(plan[0].handover, d(2025, 1, 15));
        assert_eq!(plan[1].start, d(2025, 1, 10));
    }

    #[test]
    fn sla_on_time_on_day_8_and_late_on_day_9() {
        let cal = Calendar::default();
        let accepted = monday();
        let day8 = d(2025, 1, 15);
        let day9 = d(2025, 1, 16);
        assert_eq!(cal.nth_working_day(accepted, 8), day8);
        assert!(sla_on_time(accepted, Some(day8), d(2025, 3, 1), &cal));
        assert!(!sla_on_time(accepted, Some(day9), day9, &cal));
        // Not done yet: judged by today.
        assert!(sla_on_time(accepted, None, day8, &cal));
        assert!(!sla_on_time(accepted, None, day9, &cal));
        // A holiday inside the window extends the deadline by one working day.
        let cal = Calendar::new([d(2025, 1, 8)]);
        assert!(sla_on_time(accepted, Some(day9), day9, &cal));
    }

    #[test]
    fn working_days_between_skips_weekend_and_holiday() {
        let cal = Calendar::new([d(2025, 1, 13)]);
        // Fri 10 -> Fri 17 over the weekend and the Monday holiday: Tue..Fri = 4.
        assert_eq!(cal.working_days_between(d(2025, 1, 10), d(2025, 1, 17)), 4);
        assert_eq!(cal.working_days_between(d(2025, 1, 17), d(2025, 1, 10)), -4);
        // Fri -> Mon (holiday) = 0; Fri -> Tue = 1; Sat -> Sun = 0.
        assert_eq!(cal.working_days_between(d(2025, 1, 10), d(2025, 1, 13)), 0);
        assert_eq!(cal.working_days_between(d(2025, 1, 10), d(2025, 1, 14)), 1);
        assert_eq!(cal.working_days_between(d(2025, 1, 11), d(2025, 1, 12)), 0);
        assert_eq!(cal.working_days_between(d(2025, 1, 10), d(2025, 1, 10)), 0);
        // Without the holiday, Fri -> Mon is 1.
        let plain = Calendar::default();
        assert_eq!(plain.working_days_between(d(2025, 1, 10), d(2025, 1, 13)), 1);
    }

    #[test]
    fn working_days_between_matches_day_by_day_count() {
        let cal = Calendar::new([d(2024, 12, 25), d(2024, 12, 28), d(2025, 1, 1), d(2025, 1, 29)]);
        let base = d(2024, 12, 15);
        for i in 0..60 {
            for j in 0..60 {
                let from = base + chrono::Duration::days(i);
                let to = base + chrono::Duration::days(j);
                let (lo, hi, sign) = if from <= to { (from, to, 1) } else { (to, from, -1) };
                let mut count = 0i64;
                let mut x = lo;
                while x < hi {
                    x = x.succ_opt().unwrap();
                    if cal.is_working_day(x) {
                        count += 1;
                    }
                }
                assert_eq!(cal.working_days_between(from, to), sign * count, "{from} -> {to}");
                if from <= to {
                    assert!(cal.add_working_days(from, count as u32) <= to);
                }
            }
        }
    }

    #[test]
    fn calendar_day_counting_conventions() {
        let cal = Calendar::new([d(2025, 1, 6)]);
        // Holiday Monday: day 1 is Tuesday.
        assert_eq!(cal.first_working_day_on_or_after(d(2025, 1, 4)), d(2025, 1, 7));
        assert_eq!(cal.nth_working_day(d(2025, 1, 4), 1), d(2025, 1, 7));
        assert_eq!(cal.nth_working_day(d(2025, 1, 4), 0), d(2025, 1, 7));
        assert_eq!(cal.nth_working_day(d(2025, 1, 7), 5), d(2025, 1, 13));
        assert_eq!(cal.add_working_days(d(2025, 1, 4), 0), d(2025, 1, 4));
        assert_eq!(cal.add_working_days(d(2025, 1, 10), 1), d(2025, 1, 13));
        assert_eq!(cal.add_working_days(d(2025, 1, 11), 1), d(2025, 1, 13));
    }

    #[test]
    fn capacity_zero_is_treated_as_one_card_per_day() {
        let cal = Calendar::default();
        let accepted = monday();
        assert_eq!(rules(0).effective_capacity(), 1);
        assert_eq!(Rules::from_stations([], 3).capacity_per_day, 0);
        let plan = plan(&[entry(1, accepted, 3), entry(2, accepted, 1)], &rules(0), &cal, accepted);
        assert_eq!(plan[0].start, cal.nth_working_day(accepted, 5));
        assert_eq!(plan[0].finish, cal.nth_working_day(accepted, 7));
        assert_eq!(plan[1].start, cal.nth_working_day(accepted, 8));
    }

    #[test]
    fn disposition_days_setting_shifts_the_first_personalization_day() {
        let cal = Calendar::default();
        let accepted = monday();
        let r = Rules { capacity_per_day: 250, disposition_days: 5 };
        let plan = plan(&[entry(1, accepted, 250)], &r, &cal, accepted);
        assert_eq!(plan[0].start, cal.nth_working_day(accepted, 7));
    }

    /// Reference planner: scans every working day, no skipping.
    fn naive_plan(entries: &[QueueEntry], rules: &Rules, cal: &Calendar, today: NaiveDate) -> Vec<Estimate> {
        let cap = rules.capacity_per_day.max(1);
        let today = cal.first_working_day_on_or_after(today);
        let mut used: BTreeMap<NaiveDate, u32> = BTreeMap::new();
        entries
            .iter()
            .map(|e| {
                let earliest = cal.nth_working_day(e.accepted_on, rules.disposition_days + SCHEDULING_DAYS + 1).max(today);
                let (mut start, mut finish, mut left, mut day) = (None, earliest, e.cards, earliest);
                while left > 0 {
                    let u = used.entry(day).or_insert(0);
                    let take = (cap - *u).min(left);
                    if take > 0 {
                        *u += take;
                        left -= take;
                        start.get_or_insert(day);
                        finish = day;
                    }
                    day = cal.add_working_days(day, 1);
                }
                Estimate { id: e.id, start: start.unwrap_or(earliest), finish, handover: cal.add_working_days(finish, HANDOVER_DAYS) }
            })
            .collect()
    }

    #[test]
    fn plan_matches_a_naive_day_by_day_planner_on_random_queues() {
        let mut seed: u64 = 0x5eed_cafe;
        let mut rnd = |n: u64| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % n
        };
        for _ in 0..300 {
            let holidays: Vec<_> = (0..rnd(8)).map(|_| monday() + chrono::Duration::days(rnd(60) as i64)).collect();
            let cal = Calendar::new(holidays);
            let rules = Rules { capacity_per_day: rnd(4) as u32 * 100, disposition_days: rnd(5) as u32 };
            // Keep the reference planner fast at capacity 0 (one card a day).
            let max_cards = if rules.capacity_per_day == 0 { 12 } else { 900 };
            // Acceptance dates deliberately not sorted, to exercise gaps.
            let entries: Vec<_> = (0..rnd(25) as i32).map(|i| entry(i, monday() + chrono::Duration::days(rnd(30) as i64), rnd(max_cards) as u32)).collect();
            let today = monday() + chrono::Duration::days(rnd(20) as i64);
            assert_eq!(plan(&entries, &rules, &cal, today), naive_plan(&entries, &rules, &cal, today), "{entries:?} {rules:?} {cal:?} {today}");
        }
    }

    #[test]
    fn hundreds_of_large_entries_plan_quickly_and_in_order() {
        let cal = Calendar::new([d(2025, 8, 18), d(2025, 12, 25)]);
        let entries: Vec<_> = (0..300).map(|i| entry(i, monday() + chrono::Duration::days(i64::from(i / 3)), 50_000)).collect();
        let plan = plan(&entries, &Rules::default(), &cal, monday());
        assert_eq!(plan.len(), 300);
        // 300 x 200 full days, back to back.
        assert_eq!(plan[0].start, d(2025, 1, 10));
        for w in plan.windows(2) {
            assert_eq!(w[1].start, cal.add_working_days(w[0].finish, 1));
        }
        let total = cal.working_days_between(plan[0].start, plan[299].finish) + 1;
        assert_eq!(total, 300 * 200);
    }
}
