// `npm run bench -- --room`: the ceiling of one QueueRoom, from the objects'
// own CPU. The objects run alone in one workerd process (the built bundle,
// its D1 and SQLite files as `npm run bench` keeps them); a driver Worker in a
// second process (bench/room-driver.js) calls the room's RPC directly, as the
// gateway's Worker does, with 1, 10 or 50 arrivals (or claims) per call: 1 is
// what a deployed Worker sends when each isolate sees a few arrivals a second
// (batching has nothing to join), 10 and 50 are forced batches. The objects'
// process CPU (user + system, /proc/<pid>/stat) over each load, per call and
// per arrival, gives what one room sustains on one core: 1e6 µs / µs per
// arrival. What that CPU includes: receiving and answering each call
// (workerd's RPC dispatch, the copying of arguments and results), the room's
// JavaScript, its SQLite statements and commit, its alarm ticks meanwhile.
// What it does not: the network between a Worker's data centre and the room's,
// and the Worker's own work (the route, signing tokens).
//
// The objects' SQLite files are in memory (/dev/shm) by default: a deployed
// object's commit is confirmed by replicas over the network, not by a sync of
// a local disk, and on this machine's shared virtual disk a commit's writes
// cost 2 to 3.5 times the CPU the same call costs in memory (kernel writes
// and syncs; bench/HISTORY.md, round 19). `--state disk` measures that.
//
//   npm run bench -- --room                 enters, pre-queue enters and claims at 1, 10, 50 per call (6 s each), the draw of 60,000
//   npm run bench -- --room --quick         2 s each, smaller lines
//   npm run bench -- --room --seconds 10    seconds of load per measurement (at most 30)
//   npm run bench -- --room --out PATH      the JSON (default bench/results/room-latest.json)
//   npm run bench -- --room --state disk    the objects' files on disk (default: memory, see below)
//   npm run bench -- --room --only noop,enter@1   some rows only (noop: a call that does nothing, the floor)
//   npm run bench -- --room --perf          each row's objects' CPU by part, sampled with Linux perf (bench/perf-parts.mjs)
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { build, bundleSize, cpuMs, cpuSplitMs, MINIFLARE_VERSION, startObjectsWithDriver, stateRootFor, workerdVersion } from "./gateway.mjs";
import { machine } from "./lib.mjs";
import { OTHER, PARTS, shares } from "./perf-parts.mjs";

const HERE = dirname(new URL(import.meta.url).pathname);
export const ROOM_RESULTS = join(HERE, "results", "room-latest.json");
/** The documented soft limit of one Durable Object, requests a second (Cloudflare's Durable Objects limits page). */
export const SOFT_LIMIT = 1_000;
/** Issue 32's goal: single-arrival enters a second through one room, five times the soft limit. */
export const GOAL_SINGLE_ENTERS = 5_000;
const SIZES = [1, 10, 50];
/** Room calls in flight from the driver: enough that the room never waits for the next one. */
const IN_FLIGHT = 16;

