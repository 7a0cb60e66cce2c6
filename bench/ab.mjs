#!/usr/bin/env node
// Compares two builds of the Worker on one scenario, in the same run: starts
// both (two workerd processes, logging off, on 127.0.0.1), sets the scenario
// up on each, then loads them in turn, slice after slice (A B, B A, A B, ...),
// and reads each workerd's own CPU per request over its slices. A change worth
// a few percent disappears between two runs of `npm run bench` on this shared
// machine (the same build measures ±10% from one run to the next); taken in
// alternating slices of one run, both builds see the same neighbours.
//   node bench/ab.mjs --a /tmp/A/worker.js --b dist/worker.js --scenario enter [--slices 8] [--seconds 3] [--runs 3]
//   node bench/ab.mjs --vars-b '{"ROOM_BATCHING":"off"}' --scenario claim    one build, two settings
//   --together: both sides as two Workers of one workerd process, not a process each
//   also: --scenario health|poll|enter|claim|submit, --connections 50, --tickets 5000 (poll), --no-pin,
//   --vars-a/--vars-b JSON, --state-a/--state-b DIR (e.g. /dev/shm); --help prints this
// Build A from another commit with: git worktree add /tmp/a <commit> && (cd /tmp/a && ln -s /work/main/node_modules && npm run build)
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { startGateway, startGateways, withCpu, workerdPid } from "./gateway.mjs";
import { prepare, SCENARIOS } from "./scenarios.mjs";

