#!/usr/bin/env node
// `npm run simulate -- --fairness`: who gets the good numbers, people or
// scripts? 10,000 people and 1,000 scripted clients that click 50 ms sooner
// than a person would, at the same opening, twice: once in strict arrival
// order (FIFO) and once with the pre-queue's draw. Reports the median number
// of each group in each mode; under the draw the scripts must do no better
// than the people (within the noise of a random draw).
//
// Arrival times are simulated: a script fires within 50 ms of the opening,
// before any person can react; a person clicks 50 ms later at the earliest,
// after a human reaction of 0.25 to 5 s. The clients enter in that order over
// HTTP (so in strict FIFO the room numbers them in it).
// With the pre-queue everyone arrives in the window before the opening, in
// the same order, and the draw numbers them at the opening.
//
//   npm run simulate -- --fairness                  10,000 people, 1,000 scripts
//   npm run simulate -- --fairness --people 2000 --scripts 200
import { writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { build, startGateway } from "./gateway.mjs";
import { machine, opsClient, pool, rng } from "./lib.mjs";

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The clients, in the order they reach the gateway. */
function clients(people, scripts, seed) {
  const random = rng(seed);
  const all = [
    ...Array.from({ length: people }, () => ({ group: "people", at: 50 + 250 + random() * 4750 })),
    ...Array.from({ length: scripts }, () => ({ group: "scripts", at: random() * 50 })),
  ];
  return all.sort((a, b) => a.at - b.at);
}

async function enterAll(url, event, list, concurrency) {
  // In arrival order: a small pool keeps the order up to its width, as the edge would.
  await pool(list, concurrency, async (client) => {
    const res = await fetch(`${url}/guichet/api/enter?event=${event}`, { method: "POST" });
    const body = await res.json();
    if (res.status !== 201) throw new Error(`enter ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
    client.number = body.number;
    client.publicId = body.prequeue?.publicId ?? null;
  });
}

function summary(list) {
  const by = (group) => list.filter((c) => c.group === group).map((c) => c.number);
  const people = by("people");
  const scripts = by("scripts");
  return {
    people: { count: people.length, medianNumber: median(people) },
    scripts: { count: scripts.length, medianNumber: median(scripts) },
    scriptsInFirstThousand: list.filter((c) => c.group === "scripts" && c.number <= 1000).length,
  };
}

export async function fairnessSimulation({ people = 10_000, scripts = 1_000, seed = 2016, concurrency = 16, log = () => {} } = {}) {
  const g = await startGateway({ vars: { EVENT_OPENS_AT: "" } });
  const ops = opsClient(g.url, g.secrets);
  try {
    const total = people + scripts;
    // Strict arrival order: the line opens, then everyone enters in arrival order.
    const fifo = clients(people, scripts, seed);
    await ops.configure("fair-fifo", { opensAt: new Date(Date.now() - 1000).toISOString(), maxActive: 1, admitPerMinute: 1 });
    await ops.pause("fair-fifo");
    const t0 = Date.now();
    await enterAll(g.url, "fair-fifo", fifo, concurrency);
    log(`fifo: ${total} enters in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    // The pre-queue: the same arrivals join in the window, the draw numbers them at the opening.
    const drawn = clients(people, scripts, seed);
    const enterSeconds = Math.ceil(((Date.now() - t0) / 1000) * 1.5) + 10;
    const opensAt = Date.now() + enterSeconds * 1000;
    await ops.configure("fair-prequeue", {
      prequeueOpensAt: new Date(Date.now() + 500).toISOString(),
      opensAt: new Date(opensAt).toISOString(),
      maxActive: 1,
      admitPerMinute: 1,
    });
    await ops.pause("fair-prequeue");
    await new Promise((r) => setTimeout(r, 600));
    await enterAll(g.url, "fair-prequeue", drawn, concurrency);
    if (Date.now() >= opensAt) throw new Error("the pre-queue window closed before everyone arrived; raise the margin");
    log(`prequeue: ${total} in the pre-queue; the draw is at ${new Date(opensAt).toISOString()}`);
    await new Promise((r) => setTimeout(r, opensAt - Date.now() + 200));
    const published = await (await fetch(`${g.url}/guichet/api/fairness?event=fair-prequeue`)).json();
    const numberOf = new Map(published.tickets.map((t) => [t.publicId, t.number]));
    for (const c of drawn) c.number = numberOf.get(c.publicId);
    if (drawn.some((c) => !c.number)) throw new Error("a pre-queue client has no number after the draw");

    const report = {
      people,
      scripts,
      scriptHeadStartMs: 50,
      fifo: summary(fifo),
      prequeue: { ...summary(drawn), shuffleMs: published.shuffleMs, commitment: published.commitment },
      machine: machine(),
    };
    // A random draw puts the scripts' median anywhere near the middle; "no better" allows for that noise:
    // the median of n uniform ranks out of N has a standard deviation of about N / (2 sqrt(n)).
    const noise = total / (2 * Math.sqrt(scripts));
    report.invariants = {
      fifoFavoursScripts: { ok: report.fifo.scripts.medianNumber < report.fifo.people.medianNumber },
      drawGivesScriptsNoAdvantage: {
        ok: report.prequeue.scripts.medianNumber >= report.prequeue.people.medianNumber - 3 * noise,
        allowance: Math.round(3 * noise),
      },
    };
    return report;
  } finally {
    await g.dispose();
  }
}

export async function main(argv) {
  const arg = (name, fallback) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  build();
  const report = await fairnessSimulation({ people: arg("people", 10_000), scripts: arg("scripts", 1_000), seed: arg("seed", 2016), log: (l) => console.log(l) });
  const row = (mode, r) =>
    `| ${mode} | ${r.people.medianNumber} | ${r.scripts.medianNumber} | ${r.scriptsInFirstThousand} of ${report.scripts} |`;
  console.log(
    [
      "",
      `| order | people's median number | scripts' median number | scripts among the first 1,000 |`,
      "|---|---|---|---|",
      row("strict FIFO", report.fifo),
      row("pre-queue draw", report.prequeue),
      "",
      `draw of ${report.people + report.scripts} tickets: ${report.prequeue.shuffleMs} ms in the QueueRoom`,
      ...Object.entries(report.invariants).map(([k, v]) => `${v.ok ? "ok  " : "FAIL"} ${k}`),
    ].join("\n"),
  );
  const out = join(import.meta.dirname, "results", "fairness-latest.json");
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`written ${out}`);
  if (!Object.values(report.invariants).every((v) => v.ok)) process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv.slice(2));