const log = (m) => console.error(`bench --room: ${m}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The driver's modules: its source, and src/auth/ticket.ts bundled as "./ticket.js" (the Worker's own ticket ids). */
export function driverModules() {
  const requireFromWrangler = createRequire(createRequire(import.meta.url).resolve("wrangler/package.json"));
  const { buildSync } = requireFromWrangler("esbuild");
  const ticket = buildSync({ entryPoints: [join(HERE, "../src/auth/ticket.ts")], bundle: true, format: "esm", write: false }).outputFiles[0].text;
  return [
    { type: "ESModule", path: join(HERE, "room-driver.js") },
    { type: "ESModule", path: join(HERE, "ticket.js"), contents: ticket },
  ];
}

/**
 * Measures the room; returns the report (and writes it to `out`).
 * Options: quick, seconds, out, state ("disk" | "memory"), bundle, noBuild.
 */
export async function roomBench({ quick = false, seconds, out = ROOM_RESULTS, state = "memory", bundle, noBuild = false, only, perf = false } = {}) {
  if (perf && spawnSync("perf", ["--version"]).status !== 0) throw new Error("--perf needs Linux perf (Debian: apt-get install linux-perf)");
  const perfDir = perf ? mkdtempSync(join(tmpdir(), "guichet-room-perf-")) : null;
  const wanted = (kind, perCall) => !only || only.includes(`${kind}@${perCall}`) || only.includes(kind);
  const SECONDS = Math.min(30, seconds ?? (quick ? 2 : 6));
  const CLAIM_TICKETS = quick ? 20_000 : 60_000;
  const DRAW_TICKETS = quick ? 10_000 : 60_000;
  const STATE = stateRootFor(state);
  const started = new Date();
  const load0 = loadavg();
  let size;
  if (bundle) size = bundleSize(bundle);
  else if (noBuild) size = bundleSize();
  else {
    log("building the bundle (wrangler deploy --dry-run --outdir dist)");
    size = build();
  }
  const h = await startObjectsWithDriver({ bundle, stateRoot: STATE.root, driver: driverModules() });
  const stop = () => h.dispose();
  process.once("SIGINT", () => void stop().finally(() => process.exit(130)));
  try {
    const call = async (path, body) => {
      const res = await h.driver(path, body);
      const json = await res.json();
      if (!res.ok) throw new Error(`driver ${path}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    const configure = async (event, settings) => {
      await h.configure(event, { opensAt: new Date(Date.now() - 1000).toISOString(), ...settings });
    };
    /** A load through the driver with the objects' CPU around it. */
    const measured = async (path, body) => {
      const data = perfDir && join(perfDir, `${path.slice(1)}-${body.perCall ?? 1}.data`);
      const sampler = data && spawn("perf", ["record", "-q", "-F", "1999", "-g", "-p", String(h.objectsPid), "-o", data], { stdio: "ignore" });
      if (sampler) await sleep(300);
      const cpu0 = cpuSplitMs(h.objectsPid);
      const driver0 = cpuMs(h.driverPid);
      const t0 = Date.now();
      const r = await call(path, body);
      const wallMs = Date.now() - t0;
      const cpu1 = cpuSplitMs(h.objectsPid);
      if (r.failed > 0) throw new Error(`${path}: ${r.failed} calls failed: ${r.firstError}`);
      const user = cpu1.user - cpu0.user;
      const system = cpu1.system - cpu0.system;
      let parts;
      if (sampler) {
        sampler.kill("SIGINT");
        await new Promise((res) => sampler.on("exit", res));
        const found = shares(spawnSync("perf", ["script", "-i", data, "-F", "ip,sym,dso"], { maxBuffer: 1 << 30, encoding: "utf8" }).stdout);
        // Each part's share of the samples, as µs per item of the measured CPU.
        const usPerItem = ((user + system) * 1000) / r.items;
        parts = Object.fromEntries([...PARTS.map((p) => p.name), OTHER].map((name) => [name, Math.round(found.share(name) * usPerItem * 10) / 10]));
      }
      return { ...r, wallMs, objectsCpuMs: user + system, objectsSystemMs: system, driverCpuMs: cpuMs(h.driverPid) - driver0, parts };
    };

    // The objects' process at rest (an open room's alarm ticking, nobody arriving): what every load's figure also holds.
    await configure("room-idle", { maxActive: 500, admitPerMinute: 1000 });
    await call("/line", { event: "room-idle", n: 1000 });
    const idle0 = cpuMs(h.objectsPid);
    const idleT0 = Date.now();
    await sleep(2000);
    const idleCpuMsPerSecond = ((cpuMs(h.objectsPid) - idle0) * 1000) / (Date.now() - idleT0);

    // Warm-up (JIT, statement caches) on throwaway rooms: enters and claims of every size.
    await configure("room-warm", { maxActive: 1_000_000, admitPerMinute: 1_000_000, quota: 10_000_000, noShowGraceSeconds: 3600, admissionSeconds: 3600 });
    const warm = (await call("/line", { event: "room-warm", n: 3000 })).ids;
    await waitCalled(call, "room-warm", warm.length);
    for (const perCall of SIZES) {
      await call("/enter", { event: "room-warm", perCall, calls: 4000, inFlight: IN_FLIGHT, ms: 500 });
      await call("/claim", { event: "room-warm", ids: warm.splice(0, 1000), perCall, calls: 1000, inFlight: IN_FLIGHT, ms: 500 });
    }

    const rows = [];
    if (wanted("noop", 1)) {
      // The floor: a call the room answers from memory, without SQL or a commit.
      await configure("room-noop", {});
      const r = await measured("/noop", { event: "room-noop", calls: 10_000_000, inFlight: IN_FLIGHT, ms: SECONDS * 1000 });
      rows.push(row("noop", 1, r, idleCpuMsPerSecond));
      log(describe(rows.at(-1)));
    }
    for (const perCall of SIZES) {
      if (!wanted("enter", perCall)) continue;
      // Enters: an open room with 2016's settings, numbering and calling as on the day.
      const event = `room-enter-${perCall}`;
      await configure(event, { maxActive: 500, admitPerMinute: 1000, quota: 5100 });
      const r = await measured("/enter", { event, perCall, calls: 10_000_000, inFlight: IN_FLIGHT, ms: SECONDS * 1000 });
      rows.push(row("enter", perCall, r, idleCpuMsPerSecond));
      log(describe(rows.at(-1)));
    }
    for (const perCall of SIZES) {
      if (!wanted("prequeue", perCall)) continue;
      // Enters during a pre-queue's window: each arrival looked up and given a public id, no number yet.
      const event = `room-prequeue-${perCall}`;
      await configure(event, { prequeueOpensAt: new Date(Date.now() - 1000).toISOString(), opensAt: new Date(Date.now() + 3600_000).toISOString() });
      const r = await measured("/enter", { event, perCall, calls: 10_000_000, inFlight: IN_FLIGHT, ms: SECONDS * 1000 });
      if (r.refused > 0) throw new Error(`pre-queue enters: ${r.refused} refused`);
      rows.push(row("prequeue", perCall, r, idleCpuMsPerSecond));
      log(describe(rows.at(-1)));
    }
    let draw = null;
    if (wanted("draw", 1)) {
      // The draw at the opening: DRAW_TICKETS pre-queue tickets numbered in one step (the room's alarm at opensAt does it).
      const event = "room-draw";
      const opensAt = Date.now() + 10_000;
      await configure(event, { prequeueOpensAt: new Date(Date.now() - 1000).toISOString(), opensAt: new Date(opensAt).toISOString() });
      await call("/line", { event, n: DRAW_TICKETS });
      await sleep(Math.max(0, opensAt - Date.now() - 500));
      const cpu0 = cpuMs(h.objectsPid);
      let record;
      for (let i = 0; i < 120; i++) {
        record = await call("/fairness", { event });
        if (record.shuffledAt !== null) break;
        await sleep(250);
      }
      if (record.shuffledAt === null) throw new Error("the draw did not happen within 30 s of the opening");
      const cpu = cpuMs(h.objectsPid) - cpu0;
      draw = { tickets: record.count, shuffleMs: record.shuffleMs, objectsCpuMs: cpu, cpuUsPerTicket: Math.round((cpu * 1000 * 10) / record.count) / 10 };
      log(`draw of ${draw.tickets} pre-queue tickets: ${draw.shuffleMs} ms inside the room (it holds the room meanwhile), ${cpu} ms of the objects' CPU`);
    }
    for (const perCall of SIZES) {
      if (!wanted("claim", perCall)) continue;
      // Claims: every ticket already called, each claimed once (a first claim: an admission written).
      const event = `room-claim-${perCall}`;
      await configure(event, { maxActive: 1_000_000, admitPerMinute: 1_000_000, quota: 10_000_000, noShowGraceSeconds: 3600, admissionSeconds: 3600 });
      const ids = (await call("/line", { event, n: CLAIM_TICKETS })).ids;
      await waitCalled(call, event, ids.length);
      const r = await measured("/claim", { event, ids, perCall, calls: 10_000_000, inFlight: IN_FLIGHT, ms: SECONDS * 1000 });
      if (r.refused > 0) throw new Error(`claims: ${r.refused} refused`);
      rows.push(row("claim", perCall, r, idleCpuMsPerSecond));
      log(describe(rows.at(-1)));
    }

    const single = rows.find((x) => x.kind === "enter" && x.perCall === 1) ?? { ceilingPerSecond: null };
    const report = {
      at: started.toISOString(),
      what: "one QueueRoom's CPU per call and per arrival, objects alone in their workerd process, driven by a Worker in another",
      settings: { seconds: SECONDS, inFlight: IN_FLIGHT, claimTickets: CLAIM_TICKETS, state: STATE.medium, quick },
      includes: "RPC dispatch and copying, the room's JavaScript, SQLite statements and commit, alarm ticks during the load, the process's idle work",
      excludes: "the network between data centres, the Worker's own work (route, token signing), the QuotaCounter",
      machine: machine({ workerd: workerdVersion(), miniflare: MINIFLARE_VERSION, loadAverageBefore: load0.map(round2), loadAverageAfter: loadavg().map(round2) }),
      bundle: { gzipKiB: Math.round((size.gzipBytes / 1024) * 10) / 10 },
      idleCpuMsPerSecond: round2(idleCpuMsPerSecond),
      rows,
      draw,
      ceiling: {
        prequeuePerSecond: Object.fromEntries(rows.filter((x) => x.kind === "prequeue").map((x) => [x.perCall, x.ceilingPerSecond])),
        enterPerSecond: Object.fromEntries(rows.filter((x) => x.kind === "enter").map((x) => [x.perCall, x.ceilingPerSecond])),
        claimPerSecond: Object.fromEntries(rows.filter((x) => x.kind === "claim").map((x) => [x.perCall, x.ceilingPerSecond])),
        callsPerSecond: Object.fromEntries(rows.map((x) => [`${x.kind}@${x.perCall}`, x.ceilingCallsPerSecond])),
      },
      goal: { target: `≥ ${GOAL_SINGLE_ENTERS} single-arrival enters a second through one room (${GOAL_SINGLE_ENTERS / SOFT_LIMIT}× the soft limit of ${SOFT_LIMIT})`, value: single.ceilingPerSecond, met: single.ceilingPerSecond !== null && single.ceilingPerSecond >= GOAL_SINGLE_ENTERS },
    };
    printRoom(report);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
    log(`wrote ${out}`);
    return report;
  } finally {
    await stop();
    if (perfDir) rmSync(perfDir, { recursive: true, force: true });
  }
}

