// The five charts (uPlot, MIT, loaded beside this file as the global
// `uPlot`): the event's per-minute history first, then a point a second from
// the stream, at most four hours of them.
import { json } from "./api.js";
import { clock, hms, hourMinute, T, TZ } from "./page.js";

const MAX_POINTS = 4 * 3600;
const COLORS = { blue: "#095797", green: "#1f7a45", orange: "#c26a00", violet: "#6b4fbb", red: "#b3261e", grey: "#6b7785" };
const store = { t: [], arrivals: [], calls: [], submissions: [], waiting: [], active: [], maxActive: [], accepted: [], quota: [], p50: [], p95: [] };
const line = (label, stroke, extra = {}) => ({ label, stroke, width: 2, spanGaps: true, points: { show: false }, ...extra });
const CHARTS = {
  rates: {
    series: [line(T.seriesArrivals, COLORS.blue), line(T.seriesCalls, COLORS.green), line(T.seriesSubmissions, COLORS.orange)],
    data: () => [store.t, store.arrivals, store.calls, store.submissions],
  },
  waiting: { series: [line(T.seriesWaiting, COLORS.blue, { fill: "rgba(9,87,151,0.08)" })], data: () => [store.t, store.waiting] },
  active: {
    series: [line(T.seriesActive, COLORS.violet), line(T.seriesMaxActive, COLORS.grey, { dash: [6, 4], width: 1 })],
    data: () => [store.t, store.active, store.maxActive],
  },
  quota: {
    series: [line(T.seriesAccepted, COLORS.green, { fill: "rgba(31,122,69,0.08)" }), line(T.seriesQuota, COLORS.red, { dash: [6, 4], width: 1 })],
    data: () => [store.t, store.accepted, store.quota],
  },
  wait: {
    series: [line(T.seriesP50, COLORS.blue), line(T.seriesP95, COLORS.red)],
    data: () => [store.t, store.p50, store.p95],
  },
};
const charts = {};

export function makeCharts() {
  const uPlot = globalThis.uPlot;
  if (typeof uPlot !== "function") return;
  for (const [id, spec] of Object.entries(CHARTS)) {
    const el = document.getElementById(`chart-${id}`);
    const opts = {
      width: Math.max(200, el.clientWidth),
      height: 190,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), TZ),
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
      scales: { x: { time: true }, y: { range: (_u, min, max) => [Math.min(0, min ?? 0), Math.max(1, (max ?? 1) * 1.1)] } },
      axes: [
        {
          stroke: "#5b6570",
          grid: { stroke: "#eef1f4" },
          space: 64,
          // Seconds only when the ticks are less than a minute apart.
          values: (_u, splits, _axis, _space, incr) => splits.map((ts) => (incr < 60 ? hms(ts) : hourMinute.format(new Date(ts * 1000)))),
        },
        { stroke: "#5b6570", grid: { stroke: "#eef1f4" }, size: 56 },
      ],
      series: [{ label: T.time, value: (_u, ts) => (ts === null ? "—" : clock.format(new Date(ts * 1000))) }, ...spec.series],
    };
    charts[id] = new uPlot(opts, spec.data(), el);
  }
  const resize = new ResizeObserver(() => {
    for (const [id, chart] of Object.entries(charts)) {
      const el = document.getElementById(`chart-${id}`);
      if (el.clientWidth && Math.abs(chart.width - el.clientWidth) > 2) chart.setSize({ width: el.clientWidth, height: 190 });
    }
  });
  for (const id of Object.keys(charts)) resize.observe(document.getElementById(`chart-${id}`));
}

function push(point) {
  const last = store.t.length ? store.t[store.t.length - 1] : -Infinity;
  if (point.t <= last) return;
  for (const [k, v] of Object.entries(point)) store[k].push(v);
  if (store.t.length > MAX_POINTS) for (const k of Object.keys(store)) store[k].splice(0, store.t.length - MAX_POINTS);
}

let redrawPending = false;
function redraw() {
  if (redrawPending) return;
  redrawPending = true;
  requestAnimationFrame(() => {
    redrawPending = false;
    for (const [id, chart] of Object.entries(charts)) chart.setData(CHARTS[id].data());
  });
}

/** One live snapshot as a point on every chart. */
export function plot(m) {
  push({
    t: Math.floor(Date.parse(m.at) / 1000),
    arrivals: m.perMinute.arrivals,
    calls: m.perMinute.calls,
    submissions: m.perMinute.submissions,
    waiting: m.line.waiting,
    active: m.line.active,
    maxActive: m.settings.maxActive,
    accepted: m.submissions.accepted,
    quota: m.submissions.quota,
    p50: m.wait.p50Seconds === null ? null : m.wait.p50Seconds / 60,
    p95: m.wait.p95Seconds === null ? null : m.wait.p95Seconds / 60,
  });
  redraw();
}

/** The per-minute history (D1) before the live points, so a reload starts with the event so far. */
export async function loadHistory(quota) {
  const { res, body } = await json("history");
  if (!res.ok) return;
  let accepted = 0;
  for (const m of body.minutes) {
    accepted += m.submissions;
    push({
      t: m.minute * 60,
      arrivals: m.arrivals,
      calls: m.calls,
      submissions: m.submissions,
      waiting: m.waiting,
      active: m.active,
      maxActive: null,
      accepted,
      quota,
      // Live percentiles are over the whole event; the history's are per minute: they are not drawn together.
      p50: null,
      p95: null,
    });
  }
  redraw();
}
