#!/usr/bin/env node
// Times the primitives in bench/micro/worker.js inside workerd (the Miniflare
// wrangler depends on, logging off, state in a temporary directory): wall time
// and workerd's own CPU per operation, each over `n` operations in one request.
//   node bench/micro.mjs                  every primitive
//   node bench/micro.mjs room-row:10@2000 one, as what:size@n
//   BENCH_STATE_DIR=/dev/shm node bench/micro.mjs   storage in memory (what the disk costs)
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuMs, workerdPid } from "./gateway.mjs";

const requireFromWrangler = createRequire(createRequire(import.meta.url).resolve("wrangler/package.json"));
const { Miniflare, Log, LogLevel, convertV4MiniflareOptions } = requireFromWrangler("miniflare");
const ALL = ["hmac-gateway@20000", "room-noop:0@3000", "room-write:0@3000", "room-row:10@2000", "room-json:10@2000", "room-json-ordered:10@2000", "room-json-ordered:50@500", "hmac-node@20000", "hmac-webcrypto@20000", "sha256-gateway@20000", "sha256-node@20000", "es256@5000", "es256-node@5000", "b64-js:300@20000", "b64-native:300@20000", "verify-ticket:1000@20000", "timer@5000", "scheduler-wait@5000", "response-health@20000", "response-claim@20000", "response-claim-secure@20000"];
// The gateway's HMAC and SHA-256 (src/auth/hmac.ts) and its tickets (src/auth/ticket.ts), bundled for the worker as the modules "./hmac.js" and "./ticket.js".
const { buildSync } = requireFromWrangler("esbuild");
const bundled = (path) => buildSync({ entryPoints: [new URL(path, import.meta.url).pathname], bundle: true, format: "esm", write: false }).outputFiles[0].text;
const hmac = bundled("../src/auth/hmac.ts");
const ticket = bundled("../src/auth/ticket.ts");
const microDir = new URL("./micro/", import.meta.url).pathname;
const dir = mkdtempSync(join(process.env.BENCH_STATE_DIR || tmpdir(), "guichet-micro-"));
const mf = new Miniflare(
  convertV4MiniflareOptions({
    host: "127.0.0.1",
    logRequests: false,
    telemetry: { enabled: false },
    cf: { colo: "YUL" },
    log: new Log(LogLevel.WARN),
    resourcePersistencePath: dir,
    workers: [
      {
        name: "micro",
        modules: [
          { type: "ESModule", path: join(microDir, "worker.js") },
          { type: "ESModule", path: join(microDir, "hmac.js"), contents: hmac },
          { type: "ESModule", path: join(microDir, "ticket.js"), contents: ticket },
        ],
        compatibilityDate: "2026-11-01",
        compatibilityFlags: ["nodejs_compat"],
        durableObjects: { BENCH: { className: "Bench", useSQLite: true } },
      },
    ],
  }),
);
try {
  const url = await mf.ready;
  const pid = workerdPid();
  console.log("operation                   n   wall µs/op   workerd CPU µs/op");
  for (const spec of process.argv.length > 2 ? process.argv.slice(2) : ALL) {
    const [, what, size = "0", n] = /^([\w-]+)(?::(\d+))?@(\d+)$/.exec(spec) ?? [];
    if (!what) throw new Error(`not what:size@n: ${spec}`);
    const query = `?what=${what}&size=${size}`;
    await (await fetch(`${url}${query}&n=10`)).text(); // warm up
    const cpu0 = cpuMs(pid);
    const t0 = performance.now();
    const res = await fetch(`${url}${query}&n=${n}`);
    const body = await res.text();
    const wall = performance.now() - t0;
    const cpu = cpuMs(pid) - cpu0;
    if (!res.ok) throw new Error(`${spec}: ${res.status} ${body.slice(0, 200)}`);
    console.log(`${spec.split("@")[0].padEnd(24)} ${n.padStart(6)} ${((wall * 1000) / n).toFixed(1).padStart(12)} ${((cpu * 1000) / n).toFixed(1).padStart(19)}`);
  }
} finally {
  await mf.dispose();
  rmSync(dir, { recursive: true, force: true });
}
