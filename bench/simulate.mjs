#!/usr/bin/env node
// `npm run simulate`: a whole opening day against a gateway this script starts
// (bench/gateway.mjs: the built bundle in workerd, 127.0.0.1 only), with time
// compressed by --factor: admission time, no-show grace, call rate, the
// candidates' own pace and their polling are all divided by it.
//
// Candidates are HTTP clients with a cookie each: they enter in the first
// simulated minute, poll on pollAfterMs (scaled), claim on your_turn, take a
// realistic time to log in and fill the form, then the origin submits for
// them with their token. 15% never come back after entering (no-shows; a
// third of them return later), 5% are a second account of someone else
// (duplicate identity), 3% are on a phone, 3% abandon after logging in, some
// reload or open a second tab. At the end the report checks the invariants
// (architecture.md) against what candidates saw, D1, and the room's own
// SQLite file.
//
//   npm run simulate                              60,000 arrivals, quota 5,100, maxActive 500
//   npm run simulate -- --arrivals 5000           a smaller day (quota and maxActive scaled)
//   npm run simulate -- --factor 24 --seed 7      time compression, random seed
//   npm run simulate -- --out PATH               JSON report (default bench/results/simulate-latest.json)
//   npm run simulate -- --fairness               people vs scripts, FIFO vs the pre-queue draw (bench/fairness.mjs)
//   npm run simulate -- --curve 2016 --fan-out 300   the opening minute under production fan-out, against the room's ceiling (bench/opening.mjs)
import { Agent, request as httpRequest } from "node:http";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { DatabaseSync } from "node:sqlite";
import { build, startGateway } from "./gateway.mjs";
import { DESKTOP_UA, PHONE_UA, TimeHeap, applicantOf, callMeter, machine, opsClient, rng } from "./lib.mjs";

const FULL = { arrivals: 60_000, quota: 5_100, maxActive: 500, admitPerMinute: 1_000, admissionSeconds: 600, graceSeconds: 120 };


/**
 * Runs one opening day. Returns the report (numbers, and `invariants`: each
 * with `ok`). Options: arrivals, factor, seed, quota, maxActive, concurrency, log.
 */
