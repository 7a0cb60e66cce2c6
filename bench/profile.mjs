#!/usr/bin/env node
// Where a scenario's CPU goes inside workerd: starts the gateway with the
// inspector on 127.0.0.1, records a V8 CPU profile of the gateway Worker's
// isolate (which also runs the Durable Objects) during a bounded autocannon
// run, and prints the heaviest functions by self time. Optionally writes the
// .cpuprofile (open it in Chrome DevTools).
//   node bench/profile.mjs --scenario health|poll|enter|claim|submit [--seconds 5] [--out file.cpuprofile] [--tickets 100000 (polls)]
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { startGateway } from "./gateway.mjs";
import { prepare } from "./scenarios.mjs";

const { values: args } = parseArgs({
  options: { scenario: { type: "string", default: "poll" }, seconds: { type: "string", default: "5" }, out: { type: "string" }, top: { type: "string", default: "30" }, tickets: { type: "string", default: "5000" } },
});
const inspectorPort = 9300 + Math.floor(Math.random() * 500);
const g = await startGateway({ vars: { EVENT_OPENS_AT: new Date(Date.now() - 1000).toISOString() }, inspectorPort });
const stop = () => g.dispose();
process.on("SIGINT", () => void stop().finally(() => process.exit(130)));
try {
  const runFor = await prepare(g, args.scenario, `prof-${args.scenario}`, { tickets: Number(args.tickets) });
  const run = () => runFor(Number(args.seconds));

  const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json();
  const target = targets.find((t) => /guichet/.test(t.title ?? "") || /guichet/.test(t.url ?? "")) ?? targets[0];
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((r, j) => { ws.onopen = r; ws.onerror = j; });
  let id = 0;
  const pending = new Map();
  ws.onmessage = (m) => { const msg = JSON.parse(m.data); if (msg.id && pending.has(msg.id)) { pending.get(msg.id)(msg); pending.delete(msg.id); } };
  const send = (method, params = {}) => new Promise((r) => { const i = ++id; pending.set(i, r); ws.send(JSON.stringify({ id: i, method, params })); });
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 100 });
  await send("Profiler.start");
  const result = await run();
  const { result: { profile } } = await send("Profiler.stop");
  ws.close();
  console.log(`${args.scenario}: ${result.rps} req/s, p50 ${result.p50} ms, non-2xx ${result.non2xx} ${JSON.stringify(result.codes ?? {})} (under the profiler)`);
  if (args.out) writeFileSync(args.out, JSON.stringify(profile));
  // Self time by function, and inclusive time by function (total over the tree).
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dt = profile.timeDeltas;
  const hits = new Map();
  profile.samples.forEach((s, i) => hits.set(s, (hits.get(s) ?? 0) + (dt[i] ?? 0)));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const incl = new Map();
  let total = 0;
  const name = (n) => `${n.callFrame.functionName || "(anon)"} ${n.callFrame.url.split("/").pop()}:${n.callFrame.lineNumber + 1}`;
  for (const [nodeId, us] of hits) {
    total += us;
    const n = byId.get(nodeId);
    self.set(name(n), (self.get(name(n)) ?? 0) + us);
    const seen = new Set();
    for (let p = nodeId; p !== undefined; p = parent.get(p)) {
      const k = name(byId.get(p));
      if (seen.has(k)) continue;
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + us);
    }
  }
  const top = Number(args.top);
  const show = (title, m) => {
    console.log(`\n${title} (of ${(total / 1000).toFixed(0)} ms sampled):`);
    for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${((us / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
  };
  show("self time", self);
  show("inclusive time", incl);
} finally {
  await stop();
}
