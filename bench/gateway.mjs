// Starts the gateway for the benchmark and the simulation: the Worker bundle
// that `wrangler deploy --dry-run --outdir dist` writes, run by workerd
// through Miniflare (the one wrangler depends on), with request logging off,
// on 127.0.0.1, with fresh secrets, D1 migrated, and SQLite-backed Durable
// Objects in a temporary directory. A second, tiny Worker ("bench-control")
// shares the objects' namespaces and D1 so the harness can read the objects'
// own call counters and D1 without going through the gateway's routes.
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { createRequire } from "node:module";
import { generateSecrets } from "../scripts/secrets.mjs";

const ROOT = new URL("..", import.meta.url).pathname;
// The Miniflare that wrangler itself runs (its own dependency), not whichever
// copy npm hoisted: the same workerd `wrangler dev` would use.
const requireFromWrangler = createRequire(createRequire(import.meta.url).resolve("wrangler/package.json"));
const { Miniflare, Log, LogLevel, convertV4MiniflareOptions } = requireFromWrangler("miniflare");
export const MINIFLARE_VERSION = requireFromWrangler("miniflare/package.json").version;
const WORKERD_BIN = join(requireFromWrangler.resolve("workerd/package.json"), "../bin/workerd");

/**
 * Builds the bundle exactly as `npm run build` does (into a clean dist/); returns its sizes.
 * `root`: another copy of the project to build (bench/floor.mjs), with this one's node_modules.
 */
