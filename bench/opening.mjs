// `npm run simulate -- --curve 2016 --fan-out 300`: the opening minute as
// production would see it. ~60,000 arrivals shaped like June 2016's opening
// are spread over `fan-out` simulated isolates (Worker instances across data
// centres), each batching its own concurrent enters exactly as src/line/batch.ts
// does: the first arrival that finds no room call in flight sends at once,
// arrivals meanwhile wait and go together in the next call. Each call
// crosses the network to the room and back (`--rtt`), waits its turn in the
// room (one call at a time) and takes the room's CPU for a call of its size,
// as `npm run bench -- --room` measured it (bench/results/room-latest.json).
// Reported, for strict FIFO and for the pre-queue: the peak room calls a
// second against the room's ceiling at that second's batch sizes (headroom),
// the batch sizes, and click-to-number p50/p99.
//
// `--live SECONDS` then replays the opening's first seconds against a real
// room (the built bundle's objects in their own workerd process, as the room
// bench runs them): the simulated isolates send real `enter` calls through a
// driver Worker, every external time (arrivals, network) stretched by
// `--live-factor` so this machine can carry it, and the room numbers them
// for real. It checks numbers 1..N without gap or repeat and reports the
// batch sizes and the click-to-number the real room gave.
//
//   npm run simulate -- --curve 2016 --fan-out 300            the model, FIFO and pre-queue
//   npm run simulate -- --curve 2016 --fan-out 300 --live 10  and a live replay of the first 10 s
//   options: --arrivals N (60000), --rtt MS (40), --seed N, --prequeue-minutes M (30),
//            --room-results PATH, --out PATH (bench/results/opening-latest.json), --live-factor F
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { TimeHeap, rng } from "./lib.mjs";

const HERE = dirname(new URL(import.meta.url).pathname);
export const OPENING_RESULTS = join(HERE, "results", "opening-latest.json");

// ------------------------------------------------------------ the arrival curves

/**
 * June 2016's opening as the reports describe it (architecture.md): ~60,000
 * connections in the line at the opening, most within the first minutes, a
 * peak in the first seconds. A mixture, times in ms after the opening:
 *  - 30% were waiting on the page and click at 08:30:00: exponential, mean 3 s;
 *  - 45% come within the first minutes: exponential, mean 60 s;
 *  - 25% come later: uniform over minutes 2 to 15.
 * About 35,000 arrive in the first minute, ~6,000 in the first second.
 */
export function curve2016(n, random) {
  const times = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = random();
    if (r < 0.3) times[i] = -3_000 * Math.log(1 - random());
    else if (r < 0.75) times[i] = -60_000 * Math.log(1 - random());
    else times[i] = 120_000 + random() * 780_000;
  }
  return times.sort();
}

/**
 * The same crowd with a pre-queue opening `windowMinutes` before the
 * opening (README, "A fair opening"): arriving early no longer buys a better
 * number, so the crowd that raced spreads over the window. Assumed, not
 * observed: 10% still rush at the window's opening (exponential, mean 3 s),
 * 65% spread evenly over the window, and the 25% who came later in 2016 come
 * as they did (after the opening, numbered behind the draw). Times in ms
 * after the opening (negative: in the window).
 */
export function curvePrequeue(n, random, windowMinutes) {
  const w = windowMinutes * 60_000;
  const times = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = random();
    if (r < 0.1) times[i] = -w + Math.min(w - 1, -3_000 * Math.log(1 - random()));
    else if (r < 0.75) times[i] = -w + random() * w;
    else times[i] = 120_000 + random() * 780_000;
  }
  return times.sort();
}

// ------------------------------------------------------------ the room's costs

/**
 * The room's CPU for one call of `n` items, µs, per kind ("enter",
 * "prequeue"): a + b·n fitted (least squares) to the room bench's rows at 1,
 * 10 and 50 per call. Also the draw's µs per pre-queue ticket.
 */
