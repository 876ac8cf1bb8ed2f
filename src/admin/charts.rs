//! The overview's charts: sign-ins, failures, lockouts, sign-ups and token grants over the last
//! day, week or month, for every pool or one, counted by the event log in time buckets and drawn
//! on the server as SVG bars (no script; the CSP allows none); and MFA adoption over the same
//! period, the share of users with a second factor in the janitor's hourly readings.

use crate::events::{AdoptionReading, SeriesPoint, SeriesQuery};
use crate::ids::PoolId;
use crate::services::Services;
use crate::userpool::error::Result;

/// The chart area, in SVG user units.
const WIDTH: f64 = 300.0;
const HEIGHT: f64 = 80.0;

/// A period the overview can show: its name, length and bucket.
pub struct Range {
    pub name: &'static str,
    pub label: &'static str,
    secs: i64,
    bucket_secs: i64,
}

pub const RANGES: [Range; 3] = [
    Range { name: "24h", label: "Last 24 hours", secs: 86_400, bucket_secs: 3_600 },
    Range { name: "7d", label: "Last 7 days", secs: 7 * 86_400, bucket_secs: 21_600 },
    Range { name: "30d", label: "Last 30 days", secs: 30 * 86_400, bucket_secs: 86_400 },
];

pub fn range(name: Option<&str>) -> &'static Range {
    RANGES.iter().find(|r| Some(r.name) == name).unwrap_or(&RANGES[0])
}

/// One bar: its rectangle and what it counts.
pub struct Bar {
    pub x: String,
    pub y: String,
    pub w: String,
    pub h: String,
    pub title: String,
}

/// One metric over the period.
pub struct Chart {
    pub id: &'static str,
    pub title: &'static str,
    pub total: i64,
    pub max: i64,
    pub bars: Vec<Bar>,
    pub width: f64,
    pub height: f64,
    /// After the total and the peak: "" for counts, "%" for shares.
    pub unit: &'static str,
    /// What the chart shows, for screen readers.
    pub summary: String,
}

/// What a chart counts: the series points it sums.
struct Metric {
    id: &'static str,
    title: &'static str,
    counts: fn(&SeriesPoint) -> bool,
}

const METRICS: [Metric; 5] = [
    Metric { id: "sign-ins", title: "Sign-ins", counts: |p| p.event_type == "SignIn" && p.outcome == "Pass" },
    Metric {
        id: "failures",
        title: "Failed sign-in steps",
        counts: |p| p.event_type == "SignIn" && p.outcome == "Fail" && p.reason.as_deref() != Some("locked_out"),
    },
    Metric {
        id: "lockouts",
        title: "Refused by lockout",
        counts: |p| p.event_type == "SignIn" && p.outcome == "Fail" && p.reason.as_deref() == Some("locked_out"),
    },
    Metric { id: "sign-ups", title: "Sign-ups", counts: |p| p.event_type == "SignUp" && p.outcome == "Pass" },
    Metric { id: "grants", title: "Token grants", counts: |p| p.event_type == "TokenGrant" && p.outcome == "Pass" },
];

fn label_of(start_ms: i64, bucket_secs: i64) -> String {
    let format = if bucket_secs >= 86_400 { "%Y-%m-%d" } else { "%Y-%m-%d %H:%M" };
    chrono::DateTime::from_timestamp_millis(start_ms).map(|d| d.format(format).to_string()).unwrap_or_default()
}

fn bar(i: usize, slot: f64, h: f64, title: String) -> Bar {
    Bar {
        x: format!("{:.1}", i as f64 * slot + slot * 0.1),
        y: format!("{:.1}", HEIGHT - h),
        w: format!("{:.1}", slot * 0.8),
        h: format!("{h:.1}"),
        title,
    }
}

