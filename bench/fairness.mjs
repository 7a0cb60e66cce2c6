#!/usr/bin/env node
// `npm run simulate -- --fairness`: who gets the good numbers? 10,000 people
// (each behind an address of their own), 2,000 people behind one carrier NAT
// address, and 1,000 scripted clients that click 50 ms sooner than a person
// would (each from an address of its own: per-address measures cannot see
// them), at the same opening, over HTTP against the built gateway. Four runs:
// two policies for a busy address, each in strict arrival order (FIFO) and
// with the pre-queue's draw:
//   flat   today's behaviour before per-address puzzles: 120 enters a minute
//          per address, then 429 with Retry-After (ENTER_LIMIT_PER_MINUTE=120,
//          ENTER_ADDRESS_PUZZLE=off)
//   cost   the default: a busy address is asked a harder puzzle (one bit per
//          doubling past 32 a minute), refused only past 8,192 a minute
// Each group's median number, what the NAT paid, and whether the NAT's median
// is the people's within the run's noise.
//
// Time is simulated. A person clicks 0.3 to 5 s after the opening, a script
// within 50 ms of it (the same draw of times for every run). Each request
// reaches the gateway half a round trip (--rtt, 50 ms) after it is sent, and
// its answer comes back half a round trip later. A 403 with a challenge is
// solved for real in Node (so the gateway checks a genuine proof), and costs
// the simulated client (hashes it took) / (--hash-rate, 100,000 a second: the
// page's own solver in headless Chromium on the machine that measured it,
// `--pow-rate`) seconds before it sends its enter again. A 429 is retried as
// the room page does: after Retry-After (at least 1 s) and up to 1 s more. The
// gateway counts its per-address windows on the simulated clock (the
// x-guichet-test-clock seam, test seams and development only), so a minute of
// retries needs no minute of waiting; the room's clock is the real one.
// Requests go out in order of simulated arrival at the gateway, a few at a
// time (those that no pending answer can precede), so in FIFO the room
// numbers them in that order.
// The pre-queue opens at simulated 0 and draws at --window minutes (15); the
// same clicks join it, and whoever is still being refused at the draw gets a
// number after everyone drawn, in arrival order.
//
//   npm run simulate -- --fairness                   10,000 people, 2,000 behind one NAT, 1,000 scripts
//   npm run simulate -- --fairness --people 2000 --nat 400 --scripts 200
//   npm run simulate -- --fairness --hash-rate 25000  a phone 4x slower than the measuring machine
//   npm run simulate -- --fairness --pow-rate         measures the page's solver in Chromium (hashes a second)
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, join } from "node:path";
import { build, startGateway } from "./gateway.mjs";
import { TimeHeap, machine, opsClient, rng } from "./lib.mjs";

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return null;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The two policies for a busy address, as the gateway's vars set them. */
export const POLICIES = {
  flat: { ENTER_LIMIT_PER_MINUTE: "120", ENTER_ADDRESS_PUZZLE: "off" },
  cost: { ENTER_LIMIT_PER_MINUTE: "8192", ENTER_ADDRESS_PUZZLE: "on" },
};

/** The clients and their click times (ms after the opening), in the order they click. */
function clients({ people, nat, scripts, seed }) {
  const random = rng(seed);
  const click = () => 50 + 250 + random() * 4750;
  const all = [
    ...Array.from({ length: people }, (_, i) => ({ group: "people", index: i, at: click() })),
    ...Array.from({ length: nat }, (_, i) => ({ group: "nat", index: i, at: click() })),
    ...Array.from({ length: scripts }, (_, i) => ({ group: "scripts", index: i, at: random() * 50 })),
  ];
  return all.sort((a, b) => a.at - b.at);
}

/** Each client's address in run `run` (a run's addresses are its own, so no window carries over between runs). */
function addressOf(client, run) {
  if (client.group === "nat") return `100.64.${run}.1`;
  const base = client.group === "people" ? 10 : 172;
  return `${base}.${run}.${client.index >> 8}.${client.index & 255}`;
}

