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

/**
 * Parts of the runtime, matched against frames' symbols. The first ones are
 * whole operations: a sample anywhere inside one is its, in this order of
 * precedence (garbage collection walks V8's internals, a commit calls the
 * allocator, an object's method runs JavaScript and SQL). The last three are
 * matched from the innermost frame outwards, the JIT's frames by their object.
 */
export const PARTS = [
  { name: "garbage collection", anywhere: true, re: /Heap::CollectGarbage|Heap::CallGCEpilogueCallbacks|Scavenger|MinorGC|MarkCompact|IncrementalMarking|ConcurrentMarking|ArrayBufferSweeper|cppgc::internal::(Marker|Sweeper)/ },
  { name: "WebCrypto (ES256)", anywhere: true, re: /SubtleCrypto::sign|ECDSA_sign|EVP_DigestSign|ecp_nistz256|bn_mul_mont|sha(256|512)_block_data_order/ },
  { name: "SQLite commit (WAL, fsync)", anywhere: true, re: /vdbeCommit|sqlite3PagerCommit|sqlite3WalCheckpoint|ActorSqlite::commit/ },
  { name: "SQLite statements", anywhere: true, re: /sqlite3_step|sqlite3_prepare|SqlStorage::|SqliteDatabase::Query/ },
  { name: "timers (set, fire, drop)", anywhere: true, re: /^workerd::api::ServiceWorkerGlobalScope::(setTimeout|clearTimeout)|^workerd::IoContext::TimeoutManagerImpl::(setTimeoutImpl|clearTimeout)\(|TimeoutState::~TimeoutState/ },
  // The object's side of a call (its method, JavaScript included) and the copying of arguments and results both ways.
  { name: "Durable Object call (the object's side, copies)", anywhere: true, re: /JsRpcTargetBase::|jsg::Serializer|jsg::Deserializer|ValueSerializer|ValueDeserializer/ },
  { name: "Request, Response and Headers objects", anywhere: true, re: /^workerd::api::(Headers|Request|Response|Body)::/ },
  { name: "HTTP and sockets", re: /hyper|http::|bytes::|futures_util|workerd_server::listen|tcp_|sock_|writev|readv|epoll|mio::|tokio|__libc_recv|__libc_send|kj::HttpHeaders|kj::HttpServer/ },
  { name: "JavaScript (ours, hono, V8 builtins)", jit: true, re: /^Builtins_|^v8::/ },
  { name: "runtime (IoContext, jsg, promises)", re: /workerd::|kj::|jsg::/ },
];
const OTHER = "other (allocator, kernel)";

/** Parts' shares of the samples in a `perf script` output. */
function shares(script) {
  const counts = new Map();
  const others = new Map();
  const details = new Map();
  let total = 0;
  for (const sample of script.split("\n\n")) {
    // Frame lines only ("<address> <symbol> (<object>)"), innermost first.
    const frames = sample.split("\n").map((l) => l.trim()).filter((l) => /^[0-9a-f]+ /.test(l));
    if (frames.length === 0) continue;
    total += 1;
    // The JIT's frames have no symbol but their object.
    const parsed = frames.map((frame) => {
      const m = /^[0-9a-f]+ (.*) \((.*)\)$/.exec(frame);
      return m ? { sym: m[1].replace(/\+0x[0-9a-f]+$/, ""), jit: /JIT|perf-\d+\.map/.test(m[2]) } : { sym: frame, jit: false };
    });
    const whole = PARTS.find((p) => p.anywhere && parsed.some((f) => p.re.test(f.sym)));
    let part = whole?.name ?? OTHER;
    if (!whole) {
      for (const f of parsed) {
        const found = PARTS.find((p) => !p.anywhere && ((p.jit && f.jit) || p.re.test(f.sym)));
        if (found) {
          part = found.name;
          break;
        }
      }
    }
    counts.set(part, (counts.get(part) ?? 0) + 1);
    if (args.detail && part.includes(args.detail)) {
      const where = parsed.slice(0, 2).map((f) => (f.jit ? "(JIT)" : f.sym.slice(0, 70))).join(" < ");
      details.set(where, (details.get(where) ?? 0) + 1);
    }
    if (part === OTHER) {
      const where = parsed.slice(0, 3).map((f) => f.sym.slice(0, 60)).join(" < ");
      others.set(where, (others.get(where) ?? 0) + 1);
    }
  }
  const topOthers = (n) => [...others].sort((a, b) => b[1] - a[1]).slice(0, n).map(([where, k]) => `${((k / total) * 100).toFixed(2)}% ${where}`);
  // µs per request of each innermost frame pair in the part named by --detail.
  const detailUs = (usPerRequest) => new Map([...details].map(([where, k]) => [where, (k / total) * usPerRequest]));
  return { total, share: (name) => (counts.get(name) ?? 0) / Math.max(1, total), topOthers, detailUs };
}

/** Runs `run` for `seconds` under perf; returns workerd's CPU µs per request and the parts' shares. */
async function measure(pid, run, dir, label) {
  const data = join(dir, `${label}.data`);
  const perf = spawn("perf", ["record", "-q", "-F", "1999", "-g", "-p", String(pid), "-o", data, "--", "sleep", String(seconds)], { stdio: "ignore" });
  const r = await withCpu(pid, () => run(seconds));
  await new Promise((res) => perf.on("exit", res));
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${label}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  const script = spawnSync("perf", ["script", "-i", data, "-F", "ip,sym,dso"], { maxBuffer: 1 << 30, encoding: "utf8" }).stdout;
  return { rps: r.rps, usPerRequest: r.cpuUsPerRequest, ...shares(script) };
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