/// The charts of `range` for `pool` (every pool when `None`), ending now: the activity counts,
/// then MFA adoption.
pub async fn charts(svc: &Services, pool: Option<&PoolId>, range: &Range) -> Result<Vec<Chart>> {
    let bucket_ms = range.bucket_secs * 1000;
    let now = svc.clock.now_millis();
    let end = (now / bucket_ms + 1) * bucket_ms;
    let from = end - range.secs * 1000;
    let mut charts = activity(svc, pool, range, from, end).await?;
    let readings = svc.events.mfa_adoption(pool, from, end).await?;
    charts.push(adoption(&readings, range, from));
    Ok(charts)
}

/// MFA adoption per bucket: the bucket's last reading as a share of users (the bar's full height
/// is 100%); a bucket without a reading has no bar. The total is the last reading's share.
fn adoption(readings: &[AdoptionReading], range: &Range, from: i64) -> Chart {
    let bucket_ms = range.bucket_secs * 1000;
    let buckets = (range.secs / range.bucket_secs) as usize;
    let mut last: Vec<Option<AdoptionReading>> = vec![None; buckets];
    for r in readings {
        if let Some(slot) = usize::try_from((r.at - from) / bucket_ms).ok().and_then(|i| last.get_mut(i)) {
            *slot = Some(*r);
        }
    }
    let percent = |r: &AdoptionReading| if r.users == 0 { 0 } else { r.with_mfa * 100 / r.users };
    let slot = WIDTH / buckets as f64;
    let bars = last
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.map(|r| (i, r)))
        .map(|(i, r)| {
            let h = percent(&r) as f64 / 100.0 * (HEIGHT - 4.0);
            let title = format!(
                "{}: {} of {} users ({}%)",
                label_of(from + i as i64 * bucket_ms, range.bucket_secs),
                r.with_mfa,
                r.users,
                percent(&r)
            );
            bar(i, slot, h, title)
        })
        .collect();
    Chart {
        id: "mfa-adoption",
        title: "Users with MFA (%)",
        total: readings.last().map(percent).unwrap_or(0),
        max: last.iter().flatten().map(percent).max().unwrap_or(0),
        summary: match readings.last() {
            Some(r) => format!("{} of {} users had MFA at the last reading", r.with_mfa, r.users),
            None => "no reading in the period yet".into(),
        },
        bars,
        width: WIDTH,
        height: HEIGHT,
        unit: "%",
    }
}

/// The event log's counts per bucket, one chart per metric.
async fn activity(svc: &Services, pool: Option<&PoolId>, range: &Range, from: i64, end: i64) -> Result<Vec<Chart>> {
    let bucket_ms = range.bucket_secs * 1000;
    let points = svc
        .events
        .series(&SeriesQuery { pool_id: pool.cloned(), from, to: end, bucket_secs: range.bucket_secs })
        .await?;
    let buckets = (range.secs / range.bucket_secs) as usize;
    let mut charts = Vec::new();
    for m in &METRICS {
        let mut counts = vec![0i64; buckets];
        for p in points.iter().filter(|p| (m.counts)(p)) {
            let i = ((p.start - from) / bucket_ms) as usize;
            if let Some(c) = counts.get_mut(i) {
                *c += p.count;
            }
        }
        let max = counts.iter().copied().max().unwrap_or(0);
        let slot = WIDTH / buckets as f64;
        let bars = counts
            .iter()
            .enumerate()
            .map(|(i, &n)| {
                let h = if max == 0 { 0.0 } else { (n as f64 / max as f64) * (HEIGHT - 4.0) };
                bar(i, slot, h, format!("{}: {n}", label_of(from + i as i64 * bucket_ms, range.bucket_secs)))
            })
            .collect();
        let total = counts.iter().sum();
        charts.push(Chart {
            id: m.id,
            title: m.title,
            total,
            max,
            bars,
            width: WIDTH,
            height: HEIGHT,
            unit: "",
            summary: format!("{total} in the period, at most {max} in one interval"),
        });
    }
    Ok(charts)
}