/** How many zero bits `bytes` begins with (as src/auth/pow.ts counts them). */
function zeroBits(bytes) {
  let bits = 0;
  for (const b of bytes) {
    bits += Math.clz32(b) - 24;
    if (b !== 0) break;
  }
  return bits;
}

/** A nonce for `challenge` at `difficulty`, and how many hashes it took. */
export function solvePuzzle(challenge, difficulty) {
  for (let n = 0; ; n++) {
    if (zeroBits(createHash("sha256").update(`${challenge}:${n}`).digest()) >= difficulty) return { nonce: String(n), hashes: n + 1 };
  }
}


/**
 * One run: every client enters event `event` from its address, handling 403
 * (a challenge: solve, enter again) and 429 (retry later) on the simulated
 * clock. `until`: only requests reaching the gateway before it (simulated
 * ms) are sent, the rest are returned still pending.
 */
async function runArrivals({ url, event, list, run, rtt, hashRate, clockBase, width, pending, until = Infinity, random }) {
  const inflight = new Set();
  let failed = null;
  const half = rtt / 2;
  const send = async (req) => {
    const { client, t, body } = req;
    const headers = { "cf-connecting-ip": addressOf(client, run), "x-guichet-test-clock": String(Math.round(clockBase + t)) };
    if (body) headers["content-type"] = "application/json";
    const res = await fetch(`${url}/guichet/api/enter?event=${event}`, { method: "POST", headers, body: body ? JSON.stringify(body) : undefined });
    const answer = await res.json();
    const back = t + half;
    if (res.status === 201) {
      client.number = answer.number;
      client.publicId = answer.prequeue?.publicId ?? null;
      client.enteredAt = t;
    } else if (res.status === 403 && answer.error?.challenge) {
      const c = answer.error.challenge;
      const { nonce, hashes } = solvePuzzle(c.challenge, c.difficulty);
      client.puzzles = (client.puzzles ?? 0) + 1;
      client.bits = Math.max(client.bits ?? 0, c.difficulty);
      client.hashes = (client.hashes ?? 0) + hashes;
      pending.push(back + (hashes / hashRate) * 1000 + half, { client, body: { pow: { challenge: c.challenge, nonce } } });
    } else if (res.status === 429) {
      client.refusals = (client.refusals ?? 0) + 1;
      const wait = Math.max(1000, Number(res.headers.get("retry-after")) * 1000) + random() * 1000;
      pending.push(back + wait + half, { client });
    } else {
      throw new Error(`enter ${res.status} ${JSON.stringify(answer).slice(0, 200)}`);
    }
  };
  // A request may go while no answer still awaited could schedule one before it (an answer's follow-up comes at least a round trip later).
  const mayGo = (t) => inflight.size === 0 || (inflight.size < width && t < Math.min(...[...inflight].map((r) => r.t)) + rtt);
  await new Promise((resolve, reject) => {
    const pump = () => {
      if (failed) return;
      while (pending.size > 0 && pending.peek().t < until && mayGo(pending.peek().t)) {
        const { t, value } = pending.pop();
        const req = { ...value, t };
        inflight.add(req);
        send(req).then(
          () => {
            inflight.delete(req);
            pump();
          },
          (e) => {
            failed = e;
            reject(e);
          },
        );
      }
      if (inflight.size === 0 && (pending.size === 0 || pending.peek().t >= until)) resolve();
    };
    pump();
  });
  return pending;
}

/** Each group's median rank in click order: what strict FIFO would give with no delay at all (this draw of clicks' own noise). */
function clickOrder(list) {
  const ranked = [...list].sort((a, b) => a.at - b.at);
  const rank = new Map(ranked.map((c, i) => [c, i + 1]));
  const of = (group) => median(list.filter((c) => c.group === group).map((c) => rank.get(c)));
  return of("nat") - of("people");
}