export function roomCosts(results) {
  const fit = (kind) => {
    const rows = results.rows.filter((r) => r.kind === kind);
    if (rows.length === 0) return null;
    if (rows.length === 1) return { a: rows[0].cpuUsPerCall, b: 0 };
    const mx = rows.reduce((s, r) => s + r.perCall, 0) / rows.length;
    const my = rows.reduce((s, r) => s + r.cpuUsPerCall, 0) / rows.length;
    const b = rows.reduce((s, r) => s + (r.perCall - mx) * (r.cpuUsPerCall - my), 0) / rows.reduce((s, r) => s + (r.perCall - mx) ** 2, 0);
    return { a: my - b * mx, b };
  };
  const enter = fit("enter");
  if (!enter) throw new Error("the room results have no enter rows: run npm run bench -- --room");
  const prequeue = fit("prequeue") ?? enter;
  return {
    enter,
    prequeue,
    drawUsPerTicket: results.draw?.cpuUsPerTicket ?? null,
    usPerCall: (kind, n) => {
      const f = kind === "prequeue" ? prequeue : enter;
      return Math.max(1, f.a + f.b * n);
    },
  };
}

// ------------------------------------------------------------ the fan-out model


/**
 * The opening through `fanOut` isolates and one room. `times`: arrivals (ms
 * after the opening, sorted); `prequeue`: whether arrivals before the opening
 * join a pre-queue (then the room draws them at the opening, holding itself
 * for the draw's time). Returns per-call and per-arrival records.
 */
export function fanOutModel({ times, fanOut, rttMs, costs, prequeue, random }) {
  const n = times.length;
  const isolateOf = new Int32Array(n);
  for (let i = 0; i < n; i++) isolateOf[i] = Math.floor(random() * fanOut);
  const isolates = Array.from({ length: fanOut }, () => ({ pending: [], busy: false }));
  const answeredAt = new Float64Array(n);
  const calls = []; // {start, serviceMs, size, kind}
  const events = new TimeHeap();
  const roomQueue = [];
  let roomFreeAt = -Infinity;
  let roomBusy = false;
  const half = rttMs / 2;
  for (let i = 0; i < n; i++) events.push(times[i], { type: "click", i });
  const prequeued = prequeue ? times.filter((t) => t < 0).length : 0;
  const drawMs = prequeue && prequeued > 0 ? (prequeued * (costs.drawUsPerTicket ?? 25)) / 1000 : 0;
  if (drawMs > 0) events.push(0, { type: "draw" });

  const startNext = (t) => {
    if (roomBusy || roomQueue.length === 0) return;
    const job = roomQueue.shift();
    const start = Math.max(t, roomFreeAt);
    const kind = job.draw ? "draw" : prequeue && start < 0 ? "prequeue" : "enter";
    const serviceMs = job.draw ? drawMs : costs.usPerCall(kind, job.batch.length) / 1000;
    roomBusy = true;
    roomFreeAt = start + serviceMs;
    if (!job.draw) calls.push({ start, serviceMs, size: job.batch.length, kind });
    events.push(roomFreeAt, { type: "done", job });
  };
  const send = (k, t) => {
    const batch = isolates[k].pending.splice(0);
    events.push(t + half, { type: "arrive", job: { k, batch } });
  };
  while (events.size > 0) {
    const { t, value: e } = events.pop();
    if (e.type === "click") {
      const iso = isolates[isolateOf[e.i]];
      iso.pending.push(e.i);
      if (!iso.busy) {
        iso.busy = true;
        send(isolateOf[e.i], t);
      }
    } else if (e.type === "arrive" || e.type === "draw") {
      // The draw runs on the room's alarm at the opening, between calls.
      roomQueue.push(e.type === "draw" ? { draw: true } : e.job);
      startNext(t);
    } else if (e.type === "done") {
      roomBusy = false;
      if (!e.job.draw) events.push(t + half, { type: "reply", job: e.job });
      startNext(t);
    } else if (e.type === "reply") {
      for (const i of e.job.batch) answeredAt[i] = t;
      const iso = isolates[e.job.k];
      if (iso.pending.length > 0) send(e.job.k, t);
      else iso.busy = false;
    }
  }
  return { calls, answeredAt, drawMs, prequeued };
}

