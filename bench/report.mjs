#!/usr/bin/env node
// Prints Markdown tables of committed results, for bench/README.md and
// bench/HISTORY.md to quote: bench/results/before.json (the code before the
// performance work, measured with `--bundle`), round1.json, round2.json, …
// (read while consecutive from 1: today rounds 1 to 7, commits 2621aeb,
// bbcf70f, a0bbeec, e91c84d, e2640b6, eb41e6e and bf41197), latest.json
// (`npm run bench -- --growth`: its scenarios, targets and growth) and
// simulate-latest.json (`npm run simulate`). Not the later rounds' files,
// nor the room's ceiling or the opening minute (room-*.json, opening-*.json).
//   node bench/report.mjs
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const dir = join(new URL(".", import.meta.url).pathname, "results");
const read = (name) => (existsSync(join(dir, name)) ? JSON.parse(readFileSync(join(dir, name), "utf8")) : null);
const before = read("before.json");
const rounds = [];
for (let k = 1; existsSync(join(dir, `round${k}.json`)); k++) rounds.push(read(`round${k}.json`));
const after = read("latest.json");
const sim = read("simulate-latest.json");

const table = (head, rows) =>
  [`| ${head.join(" | ")} |`, `|${head.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");

if (after) {
  const m = after.machine;
  const runs = after.settings.runs > 1 ? `${after.settings.runs} runs, each on a freshly started gateway, each scenario reported by its median run [every run's ratio in brackets]; ` : "";
  console.log(`Measured ${after.at} (${after.mode}: ${runs}${after.settings.rounds} × ${after.settings.durationSeconds / after.settings.rounds} s slices per scenario, each after a baseline slice as long, ${after.settings.connections} connections, the objects' and D1's files ${after.settings.state === "memory" ? "in memory" : "on disk"}): ${m.cores} cores (${m.cpuModel}), Node ${m.node}, ${m.workerd}, Miniflare ${m.miniflare}, autocannon ${m.autocannon}.\n`);
  const by = (r) => Object.fromEntries((r?.scenarios ?? []).map((s) => [s.name, s]));
  const earlierRuns = [before, ...rounds].map(by);
  const last = rounds.length;
  // "(before → round 1 → … → N)": the same figure for the code before this work and after each round.
  const earlier = (name, field, fmt = (v) => `${v}`) => {
    const values = earlierRuns.map((r) => r[name]).map((x) => (x && !x.skipped ? fmt(x[field]) : "–"));
    return values.every((v) => v === "–") ? "" : ` (${values.join(" → ")})`;
  };
  const rows = after.scenarios.map((s) => {
    if (s.skipped) return [s.name, "skipped", "", "", "", "", "", "", ""];
    return [
      `${s.name}`,
      `${s.rps}`,
      `${s.baselineRps}`,
      `**${s.ratio.toFixed(2)}**${s.runs ? ` [${s.runs.map((r) => r.ratio.toFixed(2)).join(", ")}]` : ""}${earlier(s.name, "ratio", (v) => v.toFixed(2))}`,
      `${s.p50} / ${s.p99}`,
      `${s.non2xx} / ${s.errors}`,
      `${s.doCallsPer1000}${earlier(s.name, "doCallsPer1000")}`,
      `${s.cpuUsPerRequest}${earlier(s.name, "cpuUsPerRequest")}`,
      `${s.baselineCpuUsPerRequest}`,
    ];
  });
  console.log(
    table(
      ["scenario", "req/s", "baseline req/s", `ratio (before → round 1 → … → ${last})`, "p50 / p99 ms", "non-2xx / errors", `DO calls per 1,000 (before → round 1 → … → ${last})`, `workerd CPU µs/req (before → round 1 → … → ${last})`, "baseline CPU µs/req"],
      rows,
    ),
  );
  const upload = after.bundle.uploadKiB ? `; wrangler's Total Upload ${after.bundle.uploadKiB} KiB / **gzip ${after.bundle.uploadGzipKiB} KiB**` : "";
  console.log(`\nBundle (worker.js and the page scripts beside it, gzip -9): ${after.bundle.rawKiB} KiB raw, ${after.bundle.gzipKiB} KiB gzip${upload}${before ? ` (before, one module: ${before.bundle.rawKiB} KiB raw, ${before.bundle.gzipKiB} KiB gzip)` : ""}.\n`);
  console.log("Targets:\n");
  for (const t of after.targets) console.log(`- ${t.met ? "met" : "**missed**"}: ${t.target} — ${t.value}`);
  if (after.growth) {
    console.log("\nGrowth (status polls on a paused line of N tickets; each row after its own baseline):\n");
    console.log(
      table(
        ["tickets", "req/s", "baseline", "ratio", "p50 / p99 ms", "workerd CPU µs/req (baseline)", "DO calls per 1,000", "room's SQLite file", "workerd RSS (growth)"],
        after.growth.map((g) => [
          g.tickets.toLocaleString("en"),
          g.rps,
          g.baselineRps ?? "",
          g.ratio?.toFixed(2) ?? "",
          `${g.p50} / ${g.p99}`,
          `${g.cpuUsPerRequest ?? ""} (${g.baselineCpuUsPerRequest ?? ""})`,
          g.doCallsPer1000,
          `${(g.roomStorageBytes / 1024 / 1024).toFixed(1)} MiB`,
          `${g.workerdRssMiB} MiB (${g.workerdRssGrowthMiB >= 0 ? "+" : ""}${g.workerdRssGrowthMiB})`,
        ]),
      ),
    );
  }
}

if (sim) {
  const s = sim.settings;
  console.log(`\nSimulation ${sim.at}: ${s.arrivals.toLocaleString("en")} arrivals, quota ${s.quota}, maxActive ${s.maxActive}, time ×${s.factor} (admission ${s.admissionSeconds} s, grace ${s.graceSeconds} s, ${s.admitPerMinute} calls a minute), seed ${s.seed}.\n`);
  console.log(`- arrivals: ${JSON.stringify(sim.arrivals.kinds)}; ${sim.arrivals.reloads} reloads, ${sim.arrivals.secondTabs} second tabs, ${sim.arrivals.returningNoShows} returning no-shows`);
  console.log(`- submissions: ${sim.submissions.accepted} accepted, ${sim.submissions.duplicate} duplicates refused, ${sim.submissions.device} phones refused, ${sim.submissions.quotaRefusedAfterAdmission} refused for quota after admission, ${sim.submissions.expiredTokens} expired tokens`);
  if (sim.fill) console.log(`- quota filled ${sim.fill.realSeconds} s after the opening (real), ${sim.fill.simulatedMinutes} simulated minutes`);
  if (sim.room) console.log(`- the room: ${sim.room.called} first calls, ${sim.room.requeued} returning no-shows called again, peak active ${sim.room.peakActive}, tickets by state ${JSON.stringify(sim.room.ticketsByState)}, SQLite ${(sim.room.sqliteBytes / 1024 / 1024).toFixed(1)} MiB`);
  console.log(`- requests: ${sim.requests.total.toLocaleString("en")} in ${sim.requests.realSeconds} s ${JSON.stringify(sim.requests.byRoute)}`);
  console.log(`- Durable Object calls: ${sim.doCalls.total.toLocaleString("en")}, **${sim.doCalls.perCandidate} per candidate** (room ${JSON.stringify(sim.doCalls.room)}, counter ${JSON.stringify(sim.doCalls.quota)})\n`);
  console.log(table(["invariant", "held", "detail"], sim.invariants.map((i) => [i.name, i.ok ? "yes" : "**NO**", i.detail])));
}
