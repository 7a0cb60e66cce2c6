// The five charts (uPlot, MIT, loaded beside this file as the global
// `uPlot`): the event's per-minute history first, then a point a second from
// the stream, at most four hours of them. Series are drawn as steps: a
// minute's count holds for its minute, so a burst shows as a jump, not as a
// ramp from the minute before. Axes and legends write numbers in the page's
// language (uPlot's defaults follow the browser's), times in Montreal time
// with the zone in the legend.
import { json } from "./api.js";
import { clock, hms, hourMinute, LOCALE, T, TZ, zone } from "./page.js";

const MAX_POINTS = 4 * 3600;
const COLORS = { blue: "#095797", green: "#1f7a45", orange: "#c26a00", violet: "#6b4fbb", red: "#b3261e", grey: "#6b7785" };
const store = { t: [], arrivals: [], calls: [], submissions: [], waiting: [], active: [], maxActive: [], accepted: [], quota: [], p50: [], p95: [] };
const number = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 2 });
const numberOrDash = (_u, v) => (v === null || v === undefined ? "—" : number.format(v));
/** Tick labels with as many decimals as the ticks' spacing needs (0.05 apart: two), in the page's language. */
const tickFormats = new Map();
function ticks(splits, incr) {
  const decimals = Math.min(6, Math.max(0, -Math.floor(Math.log10(incr || 1) + 1e-9)));
  let f = tickFormats.get(decimals);
  if (!f) tickFormats.set(decimals, (f = new Intl.NumberFormat(LOCALE, { minimumFractionDigits: decimals, maximumFractionDigits: decimals })));
  return splits.map((v) => f.format(v));
}
const line = (label, stroke, extra = {}) => ({ label, stroke, width: 2, spanGaps: true, points: { show: false }, value: numberOrDash, ...extra });
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
  // A value holds from its point until the next one (step-after).
  const stepped = uPlot.paths.stepped({ align: 1 });
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
        { stroke: "#5b6570", grid: { stroke: "#eef1f4" }, size: 56, values: (_u, splits, _axis, _space, incr) => ticks(splits, incr) },
      ],
      series: [{ label: `${T.time} (${zone()})`, value: (_u, ts) => (ts === null ? "—" : clock.format(new Date(ts * 1000))) }, ...spec.series.map((s) => ({ ...s, paths: stepped }))],
    };
    charts[id] = new uPlot(opts, spec.data(), el);
    // The chart on its element, for the browser's console and the browser tests.
    el.uplot = charts[id];
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