const pct = (sorted, p) => (sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]);
const r1 = (x) => (x === null ? null : Math.round(x * 10) / 10);

/** The figures of one mode: arrivals, room calls by second against the ceiling, batch sizes, click to number. */
export function summarise({ times, model, prequeue, drawEndsAt }) {
  const bySecond = new Map();
  for (const c of model.calls) {
    const s = Math.floor(c.start / 1000);
    const b = bySecond.get(s) ?? { calls: 0, items: 0, busyMs: 0 };
    b.calls += 1;
    b.items += c.size;
    b.busyMs += c.serviceMs;
    bySecond.set(s, b);
  }
  const seconds = [...bySecond.entries()].sort((a, b) => a[0] - b[0]);
  const peakCalls = seconds.reduce((m, [s, b]) => (b.calls > m.calls ? { second: s, ...b } : m), { calls: 0 });
  const peakBusy = seconds.reduce((m, [s, b]) => (b.busyMs > m.busyMs ? { second: s, ...b } : m), { busyMs: 0 });
  const arrivalsBySecond = new Map();
  for (const t of times) arrivalsBySecond.set(Math.floor(t / 1000), (arrivalsBySecond.get(Math.floor(t / 1000)) ?? 0) + 1);
  const peakArrivals = Math.max(...arrivalsBySecond.values());
  const sizes = model.calls.map((c) => c.size).sort((a, b) => a - b);
  const waits = [];
  const placeWaits = [];
  for (let i = 0; i < times.length; i++) {
    const w = model.answeredAt[i] - times[i];
    if (prequeue && times[i] < 0) placeWaits.push(w);
    else waits.push(w);
  }
  waits.sort((a, b) => a - b);
  placeWaits.sort((a, b) => a - b);
  // At the peak second's batch sizes, the room's ceiling in calls a second: 1 s over the mean call's CPU.
  const ceilingAtPeak = peakCalls.calls > 0 ? Math.floor((peakCalls.calls * 1000) / peakCalls.busyMs) : null;
  return {
    arrivals: times.length,
    firstSecond: times.filter((t) => t >= 0 && t < 1000).length,
    firstMinute: times.filter((t) => t >= 0 && t < 60_000).length,
    beforeOpening: times.filter((t) => t < 0).length,
    peakArrivalsPerSecond: peakArrivals,
    roomCalls: model.calls.length,
    batch: { mean: r1(sizes.reduce((a, b) => a + b, 0) / Math.max(1, sizes.length)), p50: pct(sizes, 50), p99: pct(sizes, 99), max: sizes.at(-1) ?? null, single: r1((sizes.filter((s) => s === 1).length / Math.max(1, sizes.length)) * 100) },
    peakRoomCallsPerSecond: { second: peakCalls.second ?? null, calls: peakCalls.calls, items: peakCalls.items ?? 0, ceilingCallsPerSecond: ceilingAtPeak, headroom: ceilingAtPeak ? r1(ceilingAtPeak / peakCalls.calls) : null },
    // The busiest second of the room's CPU (at most 1,000 ms): headroom is 1,000 ms over it.
    busiestSecond: { second: peakBusy.second ?? null, busyMs: r1(peakBusy.busyMs), calls: peakBusy.calls ?? 0, headroom: peakBusy.busyMs > 0 ? r1(1000 / peakBusy.busyMs) : null },
    clickToNumberMs: { p50: r1(pct(waits, 50)), p99: r1(pct(waits, 99)), max: r1(waits.at(-1) ?? null), of: waits.length },
    ...(prequeue
      ? {
          clickToPlaceMs: { p50: r1(pct(placeWaits, 50)), p99: r1(pct(placeWaits, 99)), max: r1(placeWaits.at(-1) ?? null), of: placeWaits.length },
          draw: { tickets: model.prequeued, holdsRoomMs: r1(model.drawMs), numbersKnownAtMs: r1(drawEndsAt) },
        }
      : {}),
  };
}