/** Waits (at most 30 s) until the room has called its first `n` numbers (its alarm calls up to a sixtieth of admitPerMinute a second). */
async function waitCalled(call, event, n) {
  for (let i = 0; i < 120; i++) {
    const s = await call("/snapshot", { event });
    if (s.servingNumber >= n) return;
    await sleep(250);
  }
  throw new Error(`${event}: the first ${n} numbers were not called within 30 s`);
}

function row(kind, perCall, r, idleCpuMsPerSecond) {
  const cpuUsPerItem = (r.objectsCpuMs * 1000) / r.items;
  const idleMs = (idleCpuMsPerSecond * r.wallMs) / 1000;
  return {
    kind,
    perCall,
    calls: r.calls,
    items: r.items,
    refused: r.refused,
    wallSeconds: round2(r.wallMs / 1000),
    objectsCpuMs: r.objectsCpuMs,
    /** Of which in the kernel (the commit's writes and syncs, sockets). */
    objectsSystemMs: r.objectsSystemMs,
    /** The driver's process, for comparison (not in any figure). */
    driverCpuMs: r.driverCpuMs,
    cpuUsPerCall: Math.round((r.objectsCpuMs * 1000) / r.calls),
    cpuUsPerItem: Math.round(cpuUsPerItem * 10) / 10,
    cpuUsPerItemNetOfIdle: Math.round((((r.objectsCpuMs - idleMs) * 1000) / r.items) * 10) / 10,
    /** On one core: 1e6 µs over the µs each costs (idle work included, so a floor). */
    ceilingPerSecond: Math.floor(1e6 / cpuUsPerItem),
    ceilingCallsPerSecond: Math.floor((1e6 * r.calls) / (r.objectsCpuMs * 1000)),
    /** What this machine achieved with the driver competing for its cores: not the ceiling. */
    achievedPerSecond: Math.round(r.items / (r.wallMs / 1000)),
    objectsCpuShare: round2(r.objectsCpuMs / r.wallMs),
    ...(r.parts ? { cpuUsPerItemByPart: r.parts } : {}),
  };
}

