#!/usr/bin/env node
// Compares two builds of the Worker on one scenario, in the same run: starts
// both (two workerd processes, logging off, on 127.0.0.1), sets the scenario
// up on each, then loads them in turn, slice after slice (A B, B A, A B, ...),
// and reads each workerd's own CPU per request over its slices. A change worth
// a few percent disappears between two runs of `npm run bench` on this shared
// machine (the same build measures ±10% from one run to the next); taken in
// alternating slices of one run, both builds see the same neighbours.
//   node bench/ab.mjs --a /tmp/A/worker.js --b dist/worker.js --scenario enter [--slices 8] [--seconds 3]
//   node bench/ab.mjs --vars-b '{"ROOM_BATCHING":"off"}' --scenario claim    one build, two settings
// Build A from another commit with: git worktree add /tmp/a <commit> && (cd /tmp/a && ln -s /work/main/node_modules && npm run build)
import { mkdtempSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { cpuMs, startGateway, workerdPid } from "./gateway.mjs";
import { prepare, SCENARIOS } from "./scenarios.mjs";

const { values: args } = parseArgs({
  options: {
    a: { type: "string" },
    b: { type: "string", default: "dist/worker.js" },
    scenario: { type: "string", default: "enter" },
    slices: { type: "string", default: "8" },
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
  },
});
args.a ??= args.b;
if (args.a === args.b && args["vars-a"] === args["vars-b"]) console.error("ab: A and B are the same build with the same variables (an A/A run: how large is the noise?)");
if (!SCENARIOS.includes(args.scenario)) throw new Error(`--scenario: one of ${SCENARIOS.join(", ")}`);
const slices = Number(args.slices);
const seconds = Number(args.seconds);

const builds = [];
const cleanups = [];
const stop = async () => {
  await Promise.allSettled(builds.map((b) => b.g.dispose()));
  for (const clean of cleanups) clean();
};
process.on("SIGINT", () => void stop().finally(() => process.exit(130)));
try {
  for (const [label, bundle, vars, state] of [["A", args.a, args["vars-a"], args["state-a"]], ["B", args.b, args["vars-b"], args["state-b"]]]) {
    const persistDir = state ? mkdtempSync(join(state, "guichet-ab-")) : undefined;
    if (persistDir) cleanups.push(() => rmSync(persistDir, { recursive: true, force: true }));
    const g = await startGateway({ bundle: resolve(bundle), vars: JSON.parse(vars), persistDir });
    const pid = workerdPid(builds.map((b) => b.pid));
    const build = { label, bundle, g, pid, slices: [] };
    builds.push(build);
    build.run = await prepare(g, args.scenario, `ab-${args.scenario}`, { connections: Number(args.connections), tickets: Number(args.tickets) });
    await build.run(1); // warm up: JIT, caches, the room's first snapshot
  }
  for (let i = 0; i < slices; i++) {
    for (const b of i % 2 === 0 ? builds : [...builds].reverse()) {
      const cpu0 = cpuMs(b.pid);
      const r = await b.run(seconds);
      const cpu = cpuMs(b.pid) - cpu0;
      if (r.non2xx > 0 || r.errors > 0) throw new Error(`${b.label}: ${r.non2xx} non-2xx, ${r.errors} errors ${JSON.stringify(r.codes)}`);
      b.slices.push({ rps: r.rps, cpuUs: (cpu * 1000) / r.requests });
    }
    const [a, b] = builds.map((x) => x.slices.at(-1));
    console.error(`slice ${i + 1}/${slices}: A ${a.rps} req/s ${a.cpuUs.toFixed(0)} µs · B ${b.rps} req/s ${b.cpuUs.toFixed(0)} µs`);
  }
  const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const [A, B] = builds;
  // Paired by slice: B's CPU per request over A's, with the spread of the pairs.
  const ratios = A.slices.map((a, i) => B.slices[i].cpuUs / a.cpuUs);
  const m = mean(ratios);
  const sd = Math.sqrt(mean(ratios.map((r) => (r - m) ** 2)) * (ratios.length / Math.max(1, ratios.length - 1)));
  const half = (2 * sd) / Math.sqrt(ratios.length);
  console.log(`scenario ${args.scenario}, ${slices} slices of ${seconds} s each, ${args.connections} connections`);
  for (const b of builds) console.log(`  ${b.label} ${b.bundle} ${args[`vars-${b.label.toLowerCase()}`]} ${args[`state-${b.label.toLowerCase()}`] ?? ""}: ${Math.round(mean(b.slices.map((s) => s.rps)))} req/s, ${mean(b.slices.map((s) => s.cpuUs)).toFixed(1)} µs workerd CPU per request`);
  console.log(`  B/A CPU per request: ${m.toFixed(3)} ± ${half.toFixed(3)} (mean of the slice pairs ± 2 standard errors)`);
} finally {
  await stop();
}