/** Both modes for one set of options; the report. */
export function openingModel({ arrivals = 60_000, fanOut = 300, rttMs = 40, seed = 2016, prequeueMinutes = 30, roomResults }) {
  const costs = roomCosts(roomResults);
  const out = { settings: { arrivals, fanOut, rttMs, seed, prequeueMinutes }, room: roomSummary(roomResults, costs), modes: {} };
  for (const mode of ["fifo", "prequeue"]) {
    const random = rng(seed);
    const times = mode === "fifo" ? curve2016(arrivals, random) : curvePrequeue(arrivals, random, prequeueMinutes);
    const model = fanOutModel({ times, fanOut, rttMs, costs, prequeue: mode === "prequeue", random: rng(seed + 1) });
    out.modes[mode] = summarise({ times, model, prequeue: mode === "prequeue", drawEndsAt: model.drawMs });
  }
  return out;
}

function roomSummary(results, costs) {
  const row = (kind, n) => results.rows.find((r) => r.kind === kind && r.perCall === n);
  return {
    from: results.at,
    machine: `${results.machine.cores} cores, ${results.machine.cpuModel}, files on ${results.settings.state}`,
    enterCeilingPerSecond: results.ceiling.enterPerSecond,
    prequeueCeilingPerSecond: results.ceiling.prequeuePerSecond ?? null,
    usPerCall: { enter: { a: Math.round(costs.enter.a), perItem: r1(costs.enter.b) }, prequeue: { a: Math.round(costs.prequeue.a), perItem: r1(costs.prequeue.b) } },
    drawUsPerTicket: costs.drawUsPerTicket,
    singleEnterCallsPerSecond: row("enter", 1)?.ceilingCallsPerSecond ?? null,
  };
}

export function printOpening(r) {
  const s = r.settings;
  console.log(`\nthe opening: ${s.arrivals} arrivals shaped like June 2016, ${s.fanOut} isolates, ${s.rttMs} ms to the room and back; the room's costs from ${r.room.from} (${r.room.machine})`);
  console.log(`  room CPU a call: enter ${r.room.usPerCall.enter.a} µs + ${r.room.usPerCall.enter.perItem} µs an arrival; pre-queue enter ${r.room.usPerCall.prequeue.a} + ${r.room.usPerCall.prequeue.perItem}; the draw ${r.room.drawUsPerTicket ?? "?"} µs a ticket`);
  for (const [mode, m] of Object.entries(r.modes)) {
    console.log(`\n${mode === "fifo" ? "strict FIFO" : `pre-queue (opens ${s.prequeueMinutes} min before)`}:`);
    console.log(`  arrivals: ${m.beforeOpening} before the opening, ${m.firstSecond} in its first second, ${m.firstMinute} in its first minute; peak ${m.peakArrivalsPerSecond} a second`);
    console.log(`  room calls: ${m.roomCalls}, arrivals a call: mean ${m.batch.mean}, p50 ${m.batch.p50}, p99 ${m.batch.p99}, max ${m.batch.max} (${m.batch.single}% carry one)`);
    const p = m.peakRoomCallsPerSecond;
    console.log(`  peak room calls a second: ${p.calls} (second ${p.second}, ${p.items} arrivals) against a ceiling of ${p.ceilingCallsPerSecond} calls a second at those sizes: headroom ${p.headroom}×`);
    console.log(`  busiest second of the room: ${m.busiestSecond.busyMs} ms of CPU in 1,000 (second ${m.busiestSecond.second}): headroom ${m.busiestSecond.headroom}×`);
    console.log(`  click to number: p50 ${m.clickToNumberMs.p50} ms, p99 ${m.clickToNumberMs.p99} ms, max ${m.clickToNumberMs.max} ms (${m.clickToNumberMs.of} arrivals)`);
    if (m.clickToPlaceMs) {
      console.log(`  click to a place in the pre-queue: p50 ${m.clickToPlaceMs.p50} ms, p99 ${m.clickToPlaceMs.p99} ms (${m.clickToPlaceMs.of} arrivals)`);
      console.log(`  the draw: ${m.draw.tickets} tickets, holds the room ${m.draw.holdsRoomMs} ms at the opening`);
    }
  }
}

