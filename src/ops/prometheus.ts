// The metrics in Prometheus text exposition format 0.0.4, so an existing
// Prometheus or Grafana can scrape the gateway, and `promtool check metrics`
// accepts it (test/sim/prometheus.test.ts). Every family has HELP and TYPE;
// every sample carries the event label. Unknown values (no wait yet, no
// submission rate) are left out rather than written as NaN. The wait
// percentiles are plain gauges, one per percentile: they are over every
// ticket called so far, not a summary's sliding window, so no `quantile` label.
import type { OpsMetrics } from "./metrics";

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

type Labels = Record<string, string>;
type Sample = [labels: Labels, value: number | null];

interface Family {
  name: string;
  type: "gauge" | "counter";
  help: string;
  samples: Sample[];
}

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
const escapeHelp = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/** An ISO instant as Unix seconds; null stays null (the sample is left out). */
function seconds(at: string | null): number | null {
  return at === null ? null : Date.parse(at) / 1000;
}

export function renderPrometheus(metrics: OpsMetrics[]): string {
  const families = new Map<string, Family>();
  const add = (name: string, type: Family["type"], help: string, labels: Labels, value: number | null) => {
    let f = families.get(name);
    if (!f) {
      f = { name: `guichet_${name}`, type, help, samples: [] };
      families.set(name, f);
    }
    f.samples.push([labels, value]);
  };

  for (const m of metrics) {
    const ev = { event: m.event };
    for (const phase of ["before_open", "open", "closed"] as const) {
      add("phase", "gauge", "1 for the phase the event is in (before_open, open, closed), 0 for the others.", { ...ev, phase }, m.phase === phase ? 1 : 0);
    }
    add("paused", "gauge", "1 while calling is paused by an operator.", ev, m.paused ? 1 : 0);
    add("tickets_entered_total", "counter", "Numbers handed out since the event opened.", ev, m.line.entered);
    add("opens_at_timestamp_seconds", "gauge", "When the event opens (Unix time); absent while not scheduled.", ev, seconds(m.opensAt));
    add("closed_at_timestamp_seconds", "gauge", "When the intake closed (Unix time); absent while open.", ev, seconds(m.closedAt));
    add("intake_closes_at_timestamp_seconds", "gauge", "The announced end of the intake (INTAKE_CLOSES_AT, Unix time); absent when not set.", ev, seconds(m.intakeClosesAt));
    add("metrics_generated_timestamp_seconds", "gauge", "When the room computed these metrics (Unix time).", ev, seconds(m.at));
    add("build_info", "gauge", "The deployed Worker version and the event's configuration version, as labels; always 1.", { ...ev, version: m.build.version, version_tag: m.build.versionTag, config_version: String(m.configVersion) }, 1);
    add("config_version", "gauge", "The event's configuration version: it rises with every change of its settings.", ev, m.configVersion);
    add("serving_number", "gauge", "The highest number called.", ev, m.line.servingNumber);
    const states: [string, number][] = [
      ["waiting", m.line.waiting - m.line.requeued],
      ["requeued", m.line.requeued],
      ["called", m.line.called],
      ["admitted", m.line.admitted],
      ["used", m.line.used],
      ["released", m.line.released],
      ["expired", m.line.expired],
      ["no_show", m.line.noShows],
      ["left", m.line.left],
    ];
    for (const [state, n] of states) add("tickets", "gauge", "Tickets by state now.", { ...ev, state }, n);
    add("waiting", "gauge", "Candidates waiting to be called (returning no-shows included); 0 once the intake is closed.", ev, m.line.waiting);
    add("waiting_at_close", "gauge", "Candidates still waiting when the intake closed; absent while open.", ev, m.line.waitingAtClose);
    add("active_admissions", "gauge", "Admissions in flight: called or admitted, not yet used, expired or released.", ev, m.line.active);
    add("no_show_lapses_total", "counter", "Calls that lapsed unclaimed.", ev, m.line.noShowLapses);
    add("quota", "gauge", "Places in the quota.", ev, m.submissions.quota);
    add("quota_places_left", "gauge", "Places left in the quota.", ev, m.submissions.placesLeft);
    add("quota_cap", "gauge", "Cap on active admissions plus accepted submissions (quota times overbook).", ev, m.settings.quotaCap);
    add("max_active", "gauge", "Most admissions in flight allowed.", ev, m.settings.maxActive);
    add("admit_per_minute", "gauge", "Most calls a minute allowed.", ev, m.settings.admitPerMinute);
    add("submissions_accepted", "gauge", "Accepted submissions counted against the quota.", ev, m.submissions.accepted);
    add("submissions_eligible_total", "counter", "Always-eligible submissions, outside the quota.", ev, m.submissions.eligible);
    add("submissions_paid", "gauge", "Accepted submissions paid.", ev, m.submissions.paid);
    const refusals = {
      duplicate: m.submissions.duplicatesRefused,
      device: m.submissions.deviceRefusals,
      quota: m.submissions.quotaRefusals,
      admission_used: m.submissions.admissionUsedRefusals,
    };
    for (const [reason, n] of Object.entries(refusals)) add("submissions_refused_total", "counter", "Submissions refused, by reason.", { ...ev, reason }, n);
    add("namesake_overrides_total", "counter", "Submissions accepted although their person key matched, on the origin's namesake review.", ev, m.submissions.namesakeOverrides);
    add("intake_closed", "gauge", "1 once the intake is closed (quota reached or kill switch).", ev, m.submissions.closed ? 1 : 0);
    add("arrivals_per_minute", "gauge", "Numbers handed out in the last 60 seconds.", ev, m.perMinute.arrivals);
    add("calls_per_minute", "gauge", "Numbers called in the last 60 seconds.", ev, m.perMinute.calls);
    add("submissions_per_minute", "gauge", "Submissions accepted against the quota in the last 60 seconds.", ev, m.perMinute.submissions);
    add("called_total", "counter", "Tickets called at least once.", ev, m.wait.called);
    add("wait_to_call_p50_seconds", "gauge", "Median wait from entering to being called, over every ticket called so far (nearest rank).", ev, m.wait.p50Seconds);
    add("wait_to_call_p95_seconds", "gauge", "95th percentile of the wait from entering to being called, over every ticket called so far (nearest rank).", ev, m.wait.p95Seconds);
    add("quota_fill_eta_seconds", "gauge", "Estimated seconds until the quota is filled at the last minute's submission rate.", ev, m.quotaFillEtaSeconds);
    add("oldest_waiting_number", "gauge", "The lowest number still waiting; absent when nobody waits.", ev, m.oldestWaiting?.number ?? null);
    add("oldest_waiting_seconds", "gauge", "How long the lowest waiting number has waited; 0 when nobody waits (and once the intake is closed).", ev, m.oldestWaiting?.waitingSeconds ?? 0);
    for (const [kind, n] of Object.entries(m.origin.failures)) {
      add("origin_failures_total", "counter", "Requests to the origin that failed, by kind: timeout, unreachable (no connection), server_error (a 5xx answer).", { ...ev, kind }, n);
    }
    for (const [object, o] of [
      ["queue_room", m.durableObjects.queueRoom],
      ["quota_counter", m.durableObjects.quotaCounter],
    ] as const) {
      const labels = { ...ev, object };
      add("durable_object_calls_total", "counter", "RPC calls served by each Durable Object.", labels, o.callsTotal);
      add("durable_object_calls_per_minute", "gauge", "RPC calls served by each Durable Object over the last 60 seconds (sliding estimate).", labels, o.callsPerMinute);
      add("outbox_pending", "gauge", "Rows waiting in each Durable Object's outbox to D1.", labels, o.outboxPending);
      add("outbox_failing", "gauge", "Rows in each Durable Object's outbox whose delivery failed at least once (D1 down, ...).", labels, o.outboxFailing);
    }
  }

  const lines: string[] = [];
  for (const f of families.values()) {
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const [labels, value] of f.samples) {
      if (value === null) continue;
      const l = Object.entries(labels)
        .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
        .join(",");
      lines.push(`${f.name}{${l}} ${formatValue(value)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