const round2 = (x) => Math.round(x * 100) / 100;

function describe(x) {
  return `${x.kind} ×${x.perCall}: ${x.items} in ${x.calls} calls, ${x.cpuUsPerCall} µs CPU a call, ${x.cpuUsPerItem} µs an item → ceiling ${x.ceilingPerSecond}/s (achieved here ${x.achievedPerSecond}/s, objects' process at ${Math.round(x.objectsCpuShare * 100)}% of a core, ${Math.round((x.objectsSystemMs / x.objectsCpuMs) * 100)}% of it in the kernel; driver ${x.driverCpuMs} ms)`;
}

export function printRoom(r) {
  const head = ["", "per call", "calls", "items", "CPU µs/call", "CPU µs/item", "net of idle", "ceiling /s (one core)", "calls /s", "achieved /s"];
  const rows = [head, ...r.rows.map((x) => [x.kind, x.perCall, x.calls, x.items, x.cpuUsPerCall, x.cpuUsPerItem, x.cpuUsPerItemNetOfIdle, x.ceilingPerSecond, x.ceilingCallsPerSecond, x.achievedPerSecond])];
  const widths = head.map((_, i) => Math.max(...rows.map((row) => String(row[i]).length)));
  const fmt = (row) => `| ${row.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join(" | ")} |`;
  console.log(fmt(rows[0]));
  console.log(`|${widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`);
  for (const row of rows.slice(1)) console.log(fmt(row));
  for (const x of r.rows.filter((x) => x.cpuUsPerItemByPart)) {
    console.log(`\n${x.kind} ×${x.perCall}, µs per item by part:`);
    for (const [part, us] of Object.entries(x.cpuUsPerItemByPart)) if (us > 0) console.log(`  ${String(us).padStart(7)}  ${part}`);
  }
  if (r.draw) console.log(`\ndraw of ${r.draw.tickets} pre-queue tickets: ${r.draw.shuffleMs} ms holding the room, ${r.draw.cpuUsPerTicket} µs of the objects' CPU a ticket`);
  console.log(`\nthe objects' process at rest: ${r.idleCpuMsPerSecond} ms CPU a second (in every figure above)`);
  console.log(`ceiling of one room, one core: ${r.ceiling.enterPerSecond[1] ?? "(not measured)"} single-arrival enters/s, ${r.ceiling.claimPerSecond[1] ?? "(not measured)"} single claims/s`);
  console.log(`goal ${r.goal.met ? "met   " : "MISSED"} ${r.goal.target}: ${r.goal.value}`);
  const m = r.machine;
  console.log(`machine: ${m.cores} cores, ${m.cpuModel}, load average ${m.loadAverageBefore.join(" ")} before, ${m.loadAverageAfter.join(" ")} after; ${m.workerd}; files on ${r.settings.state}`);
}