export function build({ quiet = true, root = ROOT } = {}) {
  rmSync(join(root, "dist"), { recursive: true, force: true });
  const run = spawnSync(join(ROOT, "node_modules/.bin/wrangler"), ["deploy", "--dry-run", "--outdir", "dist"], {
    cwd: root,
    stdio: quiet ? "pipe" : "inherit",
    // node_modules/.bin first: wrangler's `#!/usr/bin/env node` then runs on the pinned Node 22, also when this tool runs on the machine's Node 20.
    env: { ...process.env, PATH: `${join(ROOT, "node_modules/.bin")}${delimiter}${process.env.PATH ?? ""}`, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", CI: "1" },
  });
  if (run.status !== 0) throw new Error(`wrangler build failed:\n${run.stderr?.toString() ?? ""}`);
  // wrangler's own figure covers every module it would upload (the page scripts are modules beside worker.js).
  const upload = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(`${run.stdout ?? ""}${run.stderr ?? ""}`);
  return { ...bundleSize(join(root, "dist/worker.js")), ...(upload ? { uploadKiB: Number(upload[1]), uploadGzipKiB: Number(upload[2]) } : {}) };
}

/** worker.js and the modules beside it, raw and gzip (level 9), in bytes. */
export function bundleSize(bundle = join(ROOT, "dist/worker.js")) {
  let rawBytes = 0;
  let gzipBytes = 0;
  for (const { path } of bundleModules(bundle)) {
    const code = readFileSync(path);
    rawBytes += code.length;
    gzipBytes += gzipSync(code, { level: 9 }).length;
  }
  return { rawBytes, gzipBytes };
}

/** The entry module first, then every other module wrangler wrote beside it. */
function bundleModules(bundle) {
  const dir = dirname(bundle);
  const others = readdirSync(dir)
    .filter((f) => f.endsWith(".js") && join(dir, f) !== bundle)
    .map((f) => ({ type: f.endsWith(".client.js") ? "Text" : "ESModule", path: join(dir, f) }));
  return [{ type: "ESModule", path: bundle }, ...others];
}

/** The D1 migrations, in order, as SQL text. */
function migrations() {
  const dir = join(ROOT, "migrations");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort()
    .map((f) => readFileSync(join(dir, f), "utf8"));
}

/** wrangler.toml's [vars], read without a TOML parser (flat `KEY = "value"` lines). */
function tomlVars() {
  const text = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
  const section = text.split(/^\[vars\]\s*$/m)[1]?.split(/^\[/m)[0] ?? "";
  const vars = {};
  for (const m of section.matchAll(/^([A-Z0-9_]+)\s*=\s*"([^"]*)"/gm)) vars[m[1]] = m[2];
  return vars;
}

/** wrangler.toml's compatibility date and flags, as Miniflare's options name them. */
function tomlCompat() {
  const text = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(text)?.[1];
  const flags = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(text)?.[1] ?? "";
  return { compatibilityDate: date, compatibilityFlags: [...flags.matchAll(/"([^"]+)"/g)].map((m) => m[1]) };
}

// The control Worker: RPC-free reads of the objects' counters and of D1.
const CONTROL = `
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const event = url.searchParams.get("event");
    if (url.pathname === "/counts") {
      const room = await env.QUEUE_ROOM.getByName(event).callCounts();
      const quota = await env.QUOTA_COUNTER.getByName(event).callCounts();
      return Response.json({ room, quota });
    }
    if (url.pathname === "/enter") {
      // Numbers a batch of arrivals directly (setup of large lines, not measured).
      const { ticketIds } = await request.json();
      const results = await env.QUEUE_ROOM.getByName(event).enter(ticketIds.map((ticketId) => ({ ticketId })));
      return Response.json(results);
    }
    if (url.pathname === "/configure") {
      // The event's settings, straight to the room (bench --objects apart: a room reached through the debug port has no name).
      const r = await env.QUEUE_ROOM.getByName(event).configure(await request.json(), { source: "test" });
      return Response.json(r, { status: r.ok ? 200 : 400 });
    }
    if (url.pathname === "/pause") return Response.json(await env.QUEUE_ROOM.getByName(event).setPaused(true));
    if (url.pathname === "/sql") {
      const { sql, params } = await request.json();
      const { results } = await env.DB.prepare(sql).bind(...(params ?? [])).all();
      return Response.json(results);
    }
    return new Response("not found", { status: 404 });
  },
};`;

/**
 * The gateway's vars and secrets: wrangler.toml's, with no per-client enter
 * limit (the bench's clients share one address) and development's relaxed
 * configuration check (a plain-http issuer and origin on 127.0.0.1), then `vars`.
 */
function gatewayBindings(vars = {}, secrets) {
  return { ...tomlVars(), ENTER_LIMIT_PER_MINUTE: "0", GATEWAY_ISSUER: "http://guichet.bench", GUICHET_ENV: "development", ...vars, ...secrets };
}

/** Applies the D1 migrations to worker `name`'s database DB. */
async function migrate(mf, name) {
  const db = await mf.getD1Database("DB", name);
  for (const sql of migrations()) {
    for (const statement of sql.split("--> statement-breakpoint")) {
      if (statement.trim()) await db.prepare(statement).run();
    }
  }
}

/** The harness's calls to a control Worker (CONTROL). */
function controlClient(control) {
  const post = async (path, event, body) => {
    const res = await control.fetch(`http://control/${path}?event=${encodeURIComponent(event)}`, { method: "POST", body: JSON.stringify(body ?? null) });
    if (!res.ok) throw new Error(`control ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  return {
    post,
    counts: async (event) => (await control.fetch(`http://control/counts?event=${encodeURIComponent(event)}`)).json(),
    sql: async (q, params = []) => (await control.fetch("http://control/sql", { method: "POST", body: JSON.stringify({ sql: q, params }) })).json(),
    enterBatch: (event, ticketIds) => post("enter", event, { ticketIds }),
  };
}

/** Where the Durable Objects may run: in the gateway's workerd process, or in a second one (startApart). */
export const OBJECTS = ["together", "apart"];

/**
 * Starts workerd with the gateway on 127.0.0.1. `vars` override wrangler.toml's.
 * Returns { url, secrets, counts(event), sql(q, params), dispose() }; with
 * `objects: "apart"` (startApart) also `ops` (the events' settings),
 * `pid` (the gateway's workerd process) and `objectsPid`.
 */
export async function startGateway({ vars = {}, port = 0, stateRoot, direct = true, inspectorPort, bundle = join(ROOT, "dist/worker.js"), objects = "together" } = {}) {
  if (objects === "apart") return startApart({ bundle, vars, port, stateRoot });
  if (objects !== "together") throw new Error(`--objects: one of ${OBJECTS.join(", ")} (got ${objects})`);
  const [gateway] = await startGateways([{ bundle, vars }], { port, stateRoot, direct, inspectorPort });
  return gateway;
}

/** The objects' own workerd process (the bundle's Durable Objects, D1 and the control Worker), for startApart and startObjectsWithDriver. */
async function startObjects({ shared, dir, bundle, bindings, compat, started }) {
  const objects = new Miniflare(convertV4MiniflareOptions({
    ...shared,
    port: 0,
    resourcePersistencePath: join(dir, "objects"),
    workers: [bundleWorker("guichet-objects", bundle, bindings, "guichet-bench", compat, objectsOf()), controlWorker("bench-control", "guichet-bench", compat, "guichet-objects")],
  }));
  started.push(objects);
  await objects.ready;
  return { objects, objectsPid: workerdPid() };
}

/**
 * The gateway with its Durable Objects in a second workerd process, as in
 * production, where an object runs on its own machine: the gateway's process
 * runs the Worker, and each object call leaves it. Miniflare's dev registry
 * connects the two (a directory both instances write their addresses to):
 * in the gateway's process a stand-in object forwards each call over
 * workerd's debug port to the real one, so the gateway still pays a local
 * object call per batch on top of the call's trip, which a deployed Worker
 * does not. The objects' process gets D1 and the control Worker; the
 * gateway's own D1 is migrated but holds nothing the bench reads.
 */
async function startApart({ bundle, vars, port, stateRoot }) {
  if (!existsSync(bundle)) build();
  const secrets = generateSecrets();
  const bindings = gatewayBindings(vars, secrets);
  const dir = mkdtempSync(join(stateRoot ?? tmpdir(), "guichet-bench-"));
  const compat = tomlCompat();
  const shared = { ...harnessOptions(), unsafeDevRegistryPath: join(dir, "registry") };
  const started = [];
  const dispose = async ({ keepFiles = false } = {}) => {
    for (const mf of started.splice(0).reverse()) await mf.dispose().catch(() => {});
    if (!keepFiles) rmSync(dir, { recursive: true, force: true });
  };
  try {
    const { objects, objectsPid } = await startObjects({ shared, dir, bundle, bindings, compat, started });
    const gatewayMf = new Miniflare(convertV4MiniflareOptions({
      ...shared,
      port,
      resourcePersistencePath: join(dir, "gateway"),
      workers: [{ ...bundleWorker("guichet", bundle, bindings, "guichet-bench", compat, objectsOf("guichet-objects")), unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }] }],
    }));
    started.push(gatewayMf);
    await gatewayMf.ready;
    const pid = workerdPid([objectsPid]);
    await migrate(objects, "guichet-objects");
    await migrate(gatewayMf, "guichet");
    const url = (await gatewayMf.unsafeGetDirectURL("guichet")).toString().replace(/\/$/, "");
    const { counts, sql, enterBatch, post } = controlClient(await objects.getWorker("bench-control"));
    // The events' settings go to the rooms from the objects' process (see CONTROL's /configure).
    const ops = { configure: (event, settings) => post("configure", event, settings), pause: (event) => post("pause", event) };
    return { url, mf: gatewayMf, secrets, vars: bindings, counts, sql, enterBatch, ops, dispose, dir, pid, objectsPid };
  } catch (e) {
    await dispose();
    throw e;
  }
}

/**
 * The Durable Objects alone in one workerd process (the built bundle, as in
 * startApart) and a driver Worker (`driver`: its modules) in a second one,
 * whose QUEUE_ROOM and QUOTA_COUNTER bindings reach the first through
 * Miniflare's dev registry, as startApart's gateway does. For bench/room.mjs:
 * the objects' process then runs the objects and nothing else.
 * Returns { driver (fetch into the driver Worker), driverUrl, configure(event, settings), objectsPid, driverPid, dispose() }.
 */
export async function startObjectsWithDriver({ bundle = join(ROOT, "dist/worker.js"), vars = {}, stateRoot, driver }) {
  if (!existsSync(bundle)) build();
  const bindings = gatewayBindings(vars, generateSecrets());
  const dir = mkdtempSync(join(stateRoot ?? tmpdir(), "guichet-room-"));
  const compat = tomlCompat();
  const shared = { ...harnessOptions(), unsafeDevRegistryPath: join(dir, "registry") };
  const started = [];
  const dispose = async () => {
    for (const mf of started.splice(0).reverse()) await mf.dispose().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const { objects, objectsPid } = await startObjects({ shared, dir, bundle, bindings, compat, started });
    await migrate(objects, "guichet-objects");
    // A room reached through the debug port has no name, and configure needs it: settings go from the objects' own process.
    const { post } = controlClient(await objects.getWorker("bench-control"));
    const driverMf = new Miniflare(convertV4MiniflareOptions({
      ...shared,
      port: 0,
      resourcePersistencePath: join(dir, "driver"),
      workers: [{ name: "room-driver", modules: driver, ...compat, durableObjects: objectsOf("guichet-objects"), unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }] }],
    }));
    started.push(driverMf);
    await driverMf.ready;
    const driverPid = workerdPid([objectsPid]);
    const worker = await driverMf.getWorker("room-driver");
    const driverUrl = (await driverMf.unsafeGetDirectURL("room-driver")).toString().replace(/\/$/, "");
    return {
      driver: (path, body) => worker.fetch(`http://driver${path}`, { method: "POST", body: JSON.stringify(body) }),
      /** The driver over HTTP on 127.0.0.1, for loads from Node. */
      driverUrl,
      configure: (event, settings) => post("configure", event, settings),
      objectsPid,
      driverPid,
      dir,
      dispose,
    };
  } catch (e) {
    await dispose();
    throw e;
  }
}

