#!/usr/bin/env node
// Where workerd's own time goes, for one scenario beside the baseline: the V8
// profile (bench/profile.mjs) sees only JavaScript, while most of a request's
// cost here is the runtime's (HTTP, Request/Response/Headers objects, the
// garbage collector, SQLite, timers). This samples the whole workerd process
// with Linux `perf` (stacks of the C++, Rust, kernel and V8 builtin frames)
// during a bounded autocannon run, files each sample under the first known
// part met from its innermost frame outwards, and prints µs per request by
// part for `GET /guichet/healthz` and for the scenario, measured on the same
// gateway one after the other, and the difference.
//   node bench/perf.mjs --scenario enter|claim|poll|submit [--seconds 6] [--json out.json] [--tickets 100000 (polls)] [--others 20]
//   --detail runtime: the innermost frames inside one part (by name), µs per request, healthz against the scenario
//   --before poll,enter: first load these scenarios on the same gateway (12 s each, as npm run bench does before its claims)
//   --state memory: the objects' and D1's files in /dev/shm (default disk, as npm run bench)
//   --connections N: concurrent connections of every load, --before's too (default 50, as npm run bench)
// Needs `perf` (Debian: linux-perf) and the right to profile a child process;
// it talks only to 127.0.0.1 and stops everything it started.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startGateway, stateRootFor, withCpu, workerdPid } from "./gateway.mjs";
import { wholeOption } from "./lib.mjs";
import { prepare, SCENARIOS } from "./scenarios.mjs";
import { OTHER, PARTS, shares } from "./perf-parts.mjs";

const { values: args } = parseArgs({
  options: { scenario: { type: "string", default: "enter" }, seconds: { type: "string", default: "6" }, json: { type: "string" }, others: { type: "string", default: "0" }, detail: { type: "string" }, tickets: { type: "string", default: "5000" }, before: { type: "string" }, state: { type: "string", default: "disk" }, connections: { type: "string" } },
});
if (!SCENARIOS.includes(args.scenario) || args.scenario === "health") throw new Error(`--scenario: one of ${SCENARIOS.filter((s) => s !== "health").join(", ")}`);
const BEFORE = args.before ? args.before.split(",") : [];
if (BEFORE.some((name) => !SCENARIOS.includes(name))) throw new Error(`--before: scenarios among ${SCENARIOS.join(", ")}`);
const CONNECTIONS = wholeOption("connections", args.connections, 50);
if (spawnSync("perf", ["--version"]).status !== 0) {
  console.error("bench/perf.mjs needs Linux perf (Debian: apt-get install linux-perf)");
  process.exit(2);
}
const seconds = Number(args.seconds);
// Where the objects' files live, as npm run bench keeps them (disk; --state memory).
const STATE = stateRootFor(args.state);

/** Runs `run` for `seconds` under perf; returns workerd's CPU µs per request and the parts' shares. */
async function measure(pid, run, dir, label) {
  const data = join(dir, `${label}.data`);
  const perf = spawn("perf", ["record", "-q", "-F", "1999", "-g", "-p", String(pid), "-o", data, "--", "sleep", String(seconds)], { stdio: "ignore" });
  const r = await withCpu(pid, () => run(seconds));
  await new Promise((res) => perf.on("exit", res));
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${label}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  const script = spawnSync("perf", ["script", "-i", data, "-F", "ip,sym,dso"], { maxBuffer: 1 << 30, encoding: "utf8" }).stdout;
  return { rps: r.rps, usPerRequest: r.cpuUsPerRequest, ...shares(script, args.detail) };
}

const dir = mkdtempSync(join(tmpdir(), "guichet-perf-"));
const g = await startGateway({ stateRoot: STATE.root });
const stop = async () => {
  await g.dispose();
  rmSync(dir, { recursive: true, force: true });
};
process.on("SIGINT", () => void stop().finally(() => process.exit(130)));
try {
  const pid = workerdPid();
  const results = {};
  // What the bench has put through the same gateway before a scenario: its rooms, the isolate's heap and caches.
  for (const name of BEFORE) {
    const r = await (await prepare(g, name, `before-${name}`, { connections: CONNECTIONS }))(12);
    console.log(`before: ${name}, ${r.requests} requests`);
  }
  for (const name of ["health", args.scenario]) {
    const run = await prepare(g, name, `perf-${name}`, { tickets: Number(args.tickets), connections: CONNECTIONS });
    await run(2); // warm up
    results[name] = await measure(pid, run, dir, name);
  }
  const base = results.health;
  const it = results[args.scenario];
  const rows = [...PARTS.map((p) => p.name), OTHER].map((name) => {
    const b = base.share(name) * base.usPerRequest;
    const s = it.share(name) * it.usPerRequest;
    return { part: name, baselineUs: Math.round(b * 10) / 10, scenarioUs: Math.round(s * 10) / 10, extraUs: Math.round((s - b) * 10) / 10 };
  });
  console.log(`workerd CPU per request by part (${seconds} s each under perf; ${base.total} and ${it.total} samples)`);
  console.log(`| part | healthz µs | ${args.scenario} µs | extra µs |\n|---|---:|---:|---:|`);
  for (const r of rows) console.log(`| ${r.part} | ${r.baselineUs} | ${r.scenarioUs} | ${r.extraUs} |`);
  console.log(`| all (req/s ${base.rps} and ${it.rps}) | ${Math.round(base.usPerRequest)} | ${Math.round(it.usPerRequest)} | ${Math.round(it.usPerRequest - base.usPerRequest)} |`);
  // --others N: the innermost frames of the samples no part claimed, to extend PARTS.
  for (const line of it.topOthers(Number(args.others))) console.log(`  other: ${line}`);
  // --detail PART: the innermost frames within that part, µs per request, scenario against healthz.
  if (args.detail) {
    const b = base.detailUs(base.usPerRequest);
    const s = it.detailUs(it.usPerRequest);
    const rowsOf = [...new Set([...b.keys(), ...s.keys()])].map((k) => [k, b.get(k) ?? 0, s.get(k) ?? 0]).sort((x, y) => y[2] - y[1] - (x[2] - x[1]));
    for (const [k, x, y] of rowsOf.slice(0, 40)) console.log(`  ${args.detail}: ${x.toFixed(2)} -> ${y.toFixed(2)} µs  ${k}`);
  }
  if (args.json) writeFileSync(args.json, JSON.stringify({ at: new Date().toISOString(), scenario: args.scenario, seconds, baseline: { rps: base.rps, usPerRequest: base.usPerRequest }, it: { rps: it.rps, usPerRequest: it.usPerRequest }, rows }, null, 2) + "\n");
} finally {
  await stop();
}