const { values: args } = parseArgs({
  options: {
    a: { type: "string" },
    b: { type: "string", default: "dist/worker.js" },
    scenario: { type: "string", default: "enter" },
    slices: { type: "string", default: "8" },
    // Independent runs, each with both gateways started afresh (see the end: across runs, the run is the unit).
    runs: { type: "string", default: "1" },
    // Pin both workerd processes to one core and the load generator to another (see pinToCores); --no-pin to leave them.
    pin: { type: "boolean", default: true },
    // Both sides in one workerd process (see oneRun); the default is a process each.
    together: { type: "boolean", default: false },
    seconds: { type: "string", default: "3" },
    connections: { type: "string", default: "50" },
    // Waiting tickets the poll scenario rotates over (100000: every poll a cookie the isolate has not seen lately).
    tickets: { type: "string", default: "5000" },
    // Variables for one side only, as JSON: compares settings of one build, e.g. --vars-b '{"ROOM_BATCHING":"off"}'.
    "vars-a": { type: "string", default: "{}" },
    "vars-b": { type: "string", default: "{}" },
    // Where one side keeps its objects' and D1's files (default: the temporary directory), e.g. --state-b /dev/shm.
    "state-a": { type: "string" },
    "state-b": { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (args.help) {
  // The usage is this file's opening comment.
  const usage = readFileSync(new URL(import.meta.url), "utf8").split("\n").slice(1).filter((l) => l.startsWith("//")).map((l) => l.replace(/^\/\/ ?/, ""));
  console.log(usage.join("\n"));
  process.exit(0);
}
args.a ??= args.b;
if (args.a === args.b && args["vars-a"] === args["vars-b"]) console.error("ab: A and B are the same build with the same variables (an A/A run: how large is the noise?)");
if (args.together && (args["state-a"] || args["state-b"])) throw new Error("--state-a/--state-b need a process each: not with --together");
if (!SCENARIOS.includes(args.scenario)) throw new Error(`--scenario: one of ${SCENARIOS.join(", ")}`);
const slices = Number(args.slices);
const seconds = Number(args.seconds);
const runs = Number(args.runs);
const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
/** Mean of `xs` and two standard errors of it. */
const meanAndHalf = (xs) => {
  const m = mean(xs);
  const sd = Math.sqrt(mean(xs.map((x) => (x - m) ** 2)) * (xs.length / Math.max(1, xs.length - 1)));
  return { m, half: (2 * sd) / Math.sqrt(xs.length) };
};

let builds = [];
const stop = async () => {
  await Promise.allSettled(builds.map((b) => b.g.dispose()));
  builds = [];
};
process.on("SIGINT", () => void stop().finally(() => process.exit(130)));

/**
 * Both workerd processes on the last core and this process (the load
 * generator) on the first, with `--pin` (the default where `taskset` and two
 * cores are there), so the scheduler's placement is not one more difference
 * between the sides. A/A runs (one build on both sides) gave 0.91 to 1.05
 * unpinned and 0.92 to 1.03 pinned: it narrows the per-run bias, it does not
 * remove it (hence --runs).
 */
function pinToCores(pids) {
  if (!args.pin || cpus().length < 2 || spawnSync("taskset", ["-V"]).status !== 0) return;
  const last = String(cpus().length - 1);
  for (const pid of pids) spawnSync("taskset", ["-a", "-p", "-c", last, String(pid)], { stdio: "ignore" });
  spawnSync("taskset", ["-a", "-p", "-c", "0", String(process.pid)], { stdio: "ignore" });
}

/**
 * One run: both gateways started afresh, the scenario set up on each, then the
 * alternating slices; B/A per slice pair. With --together both sides are two
 * Workers of one workerd process (each with its own objects, D1 and socket):
 * a slice loads one side while the other idles, and the process's CPU over
 * the slice is that side's.
 */
async function oneRun(run) {
  const sides = [["A", args.a, args["vars-a"], args["state-a"]], ["B", args.b, args["vars-b"], args["state-b"]]];
  // Odd runs start B first: the start order, one thing that differs between the sides, cancels over an even number of runs.
  const ordered = run % 2 === 0 ? sides : [...sides].reverse();
  const gateways = args.together ? await startGateways(ordered.map(([, bundle, vars]) => ({ bundle: resolve(bundle), vars: JSON.parse(vars) }))) : [];
  for (const [i, [label, bundle, vars, state]] of ordered.entries()) {
    let g = gateways[i];
    if (!g) {
      // The gateway makes its state directory under `state` and removes it when disposed.
      g = await startGateway({ bundle: resolve(bundle), vars: JSON.parse(vars), stateRoot: state });
    }
    const pid = args.together ? workerdPid() : workerdPid(builds.map((b) => b.pid));
    const build = { label, bundle, g, pid, slices: [] };
    builds.push(build);
    build.run = await prepare(g, args.scenario, `ab-${args.scenario}`, { connections: Number(args.connections), tickets: Number(args.tickets) });
    await build.run(1); // warm up: JIT, caches, the room's first snapshot
  }
  pinToCores([...new Set(builds.map((b) => b.pid))]);
  for (let i = 0; i < slices; i++) {
    for (const b of i % 2 === 0 ? builds : [...builds].reverse()) {
      const r = await withCpu(b.pid, () => b.run(seconds));
      if (r.non2xx > 0 || r.errors > 0) throw new Error(`${b.label}: ${r.non2xx} non-2xx, ${r.errors} errors ${JSON.stringify(r.codes)}`);
      b.slices.push({ rps: r.rps, cpuUs: r.cpuUsPerRequest });
    }
    const [a, b] = ["A", "B"].map((label) => builds.find((x) => x.label === label).slices.at(-1));
    console.error(`run ${run + 1}/${runs}, slice ${i + 1}/${slices}: A ${a.rps} req/s ${a.cpuUs.toFixed(0)} µs · B ${b.rps} req/s ${b.cpuUs.toFixed(0)} µs`);
  }
  const A = builds.find((b) => b.label === "A");
  const B = builds.find((b) => b.label === "B");
  // Paired by slice: B's CPU per request over A's, with the spread of the pairs.
  const pairs = meanAndHalf(A.slices.map((a, i) => B.slices[i].cpuUs / a.cpuUs));
  const summary = [A, B].map((b) => `  ${b.label} ${b.bundle} ${args[`vars-${b.label.toLowerCase()}`]} ${args[`state-${b.label.toLowerCase()}`] ?? ""}: ${Math.round(mean(b.slices.map((s) => s.rps)))} req/s, ${mean(b.slices.map((s) => s.cpuUs)).toFixed(1)} µs workerd CPU per request`);
  await stop();
  return { ...pairs, summary };
}

try {
  const results = [];
  for (let run = 0; run < runs; run++) results.push(await oneRun(run));
  console.log(`scenario ${args.scenario}, ${runs} run(s) of ${slices} slices of ${seconds} s each, ${args.connections} connections`);
  results.forEach((r, i) => {
    if (runs > 1) console.log(` run ${i + 1}:`);
    for (const line of r.summary) console.log(line);
    console.log(`  B/A CPU per request: ${r.m.toFixed(3)} ± ${r.half.toFixed(3)} (mean of the slice pairs ± 2 standard errors)`);
  });
  // Each run starts its own two workerd processes, and a pair of processes can
  // keep a bias of a few percent for the whole run (two runs of the same pair
  // of builds have differed by more than their ±2 standard errors): across
  // runs, the run is the unit.
  if (runs > 1) {
    const across = meanAndHalf(results.map((r) => r.m));
    console.log(`B/A CPU per request over ${runs} runs: ${across.m.toFixed(3)} ± ${across.half.toFixed(3)} (mean of the runs ± 2 standard errors of the runs)`);
  }
} finally {
  await stop();
}