/**
 * Where a bench keeps the objects' and D1's SQLite files: "disk" is the
 * temporary directory, "memory" is /dev/shm (tmpfs). A
 * deployed Durable Object's commit is its own machine's work, never the
 * Worker's; here every object runs on the gateway's one thread, and on this
 * shared virtual disk each commit's write and flush also wait on the
 * neighbours. Memory keeps the objects' SQL and commits (they still cost what
 * SQLite costs) and drops the disk. Returns the directory and the medium
 * actually used (memory falls back to disk where there is no /dev/shm, and
 * says so on stderr).
 */
export function stateRootFor(medium) {
  if (medium === "disk") return { medium: "disk", root: tmpdir() };
  if (medium !== "memory") throw new Error(`--state: memory or disk (got ${medium})`);
  try {
    accessSync("/dev/shm", constants.W_OK);
    return { medium: "memory", root: "/dev/shm" };
  } catch {
    console.error("bench: --state memory: no writable /dev/shm, the files stay on disk");
    return { medium: "disk", root: tmpdir() };
  }
}

/**
 * Several builds (or settings) of the gateway in one workerd process, each
 * with its own objects, D1 database, control Worker and socket (bench/ab.mjs
 * --together): one process, so no difference between two processes' memory
 * or placement can favour one side. One gateway object per side, in order;
 * disposing any of them stops them all. One side is started as
 * startGateway's single gateway, under the names it always had.
 */