function summary(list, total) {
  const numbers = (group) => list.filter((c) => c.group === group).map((c) => c.number);
  const nat = list.filter((c) => c.group === "nat");
  const people = numbers("people");
  const natNumbers = numbers("nat");
  const scripts = numbers("scripts");
  // A median of n ranks out of N spread evenly has a standard deviation of about N / (2 sqrt(n)); two medians' difference, both combined.
  const sigma = total * Math.sqrt(1 / (4 * Math.max(1, people.length)) + 1 / (4 * Math.max(1, natNumbers.length)));
  const lateBy = (c) => c.enteredAt - c.at;
  return {
    people: { count: people.length, medianNumber: median(people) },
    nat: {
      count: natNumbers.length,
      medianNumber: median(natNumbers),
      refused429: nat.reduce((s, c) => s + (c.refusals ?? 0), 0),
      puzzles: nat.reduce((s, c) => s + (c.puzzles ?? 0), 0),
      mostBits: nat.reduce((m, c) => Math.max(m, c.bits ?? 0), 0),
      medianHashes: median(nat.map((c) => c.hashes ?? 0)),
      // Click to the enter that got its place, beyond the round trip everyone pays.
      medianDelayMs: Math.round(median(nat.map(lateBy))),
      maxDelayMs: Math.round(Math.max(...nat.map(lateBy))),
    },
    peopleMedianDelayMs: Math.round(median(list.filter((c) => c.group === "people").map(lateBy))),
    scripts: { count: scripts.length, medianNumber: median(scripts) },
    scriptsInFirstThousand: list.filter((c) => c.group === "scripts" && c.number <= 1000).length,
    natMinusPeople: median(natNumbers) - median(people),
    natMinusPeopleByClicks: clickOrder(list),
    noiseSigma: Math.round(sigma),
  };
}

async function fifoRun(g, policy, opts, run) {
  const ops = opsClient(g.url, g.secrets);
  const event = `fair-${policy}-fifo`;
  const list = clients(opts);
  await ops.configure(event, { opensAt: new Date(Date.now() - 1000).toISOString(), maxActive: 1, admitPerMinute: 1 });
  await ops.pause(event);
  const pending = new TimeHeap();
  for (const client of list) pending.push(client.at + opts.rtt / 2, { client });
  const t0 = Date.now();
  await runArrivals({ url: g.url, event, list, run, rtt: opts.rtt, hashRate: opts.hashRate, clockBase: Date.now(), width: opts.width, pending, random: rng(opts.seed + run) });
  return { list, realSeconds: (Date.now() - t0) / 1000 };
}

async function prequeueRun(g, policy, opts, run, marginSeconds) {
  const ops = opsClient(g.url, g.secrets);
  const event = `fair-${policy}-prequeue`;
  const list = clients(opts);
  const window = opts.windowMinutes * 60_000;
  const opensAt = Date.now() + marginSeconds * 1000;
  await ops.configure(event, { prequeueOpensAt: new Date(Date.now() + 500).toISOString(), opensAt: new Date(opensAt).toISOString(), maxActive: 1, admitPerMinute: 1 });
  await ops.pause(event);
  await new Promise((r) => setTimeout(r, 600));
  const pending = new TimeHeap();
  // The same clicks, after the pre-queue opens.
  for (const client of list) pending.push(client.at + opts.rtt / 2, { client });
  const common = { url: g.url, event, list, run, rtt: opts.rtt, hashRate: opts.hashRate, clockBase: Date.now(), width: opts.width, pending, random: rng(opts.seed + run) };
  await runArrivals({ ...common, until: window });
  if (Date.now() >= opensAt) throw new Error("the pre-queue's draw came before everyone who arrived in the window was in; raise the margin");
  const lateCount = pending.size;
  await new Promise((r) => setTimeout(r, opensAt - Date.now() + 300));
  const published = await (await fetch(`${g.url}/guichet/api/fairness?event=${event}`)).json();
  // Whoever the window refused arrives after the draw, in arrival order.
  await runArrivals(common);
  const numberOf = new Map(published.tickets.map((t) => [t.publicId, t.number]));
  for (const c of list) if (c.publicId) c.number = numberOf.get(c.publicId);
  if (list.some((c) => !c.number)) throw new Error("a client has no number after the draw");
  return { list, drawn: published.count, afterTheDraw: list.length - published.count, pendingAtTheDraw: lateCount, shuffleMs: published.shuffleMs };
}