// ------------------------------------------------------------ the live replay

/**
 * Replays the first `seconds` of a mode's arrivals against a real room: the
 * simulated isolates batch as src/line/batch.ts does and send real `enter` calls
 * (through a driver Worker, bench/room-driver.js's /batch), every external
 * time multiplied by `factor`. Returns what the real room did.
 */
export async function liveReplay({ times, fanOut, rttMs, seconds, factor, seed, prequeue = false, bundle, log = () => {} }) {
  const { startObjectsWithDriver } = await import("./gateway.mjs");
  const { driverModules } = await import("./room.mjs");
  const { stateRootFor } = await import("./gateway.mjs");
  const picked = [...times.filter((t) => t < seconds * 1000 && (prequeue || t >= 0))];
  const h = await startObjectsWithDriver({ bundle, stateRoot: stateRootFor("memory").root, driver: driverModules() });
  const agent = new Agent({ keepAlive: true, maxSockets: fanOut });
  try {
    const event = "opening-live";
    const start = Date.now() + 2000;
    const opensAt = prequeue ? start + (0 - Math.min(...picked)) * factor : start;
    await h.configure(event, {
      opensAt: new Date(opensAt).toISOString(),
      ...(prequeue ? { prequeueOpensAt: new Date(start - 1000).toISOString() } : {}),
      maxActive: 500,
      admitPerMinute: 1000,
    });
    const url = new URL(h.driverUrl);
    const post = (body) =>
      new Promise((resolve, reject) => {
        const payload = Buffer.from(JSON.stringify(body));
        const req = httpRequest({ agent, host: url.hostname, port: url.port, method: "POST", path: "/batch", headers: { "content-length": payload.length } }, (res) => {
          const chunks = [];
          res.on("data", (c) => chunks.push(c));
          res.on("end", () => (res.statusCode === 200 ? resolve(JSON.parse(Buffer.concat(chunks).toString())) : reject(new Error(`driver ${res.statusCode}`))));
        });
        req.on("error", reject);
        req.end(payload);
      });
    const random = rng(seed + 1);
    const isolates = Array.from({ length: fanOut }, () => ({ pending: [], busy: false }));
    const half = (rttMs / 2) * factor;
    const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
    const clickAt = picked.map((t) => opensAt + t * factor);
    const numbers = new Array(picked.length).fill(null);
    const answeredAt = new Float64Array(picked.length);
    const sizes = [];
    let failures = 0;
    const sendFrom = async (iso) => {
      while (iso.pending.length > 0) {
        const batch = iso.pending.splice(0);
        sizes.push(batch.length);
        await sleep(half);
        try {
          const results = await post({ event, n: batch.length });
          await sleep(half);
          const now = Date.now();
          results.forEach((r, j) => {
            numbers[batch[j]] = r.ok ? r.number : null;
            answeredAt[batch[j]] = now;
          });
        } catch {
          failures += 1;
        }
      }
      iso.busy = false;
    };
    log(`live: ${picked.length} arrivals of the first ${seconds} s, ×${factor} slower (${Math.round((picked.at(-1) ?? 0) * factor / 1000)} s), ${fanOut} isolates`);
    const clicks = picked.map((_, i) => {
      const iso = isolates[Math.floor(random() * fanOut)];
      return sleep(clickAt[i] - Date.now()).then(() => {
        iso.pending.push(i);
        if (!iso.busy) {
          iso.busy = true;
          return sendFrom(iso);
        }
      });
    });
    await Promise.all(clicks);
    // Wait for the isolates still sending.
    for (let i = 0; i < 200 && isolates.some((x) => x.busy); i++) await sleep(50);
    const counts = await (await h.driver("/counts", { event })).json();
    const got = numbers.filter((x) => x !== null);
    const ordered = prequeue ? null : [...got].sort((a, b) => a - b);
    const waits = picked.map((_, i) => (answeredAt[i] - clickAt[i]) / factor).sort((a, b) => a - b);
    sizes.sort((a, b) => a - b);
    return {
      arrivals: picked.length,
      factor,
      seconds,
      roomEnterCalls: counts.enter ?? 0,
      failures,
      batch: { mean: r1(sizes.reduce((a, b) => a + b, 0) / Math.max(1, sizes.length)), p50: pct(sizes, 50), p99: pct(sizes, 99), max: sizes.at(-1) ?? null },
      numbered: got.length,
      gapless: ordered ? ordered.every((x, k) => x === k + 1) : null,
      clickToNumberMsDilated: { p50: r1(pct(waits, 50)), p99: r1(pct(waits, 99)), note: "measured ms divided by the factor: the network and arrivals stretched, the room's own time not" },
    };
  } finally {
    agent.destroy();
    await h.dispose();
  }
}