export async function startGateways(sides, { port = 0, stateRoot, direct = true, inspectorPort } = {}) {
  const secrets = generateSecrets();
  const named = sides.map((side, i) => {
    const suffix = sides.length === 1 ? "" : `-${String.fromCharCode(97 + i)}`;
    return {
      name: `guichet${suffix}`,
      control: `bench-control${suffix}`,
      db: `guichet-bench${suffix}`,
      bundle: side.bundle ?? join(ROOT, "dist/worker.js"),
      bindings: gatewayBindings(side.vars, secrets),
    };
  });
  for (const side of named) if (!existsSync(side.bundle)) build();
  // The objects' and D1's files: a fresh directory under `stateRoot` (e.g. /dev/shm: see stateRootFor), removed on dispose.
  const dir = mkdtempSync(join(stateRoot ?? tmpdir(), "guichet-bench-"));
  let mf;
  try {
    mf = newMiniflare({ port, inspectorPort, dir, direct, compat: tomlCompat(), sides: named });
  } catch (e) {
    // Invalid options throw before workerd starts: leave no state directory behind.
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  let disposed = false;
  /** Stops workerd; removes the state directory unless `keepFiles`. */
  const dispose = async ({ keepFiles = false } = {}) => {
    if (!disposed) {
      disposed = true;
      await mf.dispose().catch(() => {});
    }
    if (!keepFiles) rmSync(dir, { recursive: true, force: true });
  };
  try {
    const entry = (await mf.ready).toString().replace(/\/$/, "");
    const gateways = [];
    for (const side of named) {
      const url = direct ? (await mf.unsafeGetDirectURL(side.name)).toString().replace(/\/$/, "") : entry;
      await migrate(mf, side.name);
      const { counts, sql, enterBatch } = controlClient(await mf.getWorker(side.control));
      gateways.push({ url, mf, secrets, vars: side.bindings, counts, sql, enterBatch, dispose, dir });
    }
    return gateways;
  } catch (e) {
    await dispose();
    throw e;
  }
}

/** The Miniflare that runs the gateways (each with its control Worker) for startGateways. */
function newMiniflare({ port, inspectorPort, dir, direct, compat, sides }) {
  return new Miniflare(convertV4MiniflareOptions({
    ...harnessOptions(),
    port,
    inspectorPort,
    resourcePersistencePath: dir,
    workers: sides.flatMap((side) => [
      {
        ...bundleWorker(side.name, side.bundle, side.bindings, side.db, compat, objectsOf()),
        // A socket straight into the gateway Worker, without Miniflare's entry
        // Worker in between (one hop, as in production).
        unsafeDirectSockets: direct ? [{ host: "127.0.0.1", port: 0 }] : undefined,
      },
      controlWorker(side.control, side.db, compat, side.name),
    ]),
  }));
}

/** What every Miniflare of the harness shares: 127.0.0.1 only, no request log, no telemetry, a fixed `cf`. */
function harnessOptions() {
  return {
    host: "127.0.0.1",
    logRequests: false,
    // No request for Cloudflare's `cf` object, no telemetry: this harness talks to 127.0.0.1 only.
    telemetry: { enabled: false },
    cf: { colo: "YUL", country: "CA", timezone: "America/Montreal" },
    log: new Log(process.env.MF_LOG === "debug" ? LogLevel.DEBUG : LogLevel.WARN),
  };
}

/** The two objects' bindings: defined here, or those of the Worker `scriptName` (in this process or, through the dev registry, another). */
function objectsOf(scriptName) {
  const at = scriptName ? { scriptName } : {};
  return {
    QUEUE_ROOM: { className: "QueueRoom", useSQLite: true, ...at },
    QUOTA_COUNTER: { className: "QuotaCounter", useSQLite: true, ...at },
  };
}

/**
 * A Worker running the bundle: its modules as wrangler wrote them
 * (wrangler.toml's [[rules]]: the room page's browser script is imported as
 * text), `bindings` as vars and secrets, D1 `db` as DB.
 */
function bundleWorker(name, bundle, bindings, db, compat, durableObjects) {
  return { name, modules: bundleModules(bundle), modulesRoot: dirname(bundle), ...compat, bindings, durableObjects, d1Databases: { DB: db } };
}

/** The control Worker (CONTROL), with the objects of the Worker `objectsOf` and D1 `db`. */
function controlWorker(name, db, compat, objectsOfWorker) {
  return { name, modules: [{ type: "ESModule", path: "control.mjs", contents: CONTROL }], ...compat, durableObjects: objectsOf(objectsOfWorker), d1Databases: { DB: db } };
}

/** workerd's version, as its binary prints it. */
export function workerdVersion() {
  const run = spawnSync(WORKERD_BIN, ["--version"], { encoding: "utf8" });
  return (run.stdout || run.stderr || "").trim() || "unknown";
}

export function dirSize(path) {
  let total = 0;
  for (const name of readdirSync(path, { recursive: true })) {
    const s = statSync(join(path, name.toString()));
    if (s.isFile()) total += s.size;
  }
  return total;
}

/** The workerd process Miniflare started (a descendant of this process, not one of `exclude`), for its memory and CPU. */
export function workerdPid(exclude = []) {
  const parents = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parents.set(Number(entry), { ppid: Number(fields[1]), comm: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")) });
    } catch {}
  }
  const mine = (pid) => {
    for (let p = pid, hops = 0; p > 1 && hops < 10; p = parents.get(p)?.ppid ?? 0, hops++) if (p === process.pid) return true;
    return false;
  };
  for (const [pid, { comm }] of parents) if (comm.startsWith("workerd") && mine(pid) && !exclude.includes(pid)) return pid;
  return null;
}

/** workerd's resident memory, MiB. */
export function rssMiB(pid) {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
    return Math.round((kb / 1024) * 10) / 10;
  } catch {
    return null;
  }
}