export async function fairnessSimulation({ people = 10_000, nat = 2_000, scripts = 1_000, seed = 2016, rtt = 50, hashRate = 100_000, windowMinutes = 15, width = 16, policies = ["flat", "cost"], log = () => {} } = {}) {
  const opts = { people, nat, scripts, seed, rtt, hashRate, windowMinutes, width };
  const total = people + nat + scripts;
  const report = { people, nat, scripts, seed, rttMs: rtt, hashRate, windowMinutes, scriptHeadStartMs: 50, runs: {}, machine: machine() };
  let run = 0;
  for (const policy of policies) {
    // Test seams: the per-address windows on the simulated clock (x-guichet-test-clock).
    const g = await startGateway({ vars: { EVENT_OPENS_AT: "", ENABLE_TEST_SEAMS: "true", ...POLICIES[policy] } });
    try {
      const fifo = await fifoRun(g, policy, opts, ++run);
      log(`${policy} fifo: ${total} clients in ${fifo.realSeconds.toFixed(1)} s`);
      const margin = Math.ceil(fifo.realSeconds * 1.5) + 10;
      const pre = await prequeueRun(g, policy, opts, ++run, margin);
      log(`${policy} pre-queue: ${pre.drawn} drawn, ${pre.afterTheDraw} after the draw`);
      report.runs[policy] = {
        fifo: summary(fifo.list, total),
        prequeue: { ...summary(pre.list, total), drawn: pre.drawn, afterTheDraw: pre.afterTheDraw, shuffleMs: pre.shuffleMs },
      };
    } finally {
      await g.dispose();
    }
  }
  // "The same within the noise": three standard deviations of the difference of two medians.
  const sameAsPeople = (r) => ({ ok: Math.abs(r.natMinusPeople) <= 3 * r.noiseSigma, natMinusPeople: r.natMinusPeople, allowance: 3 * r.noiseSigma });
  // Scripts under the draw, today: 90 of the first 1,000 (docs/fairness.md); a binomial's three standard deviations above it.
  const share = scripts / total;
  const scriptAllowance = 90 + Math.ceil(3 * Math.sqrt(1000 * share * (1 - share)));
  // Under the draw, the scripts' median no better than the people's, within the draw's noise.
  const drawNoise = total / (2 * Math.sqrt(scripts));
  const invariants = {};
  const cost = report.runs.cost;
  if (cost) {
    invariants.natSameAsPeopleFifoWithCost = sameAsPeople(cost.fifo);
    invariants.natSameAsPeoplePrequeueWithCost = sameAsPeople(cost.prequeue);
    invariants.natNeverRefusedWithCost = { ok: cost.fifo.nat.refused429 === 0 && cost.prequeue.nat.refused429 === 0 };
    invariants.fifoFavoursScripts = { ok: cost.fifo.scripts.medianNumber < cost.fifo.people.medianNumber };
    invariants.scriptsNoBetterUnderTheDraw = {
      ok: cost.prequeue.scriptsInFirstThousand <= scriptAllowance && cost.prequeue.scripts.medianNumber >= cost.prequeue.people.medianNumber - 3 * drawNoise,
      scriptsInFirstThousand: cost.prequeue.scriptsInFirstThousand,
      allowance: scriptAllowance,
    };
  }
  const flat = report.runs.flat;
  // The simulation can see unfairness: the flat limit's FIFO puts the NAT far behind.
  if (flat) invariants.flatLimitPutsTheNatBehindInFifo = { ok: flat.fifo.natMinusPeople > 3 * flat.fifo.noiseSigma, natMinusPeople: flat.fifo.natMinusPeople };
  report.invariants = invariants;
  return report;
}