export async function simulate(options = {}) {
  const arrivals = options.arrivals ?? FULL.arrivals;
  const factor = options.factor ?? 24;
  const scale = arrivals / FULL.arrivals;
  const quota = options.quota ?? Math.max(20, Math.round(FULL.quota * scale));
  const maxActive = options.maxActive ?? Math.max(20, Math.round(FULL.maxActive * scale));
  const admissionSeconds = Math.max(10, Math.round(FULL.admissionSeconds / factor));
  const graceSeconds = Math.max(5, Math.round(FULL.graceSeconds / factor));
  const admitPerMinute = Math.min(1_000_000, Math.round(FULL.admitPerMinute * factor * Math.max(scale, maxActive / FULL.maxActive)));
  const concurrency = options.concurrency ?? 48;
  const abandonRate = options.abandonRate ?? 0.03;
  // Returning no-shows come back this many simulated minutes after entering (from, to).
  const [returnFrom, returnTo] = options.returnMinutes ?? [10, 30];
  const random = rng(options.seed ?? 2016);
  const log = options.log ?? (() => {});
  const event = options.event ?? "opening-day";
  // The whole day is bounded: this many real seconds at most.
  const deadlineMs = (options.maxSeconds ?? 900) * 1000;

  const g = options.gateway ?? (await startGateway({ vars: { EVENT_OPENS_AT: "" } }));
  const ownGateway = !options.gateway;
  options.onGateway?.(g);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const base = new URL(g.url);
  const stats = { requests: 0, byRoute: {}, status5xx: 0, errors: 0, statusCodes: {} };

  /** One HTTP request on the keep-alive agent; resolves {status, headers, body}. */
  function call(method, path, { headers = {}, body, route }) {
    const payload = body === undefined ? undefined : Buffer.from(typeof body === "string" ? body : JSON.stringify(body));
    return new Promise((resolve) => {
      const req = httpRequest(
        {
          agent,
          host: base.hostname,
          port: base.port,
          method,
          path,
          headers: { ...headers, ...(payload ? { "content-type": "application/json", "content-length": payload.length } : { "content-length": 0 }) },
        },
        (res) => {
          const chunks = [];
          res.on("data", (c) => chunks.push(c));
          res.on("end", () => {
            stats.requests += 1;
            stats.byRoute[route] = (stats.byRoute[route] ?? 0) + 1;
            const key = `${route} ${res.statusCode}`;
            stats.statusCodes[key] = (stats.statusCodes[key] ?? 0) + 1;
            if (res.statusCode >= 500) stats.status5xx += 1;
            const text = Buffer.concat(chunks).toString();
            let json = null;
            try {
              json = JSON.parse(text);
            } catch {}
            resolve({ status: res.statusCode, headers: res.headers, body: json });
          });
        },
      );
      req.on("error", () => {
        stats.errors += 1;
        resolve({ status: 0, headers: {}, body: null });
      });
      req.setTimeout(30_000, () => req.destroy(new Error("timeout")));
      if (payload) req.write(payload);
      req.end();
    });
  }

  const started = Date.now();
  let sampler = null;
  try {
    const ops = opsClient(g.url, g.secrets);
    // The event opens two real seconds from now; everyone arrives in the first simulated minute.
    const opensAt = Date.now() + 2000;
    await ops.configure(event, {
      opensAt: new Date(opensAt).toISOString(),
      quota,
      maxActive,
      admitPerMinute,
      admissionSeconds,
      noShowGraceSeconds: graceSeconds,
      overbook: 1,
    });
    const meter = callMeter(g, event);
    await meter.sample();
    sampler = setInterval(() => void meter.sample().catch(() => {}), 1000);

    // ---------------------------------------------------------------- the candidates
    const people = [];
    const originals = [];
    for (let i = 0; i < arrivals; i++) {
      const r = random();
      const kind = r < 0.15 ? "no_show" : r < 0.2 ? "duplicate" : r < 0.23 ? "phone" : r < 0.23 + abandonRate ? "abandon" : "regular";
      const p = {
        i,
        kind,
        // A duplicate is a second account of an earlier candidate: same person, another account.
        person: kind === "duplicate" && originals.length > 0 ? originals[Math.floor(random() * originals.length)] : i,
        returns: kind === "no_show" && random() < 1 / 3,
        reload: random() < 0.1,
        secondTab: random() < 0.05,
        arriveAt: opensAt + (random() * 60_000) / factor,
        // Login, security questions and the form: 3 to 8 simulated minutes.
        sessionMs: ((180 + random() * 300) * 1000) / factor,
        cookie: null,
        number: null,
        numbersSeen: new Set(),
        state: "new",
        admittedAt: null,
        token: null,
        outcome: null,
      };
      if (kind !== "duplicate") originals.push(i);
      people.push(p);
    }

    // Two lanes: far-back polls (bulk) yield to everything else (urgent), so a
    // machine that cannot serve every poll on time delays those that matter least.
    const agenda = new TimeHeap();
    const bulk = new TimeHeap();
    const ua = (p) => (p.kind === "phone" ? PHONE_UA : DESKTOP_UA);
    const closed = { at: null };
    const results = { accepted: [], duplicate: 0, device: 0, quotaRefusedAfterAdmission: 0, replays: 0, expiredTokens: 0, otherRefusals: {} };
    let filledAt = null;
    let active = 0;

    const enter = async (p) => {
      const res = await call("POST", `/guichet/api/enter?event=${event}`, {
        headers: { "user-agent": ua(p), ...(p.cookie ? { cookie: p.cookie } : {}) },
        route: "enter",
      });
      // Matched by the rest of the name (`__Host-guichet_ticket` on HTTPS, the bare name on http://127.0.0.1).
      const set = res.headers["set-cookie"]?.find((c) => /^(__Host-|__Secure-)?guichet_ticket=/.test(c));
      if (set) p.cookie = set.split(";")[0];
      if (res.status === 201 || res.status === 200) {
        p.numbersSeen.add(res.body.number);
        p.number ??= res.body.number;
        return res.body;
      }
      if (res.status === 409) return { retryMs: 200 }; // not open yet (clock skew at the opening)
      if (res.status === 410) return { closed: true };
      return { retryMs: 500 };
    };

    const poll = async (p) => {
      const res = await call("GET", `/guichet/api/status?event=${event}`, { headers: { cookie: p.cookie, "user-agent": ua(p) }, route: "status" });
      return res.status === 200 ? res.body : null;
    };

    const schedulePoll = (p, body) => {
      const after = body?.pollAfterMs ?? 2000;
      const lane = body && body.state === "waiting" && body.position > 2 * maxActive ? bulk : agenda;
      lane.push(Date.now() + Math.max(20, after / factor), () => step(p));
    };

    /** One candidate's next move, given what the room says. */
    async function step(p) {
      if (p.state === "done") return;
      if (p.state === "new") {
        const body = await enter(p);
        if (body.closed) return void (p.state = "done", (p.outcome = "closed_before_entering"));
        if (body.retryMs) return void agenda.push(Date.now() + body.retryMs, () => step(p));
        p.state = "waiting";
        // A reload or a second tab: the same cookie enters again and must get the same number.
        if (p.reload) agenda.push(Date.now() + 500 / factor + random() * 2000, () => enter(p));
        if (p.secondTab) agenda.push(Date.now() + random() * 3000, async () => {
          await enter(p);
          const b = await poll(p);
          if (b?.number !== undefined && b.number !== null) p.numbersSeen.add(b.number);
        });
        if (p.kind === "no_show") {
          // Closes the tab. A third come back later (after their call has lapsed).
          p.state = p.returns ? "away" : "done";
          if (p.returns) agenda.push(Date.now() + ((returnFrom + random() * (returnTo - returnFrom)) * 60_000) / factor, () => ((p.state = "waiting"), step(p)));
          else p.outcome = "no_show";
          return;
        }
        return schedulePoll(p, body);
      }
      if (p.state === "waiting") {
        const body = await poll(p);
        if (!body) return schedulePoll(p, null);
        if (body.number !== undefined && body.number !== null) p.numbersSeen.add(body.number);
        if (body.state === "closed") return void ((p.state = "done"), (p.outcome = "closed_while_waiting"));
        if (body.state === "expired") return void ((p.state = "done"), (p.outcome = "lapsed"));
        if (body.state !== "your_turn") return schedulePoll(p, body);
        const claim = await call("POST", `/guichet/api/claim?event=${event}`, { headers: { cookie: p.cookie, "user-agent": ua(p) }, route: "claim" });
        if (claim.status !== 200) {
          if (claim.status === 409) return schedulePoll(p, body);
          p.state = "done";
          p.outcome = `claim_${claim.body?.error?.code ?? claim.status}`;
          return;
        }
        p.token = claim.body.admission.token;
        p.admittedAt = Date.now();
        p.state = "admitted";
        active += 1;
        if (p.kind === "abandon") {
          // Logs in, then gives up: the admission expires on its own.
          p.state = "done";
          p.outcome = "abandoned";
          return;
        }
        agenda.push(Date.now() + p.sessionMs, () => submit(p));
        return;
      }
    }

    async function submit(p) {
      const body = {
        admissionToken: p.token,
        accountId: `mpq-${p.i}`,
        applicationId: `app-${p.i}`,
        applicant: applicantOf(p.person),
        signedByRepresentative: false,
        representativeId: null,
        device: { userAgent: ua(p), mobileHint: p.kind === "phone" ? "?1" : "?0" },
      };
      const res = await call("POST", `/guichet/api/submissions?event=${event}`, {
        headers: { authorization: `Bearer ${g.secrets.ORIGIN_API_KEY}` },
        body,
        route: "submit",
      });
      p.state = "done";
      active -= 1;
      const code = res.body?.error?.code;
      if (res.status === 201) {
        results.accepted.push({ id: res.body.receipt.id, rank: res.body.receipt.rank, person: p.person, number: p.number, kind: p.kind });
        p.outcome = "accepted";
        if (res.body.receipt.rank === quota) filledAt = Date.now();
        return;
      }
      p.outcome = code ?? String(res.status);
      if (res.status === 200) results.replays += 1;
      else if (code === "duplicate") results.duplicate += 1;
      else if (code === "device_not_allowed") results.device += 1;
      else if (code === "quota_reached") results.quotaRefusedAfterAdmission += 1;
      else if (code === "admission_expired") results.expiredTokens += 1;
      else results.otherRefusals[p.outcome] = (results.otherRefusals[p.outcome] ?? 0) + 1;
      // The origin ends a refused session at once, freeing the place.
      if (res.status !== 200) {
        await call("POST", `/guichet/api/admissions/release?event=${event}`, {
          headers: { authorization: `Bearer ${g.secrets.ORIGIN_API_KEY}` },
          body: { admissionToken: p.token },
          route: "release",
        });
      }
    }

    for (const p of people) agenda.push(p.arriveAt, () => step(p));

    // ---------------------------------------------------------------- the day
    log(`simulating ${arrivals} arrivals, quota ${quota}, maxActive ${maxActive}, factor ${factor} (admission ${admissionSeconds} s, grace ${graceSeconds} s, ${admitPerMinute} calls/min)`);
    let inFlight = 0;
    let lastReport = Date.now();
    await new Promise((resolve) => {
      const pump = () => {
        const now = Date.now();
        if (now - started > deadlineMs) return resolve();
        for (;;) {
          if (inFlight >= concurrency) break;
          const lane = agenda.size > 0 && agenda.peek().t <= now ? agenda : bulk.size > 0 && bulk.peek().t <= now ? bulk : null;
          if (!lane) break;
          const { value: fn } = lane.pop();
          inFlight += 1;
          Promise.resolve()
            .then(fn)
            .catch(() => (stats.errors += 1))
            .finally(() => {
              inFlight -= 1;
              setImmediate(pump);
            });
        }
        if (agenda.size === 0 && bulk.size === 0 && inFlight === 0) return resolve();
        if (now - lastReport > 5000) {
          lastReport = now;
          log(`  t+${((now - started) / 1000).toFixed(0)} s: ${stats.requests} requests, ${results.accepted.length}/${quota} accepted, ${active} claimed and not yet submitted (abandoned included), ${agenda.size + bulk.size} scheduled`);
        }
        const due = Math.min(agenda.size > 0 ? agenda.peek().t : Infinity, bulk.size > 0 ? bulk.peek().t : Infinity);
        const next = Number.isFinite(due) ? Math.max(1, due - now) : 50;
        if (inFlight < concurrency) setTimeout(pump, Math.min(next, 50));
      };
      pump();
    });
    const endedAt = Date.now();
    const timedOut = endedAt - started > deadlineMs;

    // ---------------------------------------------------------------- the checks
    // Let the outboxes reach D1 and the room.
    let d1Rows = [];
    for (let i = 0; i < 60; i++) {
      d1Rows = await g.sql("SELECT id, rank, identity_key FROM submissions WHERE event_id = ? ORDER BY rank", [event]);
      if (d1Rows.length >= results.accepted.length) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    clearInterval(sampler);
    await meter.sample();
    const calls = meter.totals();

    const entered = people.filter((p) => p.number !== null);
    const numbers = entered.map((p) => p.number).sort((a, b) => a - b);
    const distinct = new Set(numbers).size;
    const changedNumber = entered.filter((p) => p.numbersSeen.size !== 1).length;
    const contiguous = numbers.every((n, k) => n === k + 1);

    const accepted = results.accepted;
    const ranks = accepted.map((a) => a.rank).sort((a, b) => a - b);
    const perPerson = new Map();
    for (const a of accepted) perPerson.set(a.person, (perPerson.get(a.person) ?? 0) + 1);
    const twiceAccepted = [...perPerson.values()].filter((n) => n > 1).length;
    const phonesAccepted = accepted.filter((a) => a.kind === "phone").length;
    const phoneOutcomes = people.filter((p) => p.kind === "phone" && p.token);
    const duplicateSubmitters = people.filter((p) => p.kind === "duplicate" && p.token && p.outcome !== "quota_reached");
    const d1Ids = new Set(d1Rows.map((r) => r.id));
    const d1Matches = d1Rows.length === accepted.length && accepted.every((a) => d1Ids.has(a.id));

    // The room's own record, read from its SQLite file once workerd has stopped.
    const room = ownGateway ? await roomRecord(g, event) : null;

    const invariants = [
      { name: "every arrival numbered exactly once (reloads and tabs kept their number)", ok: distinct === entered.length && changedNumber === 0 && contiguous, detail: `${entered.length} entered, ${distinct} distinct numbers, ${changedNumber} saw two numbers, contiguous 1..N: ${contiguous}` },
      ...(room ? [{ name: "calls in number order (returning no-shows aside)", ok: room.callsOutOfOrder === 0, detail: `${room.called} first calls, ${room.callsOutOfOrder} out of order, ${room.requeued} returning no-shows called again` }] : []),
      { name: `quota filled at exactly ${quota}, none over`, ok: accepted.length === quota && ranks.every((r, k) => r === k + 1), detail: `${accepted.length} accepted, ranks 1..${ranks.at(-1)}` },
      { name: "no admitted candidate refused for quota (overbook 1)", ok: results.quotaRefusedAfterAdmission === 0, detail: `${results.quotaRefusedAfterAdmission} refused` },
      { name: "duplicates refused: one acceptance per person", ok: twiceAccepted === 0 && results.duplicate > 0, detail: `${results.duplicate} refused as duplicate, ${twiceAccepted} people accepted twice, ${duplicateSubmitters.length} duplicate accounts submitted` },
      // A phone's admission can also fail first for an earlier reason (expired, quota): refused all the same.
      { name: "phones refused", ok: phonesAccepted === 0 && results.device > 0 && phoneOutcomes.every((p) => p.outcome !== "accepted"), detail: `${phonesAccepted} accepted; ${results.device} refused as phones, ${phoneOutcomes.filter((p) => p.outcome !== "device_not_allowed").length} refused earlier (${[...new Set(phoneOutcomes.filter((p) => p.outcome !== "device_not_allowed").map((p) => p.outcome))].join(", ") || "none"}), of ${phoneOutcomes.length} phones admitted` },
      { name: "D1 holds exactly the accepted submissions", ok: d1Matches, detail: `${d1Rows.length} rows in D1, ${accepted.length} receipts` },
      { name: "no 5xx", ok: stats.status5xx === 0 && stats.errors === 0, detail: `${stats.status5xx} 5xx, ${stats.errors} transport errors` },
      ...(room ? [{ name: `peak active admissions ≤ maxActive (${maxActive})`, ok: room.peakActive <= maxActive, detail: `peak ${room.peakActive}` }] : []),
      { name: "the day ended by itself", ok: !timedOut, detail: timedOut ? `stopped at the ${deadlineMs / 1000} s bound` : `${((endedAt - started) / 1000).toFixed(1)} s` },
    ];

    const fillRealSeconds = filledAt ? (filledAt - opensAt) / 1000 : null;
    return {
      at: new Date(started).toISOString(),
      settings: { arrivals, factor, quota, maxActive, admitPerMinute, admissionSeconds, graceSeconds, concurrency, abandonRate, returnMinutes: [returnFrom, returnTo], seed: options.seed ?? 2016 },
      machine: machine(),
      arrivals: {
        entered: entered.length,
        kinds: Object.fromEntries(["regular", "no_show", "duplicate", "phone", "abandon"].map((k) => [k, people.filter((p) => p.kind === k).length])),
        reloads: people.filter((p) => p.reload).length,
        secondTabs: people.filter((p) => p.secondTab).length,
        returningNoShows: people.filter((p) => p.returns).length,
      },
      outcomes: Object.entries(people.reduce((m, p) => ((m[p.outcome ?? p.state] = (m[p.outcome ?? p.state] ?? 0) + 1), m), {})).sort((a, b) => b[1] - a[1]),
      submissions: { accepted: accepted.length, duplicate: results.duplicate, device: results.device, quotaRefusedAfterAdmission: results.quotaRefusedAfterAdmission, expiredTokens: results.expiredTokens, replays: results.replays, other: results.otherRefusals },
      fill: fillRealSeconds === null ? null : { realSeconds: Math.round(fillRealSeconds * 10) / 10, simulatedMinutes: Math.round(((fillRealSeconds * factor) / 60) * 10) / 10 },
      room,
      requests: { total: stats.requests, byRoute: stats.byRoute, statusCodes: stats.statusCodes, realSeconds: Math.round((endedAt - started) / 100) / 10 },
      doCalls: { total: calls.total, perCandidate: Math.round((calls.total / arrivals) * 100) / 100, room: calls.room, quota: calls.quota },
      invariants,
      ok: invariants.every((i) => i.ok),
    };
  } finally {
    clearInterval(sampler);
    agent.destroy();
    if (ownGateway) await g.dispose({ keepFiles: true }).catch(() => {});
  }
}

/**
 * Calls in number order and peak active admissions, from the QueueRoom's own
 * SQLite file (read-only, after workerd stopped). Only called numbers count:
 * a returning no-show (requeued_at set) is called again out of order by design.
 */
async function roomRecord(g, event) {
  await g.dispose({ keepFiles: true });
  try {
    const root = join(g.dir, "do");
    const files = existsSync(root) ? readdirSync(root, { recursive: true }).map(String).filter((f) => f.endsWith(".sqlite") && f.includes("QueueRoom")) : [];
    for (const f of files) {
      const db = new DatabaseSync(join(root, f), { readOnly: true });
      try {
        const row = db.prepare("SELECT config FROM room WHERE id = 1").get();
        if (!row || JSON.parse(row.config).id !== event) continue;
        const calls = db.prepare("SELECT number, called_at, requeued_at, state, ended_at, deadline FROM tickets WHERE called_at IS NOT NULL ORDER BY number").all();
        let outOfOrder = 0;
        let lastCall = 0;
        for (const t of calls) {
          if (t.requeued_at !== null) continue;
          if (t.called_at < lastCall) outOfOrder += 1;
          lastCall = Math.max(lastCall, t.called_at);
        }
        // Peak of places held: from the call to the end (no-show, use, release, expiry + margin) or the end of the day.
        const edges = [];
        const end = Math.max(...calls.map((t) => t.ended_at ?? t.called_at)) + 1;
        for (const t of calls) {
          edges.push([t.called_at, 1]);
          edges.push([t.ended_at ?? end, -1]);
        }
        edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        let now = 0;
        let peak = 0;
        for (const [, d] of edges) peak = Math.max(peak, (now += d));
        const byState = Object.fromEntries(db.prepare("SELECT state, COUNT(*) AS n FROM tickets GROUP BY state").all().map((r) => [r.state, r.n]));
        const sizeBytes = db.prepare("SELECT page_count * page_size AS n FROM pragma_page_count(), pragma_page_size()").get().n;
        return { called: calls.filter((t) => t.requeued_at === null).length, requeued: calls.filter((t) => t.requeued_at !== null).length, callsOutOfOrder: outOfOrder, peakActive: peak, ticketsByState: byState, sqliteBytes: sizeBytes };
      } finally {
        db.close();
      }
    }
    return null;
  } finally {
    await g.dispose();
  }
}

function printReport(r) {
  const s = r.settings;
  console.log(`\nopening day: ${s.arrivals} arrivals, quota ${s.quota}, maxActive ${s.maxActive}, time ×${s.factor} (admission ${s.admissionSeconds} s, grace ${s.graceSeconds} s)`);
  console.log(`  entered ${r.arrivals.entered}; kinds ${JSON.stringify(r.arrivals.kinds)}; ${r.arrivals.reloads} reloads, ${r.arrivals.secondTabs} second tabs, ${r.arrivals.returningNoShows} returning no-shows`);
  console.log(`  submissions: ${JSON.stringify(r.submissions)}`);
  if (r.fill) console.log(`  quota filled after ${r.fill.realSeconds} s real = ${r.fill.simulatedMinutes} simulated minutes`);
  else console.log("  quota not filled");
  if (r.room) console.log(`  room: ${r.room.called} called, ${r.room.requeued} recalled no-shows, peak active ${r.room.peakActive}, tickets ${JSON.stringify(r.room.ticketsByState)}`);
  console.log(`  requests: ${r.requests.total} in ${r.requests.realSeconds} s ${JSON.stringify(r.requests.byRoute)}`);
  console.log(`  Durable Object calls: ${r.doCalls.total} (${r.doCalls.perCandidate} per candidate) room ${JSON.stringify(r.doCalls.room)} quota ${JSON.stringify(r.doCalls.quota)}`);
  console.log("\ninvariants:");
  for (const i of r.invariants) console.log(`  ${i.ok ? "ok    " : "FAILED"} ${i.name}: ${i.detail}`);
}

if (import.meta.url === `file://${process.argv[1]}` && process.argv.some((a) => a === "--curve" || a.startsWith("--curve=") || a === "--fan-out" || a.startsWith("--fan-out="))) {
  // The opening minute under production fan-out (issue 32): bench/opening.mjs.
  const { main } = await import("./opening.mjs");
  await main(process.argv.slice(2));
} else if (import.meta.url === `file://${process.argv[1]}` && process.argv.includes("--fairness")) {
  // The fair opening's simulation (issue #9): people against scripts, FIFO against the pre-queue draw.
  const { main } = await import("./fairness.mjs");
  await main(process.argv.slice(2).filter((a) => a !== "--fairness"));
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const { values: args } = parseArgs({
    options: {
      arrivals: { type: "string" },
      factor: { type: "string" },
      seed: { type: "string" },
      quota: { type: "string" },
      "max-active": { type: "string" },
      "max-seconds": { type: "string" },
      "no-build": { type: "boolean", default: false },
      out: { type: "string", default: join(dirname(new URL(import.meta.url).pathname), "results", "simulate-latest.json") },
    },
  });
  const num = (v) => (v === undefined ? undefined : Number(v));
  let gateway = null;
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => {
    console.error(`simulate: ${signal}, stopping`);
    void Promise.resolve(gateway?.dispose()).finally(() => process.exit(130));
  });
  if (!args["no-build"]) build();
  const report = await simulate({
    arrivals: num(args.arrivals),
    factor: num(args.factor),
    seed: num(args.seed),
    quota: num(args.quota),
    maxActive: num(args["max-active"]),
    maxSeconds: num(args["max-seconds"]),
    onGateway: (g) => (gateway = g),
    log: (m) => console.error(`simulate: ${m}`),
  });
  printReport(report);
  mkdirSync(dirname(args.out), { recursive: true });
  writeFileSync(args.out, `${JSON.stringify(report, null, 2)}\n`);
  console.error(`simulate: wrote ${args.out}`);
  process.exitCode = report.ok ? 0 : 1;
}