// ------------------------------------------------------------ command line

export async function main(argv) {
  const { values: args } = parseArgs({
    args: argv,
    options: {
      curve: { type: "string", default: "2016" },
      "fan-out": { type: "string", default: "300" },
      arrivals: { type: "string", default: "60000" },
      rtt: { type: "string", default: "40" },
      seed: { type: "string", default: "2016" },
      "prequeue-minutes": { type: "string", default: "30" },
      "room-results": { type: "string", default: join(HERE, "results", "room-latest.json") },
      out: { type: "string", default: OPENING_RESULTS },
      live: { type: "string" },
      "live-factor": { type: "string" },
      "no-build": { type: "boolean", default: false },
    },
  });
  if (args.curve !== "2016") throw new Error(`--curve: 2016 is the only curve (got ${args.curve})`);
  const whole = (name) => {
    const v = Number(args[name]);
    if (!Number.isSafeInteger(v) || v < 1) throw new Error(`--${name}: a whole number, at least 1 (got ${args[name]})`);
    return v;
  };
  const roomResults = JSON.parse(readFileSync(args["room-results"], "utf8"));
  const report = openingModel({ arrivals: whole("arrivals"), fanOut: whole("fan-out"), rttMs: whole("rtt"), seed: whole("seed"), prequeueMinutes: whole("prequeue-minutes"), roomResults });
  report.at = new Date().toISOString();
  printOpening(report);
  if (args.live !== undefined) {
    const seconds = Math.min(20, whole("live"));
    const fifo = report.modes.fifo;
    // Stretched so that the peak second's calls come at most ~250 a second here (2 cores shared with the driver and this process).
    const factor = args["live-factor"] ? whole("live-factor") : Math.max(1, Math.ceil(fifo.peakRoomCallsPerSecond.calls / 250));
    if (seconds * factor > 45) throw new Error(`--live ${seconds} at ×${factor} would load the room for ${seconds * factor} s: at most 45 (lower --live or --live-factor)`);
    if (!args["no-build"]) (await import("./gateway.mjs")).build();
    const times = curve2016(report.settings.arrivals, rng(report.settings.seed));
    report.live = await liveReplay({ times, fanOut: report.settings.fanOut, rttMs: report.settings.rttMs, seconds, factor, seed: report.settings.seed, log: (m) => console.error(`simulate: ${m}`) });
    const l = report.live;
    console.log(`\nlive replay (strict FIFO, the first ${l.seconds} s, ×${l.factor} slower): ${l.arrivals} arrivals in ${l.roomEnterCalls} real room calls (mean ${l.batch.mean}, p99 ${l.batch.p99} a call), ${l.numbered} numbered, 1..N without gap or repeat: ${l.gapless}, ${l.failures} failed calls`);
    console.log(`  click to number on this machine (divided by the stretch): p50 ${l.clickToNumberMsDilated.p50} ms, p99 ${l.clickToNumberMsDilated.p99} ms`);
  }
  mkdirSync(dirname(args.out), { recursive: true });
  writeFileSync(args.out, `${JSON.stringify(report, null, 2)}\n`);
  console.error(`simulate: wrote ${args.out}`);
  return report;
}