/** hashes a second of the room page's own solver (src/pages/room/pow.client.js) in Debian's Chromium. */
export async function measurePowRate({ difficulty = 16, puzzles = 12 } = {}) {
  const { chromium } = await import("playwright-core");
  const solver = readFileSync(join(import.meta.dirname, "..", "src", "pages", "room", "pow.client.js"), "utf8");
  const server = createServer((req, res) => {
    if (req.url === "/pow.js") res.writeHead(200, { "content-type": "text/javascript" }).end(solver);
    else res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>pow</title>");
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    return await page.evaluate(
      async ({ difficulty, puzzles }) => {
        let hashes = 0;
        let ms = 0;
        for (let i = 0; i < puzzles; i++) {
          const challenge = `p1.rate.${i}-${Math.random().toString(36).slice(2)}.${Date.now() + 120000}.${difficulty}.${"A".repeat(43)}`;
          const t0 = performance.now();
          const nonce = await new Promise((resolve) => {
            const w = new Worker("/pow.js");
            w.onmessage = (e) => {
              w.terminate();
              resolve(Number(e.data.nonce));
            };
            w.postMessage({ challenge, difficulty });
          });
          ms += performance.now() - t0;
          hashes += nonce + 1;
        }
        return { difficulty, puzzles, hashes, ms: Math.round(ms), hashesPerSecond: Math.round(hashes / (ms / 1000)) };
      },
      { difficulty, puzzles },
    );
  } finally {
    await browser.close();
    server.close();
  }
}

export async function main(argv) {
  const arg = (name, fallback) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  if (argv.includes("--pow-rate")) {
    const r = await measurePowRate({ difficulty: arg("difficulty", 16), puzzles: arg("puzzles", 12) });
    console.log(`the room page's solver in Chromium: ${r.hashesPerSecond} hashes a second (${r.puzzles} puzzles of ${r.difficulty} bits, ${r.hashes} hashes in ${r.ms} ms)`);
    return;
  }
  build();
  const report = await fairnessSimulation({
    people: arg("people", 10_000),
    nat: arg("nat", 2_000),
    scripts: arg("scripts", 1_000),
    seed: arg("seed", 2016),
    rtt: arg("rtt", 50),
    hashRate: arg("hash-rate", 100_000),
    windowMinutes: arg("window", 15),
    log: (l) => console.log(l),
  });
  const signed = (x) => `${x > 0 ? "+" : ""}${x}`;
  const row = (policy, mode, r) =>
    `| ${policy} | ${mode} | ${r.people.medianNumber} | ${r.nat.medianNumber} | ${signed(r.natMinusPeople)} (±${3 * r.noiseSigma}) | ${mode === "strict FIFO" ? signed(r.natMinusPeopleByClicks) : "—"} | ${r.nat.refused429} | ${r.nat.mostBits || "—"} | ${r.nat.medianDelayMs} / ${r.nat.maxDelayMs} ms | ${r.scripts.medianNumber} | ${r.scriptsInFirstThousand} |`;
  const lines = [
    "",
    `${report.people} people, ${report.nat} behind one NAT address, ${report.scripts} scripts; round trip ${report.rttMs} ms, ${report.hashRate} hashes a second, pre-queue window ${report.windowMinutes} min`,
    "",
    "| busy address | order | people's median number | NAT's median number | NAT − people (3σ) | by clicks alone | NAT's 429s | NAT's hardest puzzle (bits) | NAT's click to place, median / max | scripts' median number | scripts in the first 1,000 |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const [policy, r] of Object.entries(report.runs)) {
    lines.push(row(policy, "strict FIFO", r.fifo), row(policy, "pre-queue draw", r.prequeue));
  }
  lines.push("");
  const anyRun = Object.values(report.runs)[0];
  if (anyRun) lines.push(`a person behind an address of their own: ${anyRun.fifo.peopleMedianDelayMs} ms from click to place (half the round trip)`);
  for (const [policy, r] of Object.entries(report.runs)) lines.push(`${policy}: pre-queue ${r.prequeue.drawn} drawn (${r.prequeue.shuffleMs} ms in the QueueRoom), ${r.prequeue.afterTheDraw} after the draw`);
  lines.push(...Object.entries(report.invariants).map(([k, v]) => `${v.ok ? "ok  " : "FAIL"} ${k}`));
  console.log(lines.join("\n"));
  const out = join(import.meta.dirname, "results", "fairness-latest.json");
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`written ${out}`);
  if (!Object.values(report.invariants).every((v) => v.ok)) process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv.slice(2));
