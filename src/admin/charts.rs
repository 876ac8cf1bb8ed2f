//! The overview's charts: sign-ins, failures, lockouts, sign-ups and token grants over the last
//! day, week or month, for every pool or one, counted by the event log in time buckets and drawn
//! on the server as SVG bars (no script; the CSP allows none). MFA adoption is a share of users.

use crate::events::{SeriesPoint, SeriesQuery};
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

/// The charts of `range` for `pool` (every pool when `None`), ending now.
pub async fn charts(svc: &Services, pool: Option<&PoolId>, range: &Range) -> Result<Vec<Chart>> {
    let bucket_ms = range.bucket_secs * 1000;
    let now = svc.clock.now_millis();
    let end = (now / bucket_ms + 1) * bucket_ms;
    let from = end - range.secs * 1000;
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
                let start = from + i as i64 * bucket_ms;
                Bar {
                    x: format!("{:.1}", i as f64 * slot + slot * 0.1),
                    y: format!("{:.1}", HEIGHT - h),
                    w: format!("{:.1}", slot * 0.8),
                    h: format!("{h:.1}"),
                    title: format!("{}: {n}", label_of(start, range.bucket_secs)),
                }
            })
            .collect();
        charts.push(Chart {
            id: m.id,
            title: m.title,
            total: counts.iter().sum(),
            max,
            bars,
            width: WIDTH,
            height: HEIGHT,
        });
    }
    Ok(charts)
}
