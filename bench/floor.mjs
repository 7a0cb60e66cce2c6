#!/usr/bin/env node
// What an enter is made of, measured as floors: a copy of the Worker with a
// few extra routes, each one piece of an enter alone (awaiting a timer, the
// batching with nothing behind it, the batching with a Durable Object call
// that does nothing, the room's real enter with a bare answer, the answer's
// shape with no work, an ES256 signature), loaded in turn, slice after slice,
// beside `GET /guichet/healthz` and the whole `POST /guichet/api/enter` on the
// same gateway; prints workerd CPU µs per request for each and its extra over
// healthz. The routes exist only in the copy (built into a temporary
// directory, removed at the end): the Worker that ships has none of them.
//   node bench/floor.mjs [--rounds 6] [--seconds 3]
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { build, cpuInRounds, startGateway, workerdPid } from "./gateway.mjs";
import { load, opsClient, wholeOption } from "./lib.mjs";

const { values: args } = parseArgs({ options: { rounds: { type: "string", default: "6" }, seconds: { type: "string", default: "3" } } });
const rounds = wholeOption("rounds", args.rounds);
const seconds = wholeOption("seconds", args.seconds);
const ROOT = new URL("..", import.meta.url).pathname;
const EVENT = "floor";

// The same answer an enter gives (a status body of ~400 bytes and a ticket cookie, made as
// src/routes/queue.ts's jsonWithCookie makes it for http://127.0.0.1), written out once.
const ENTER_SHAPE = JSON.stringify({ event: EVENT, state: "waiting", number: 1, position: 1, ahead: 0, servingNumber: 0, waitingCount: 1, estimatedWaitSeconds: 0, opensAt: "2026-11-27T18:45:16.131Z", admissionExpiresAt: null, claimDeadline: null, quota: { total: 5100, accepted: 0, closed: false }, pollAfterMs: 2000, paused: false, closedReason: null, outcome: null, banner: null, prequeue: null, powDifficulty: 0, device: "desktop" });
const COOKIE = "guichet_ticket=floor.-P7TJrfXktdG9Vf0EUk0dF.1.36wdd7J_fczba-wsub86tjcRpf3h44BpDSIseoFFCRg; Max-Age=259200; Path=/; HttpOnly; SameSite=Lax";

/** [label, method, path, route source (null: a route the Worker has)]. */
const PIECES = [
  ["healthz (the baseline)", "GET", "/guichet/healthz", null],
  ["await a 0 ms timer, then healthz's answer", "GET", "/guichet/floor/timer", `async (c) => { await new Promise((r) => setTimeout(r, 0)); return c.json({ ok: true }); }`],
  ["batched (src/line/batch.ts), nothing behind it", "GET", "/guichet/floor/batch", `async (c) => c.json({ ok: await batched("floor:noop", 1, async (items) => { await new Promise((r) => setTimeout(r, 0)); return items; }, (p) => c.executionCtx.waitUntil(p)) })`],
  ["batched, one room call that does nothing", "GET", "/guichet/floor/call", `async (c) => c.json({ ok: await batched("floor:call", 1, async (items) => { await c.env.QUEUE_ROOM.getByName("${EVENT}").callCounts(); return items; }, (p) => c.executionCtx.waitUntil(p)) })`],
  ["batched, the room's real enter, bare answer", "GET", "/guichet/floor/enter", `async (c) => c.json({ ok: (await batched("floor:enter", { ticketId: newTicketId(), fresh: true }, (items) => c.env.QUEUE_ROOM.getByName("${EVENT}").enter(items), (p) => c.executionCtx.waitUntil(p))).ok })`],
  ["an enter's answer (201, cookie, status body), no work", "POST", "/guichet/floor/shape", `() => new Response(${JSON.stringify(ENTER_SHAPE)}, { status: 201, headers: { "Content-Type": "application/json", "Set-Cookie": ${JSON.stringify(COOKIE)} } })`],
  ["one ES256 admission signature, then healthz's answer", "GET", "/guichet/floor/sign", `async (c) => c.json({ ok: (await signAdmission(c.env, { sub: "t", jti: "j", iat: 1, exp: 2, evt: "${EVENT}", num: 1, dev: "desktop" }, "i", "a")).length > 0 })`],
  ["the whole enter", "POST", `/guichet/api/enter?event=${EVENT}`, null],
];

/** A copy of the project whose Worker has the floor routes, built into <dir>/dist. */
function buildCopy(dir) {
  for (const part of ["src", "scripts", "public", "migrations", "wrangler.toml", "package.json", "tsconfig.json"]) cpSync(join(ROOT, part), join(dir, part), { recursive: true });
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  const worker = join(dir, "src/worker.ts");
  const routes = PIECES.filter((p) => p[3]).map(([, method, path, source]) => `app.${method.toLowerCase()}("${path}", ${source});`).join("\n");
  const imports = `import { batched } from "./line/batch";\nimport { newTicketId } from "./auth/ticket";\nimport { signAdmission } from "./auth/admission";\n`;
  const text = readFileSync(worker, "utf8");
  const at = text.indexOf('app.get("/guichet/healthz"');
  if (at < 0) throw new Error("src/worker.ts: the healthz route was not found");
  writeFileSync(worker, imports + text.slice(0, at) + routes + "\n" + text.slice(at));
  build({ root: dir });
  return join(dir, "dist/worker.js");
}

const dir = mkdtempSync(join(tmpdir(), "guichet-floor-"));
let g;
const stop = async () => {
  await g?.dispose();
  rmSync(dir, { recursive: true, force: true });
};
process.on("SIGINT", () => void stop().finally(() => process.exit(130)));
try {
  g = await startGateway({ bundle: buildCopy(dir) });
  await opsClient(g.url, g.secrets).configure(EVENT, { opensAt: new Date(Date.now() - 1000).toISOString(), maxActive: 500 });
  const loads = PIECES.map(([label, method, path]) => [label, () => load(g.url, { connections: 50, duration: seconds, method, path })]);
  const us = await cpuInRounds(workerdPid(), loads, rounds, "floor");
  console.log(`workerd CPU per request, ${rounds} rounds of ${seconds} s per piece, 50 connections`);
  console.log("| piece | µs/request | over healthz |\n|---|---:|---:|");
  PIECES.forEach(([label], i) => console.log(`| ${label} | ${us[i].toFixed(1)} | ${i === 0 ? "" : (us[i] - us[0]).toFixed(1)} |`));
} finally {
  await stop();
}