/** Sizes of the SQLite files (with -wal/-shm) of one Durable Object class, by file. */
export function doFiles(gateway, className) {
  const root = join(gateway.dir, "do");
  const out = new Map();
  if (!existsSync(root)) return out;
  for (const name of readdirSync(root, { recursive: true })) {
    const path = join(root, name.toString());
    if (!path.includes(className)) continue;
    const s = statSync(path);
    if (s.isFile()) out.set(path.replace(/-(wal|shm)$/, ""), (out.get(path.replace(/-(wal|shm)$/, "")) ?? 0) + s.size);
  }
  return out;
}

/**
 * `run()` (a load run: load()'s result) with the CPU workerd `pid` spent
 * meanwhile: workerdCpuMs, and cpuUsPerRequest (µs, unrounded); both null
 * where /proc could not be read.
 */
export async function withCpu(pid, run) {
  const cpu0 = cpuMs(pid);
  const r = await run();
  const cpu1 = cpuMs(pid);
  const ms = cpu0 === null || cpu1 === null ? null : cpu1 - cpu0;
  return { ...r, workerdCpuMs: ms, cpuUsPerRequest: ms === null ? null : (ms * 1000) / r.requests };
}

/**
 * Workerd `pid`'s CPU µs per request for each of `loads` ([label, run], run
 * a load() run), loaded in turn for `rounds` rounds, every other round in
 * reverse order so that no load always follows the same neighbour. Any
 * non-2xx answer or error stops it; `name` prefixes the progress on stderr.
 */
export async function cpuInRounds(pid, loads, rounds, name) {
  const totals = loads.map(() => ({ cpuMs: 0, requests: 0 }));
  for (let round = 0; round < rounds; round++) {
    const order = loads.map((_, i) => i);
    if (round % 2 === 1) order.reverse();
    for (const i of order) {
      const [label, run] = loads[i];
      const r = await withCpu(pid, run);
      if (r.non2xx > 0 || r.errors > 0) throw new Error(`${label}: ${r.non2xx} non-2xx, ${r.errors} errors ${JSON.stringify(r.codes)}`);
      totals[i].cpuMs += r.workerdCpuMs;
      totals[i].requests += r.requests;
    }
    process.stderr.write(`${name}: round ${round + 1}/${rounds}\n`);
  }
  return totals.map((t) => (t.cpuMs * 1000) / t.requests);
}

/** CPU time the process has used so far, in user space and in the kernel, in milliseconds (null if unreadable). */
export function cpuSplitMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { user: (Number(f[11]) * 1000) / 100, system: (Number(f[12]) * 1000) / 100 };
  } catch {
    return null;
  }
}

/** CPU time (user + system) the process has used so far, in milliseconds. */
export function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // clock ticks of 10 ms (CLK_TCK 100)
  } catch {
    return null;
  }
}
