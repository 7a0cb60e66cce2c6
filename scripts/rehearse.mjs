#!/usr/bin/env node
// `npm run rehearse -- --url <gateway>`: opening day rehearsed against a
// running gateway (`npm run dev`, a staging deployment) through its public
// API only. Synthetic candidates enter, poll, claim their turn and follow the
// redirect to the origin's login page; the origin's submissions are made for
// them with the origin's key; then the invariants are checked through the
// ops API and the ministry's CSV export. Bounded in arrivals and time; a
// live progress line on stderr; a JSON report and, beside it, an HTML chart
// (uPlot, inlined: it opens without a network) of arrivals, calls,
// submissions and wait.
//
//   npm run rehearse -- --url http://localhost:8787 --arrivals 50 --origin-key K --ops-token T
//   options: --event ID (the gateway's default event), --arrivals N (50), --duration S (180, the whole
//            rehearsal's bound), --concurrency N (16), --out PATH (bench/results/rehearsal-latest.json; the
//            chart beside it, .html), --i-know-this-is-production
//   secrets may come from the environment instead of the command line (where `ps` shows them):
//            GUICHET_ORIGIN_KEY, GUICHET_OPS_TOKEN
//
// It refuses (exit 2), before any arrival, a gateway whose event is open to
// the public: see isPublic. Exit 0 when every check held, 1 otherwise.
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { parse as parseCsv } from "csv-parse/sync";

const ROOT = new URL("..", import.meta.url).pathname;
const DESKTOP_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 GuichetRehearsal/1";
/** Hosts where the rehearsal never refuses: this machine. */
const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const pct = (sorted, p) => (sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]);

/** Whether `url` is this machine (loopback; `localHosts` names it): a rehearsal there never touches the public. */
export function isLocal(url, localHosts = LOCAL_HOSTS) {
  const host = new URL(url).hostname;
  return localHosts.has(host) || (localHosts === LOCAL_HOSTS && host.endsWith(".localhost"));
}

/**
 * Whether the event is open to the public, from what it shows before the
 * rehearsal enters anyone. It is when it takes arrivals now (open, or its
 * pre-queue open) or will within the rehearsal's `durationMs`, and someone
 * other than the rehearsal may be in it: with the ops API, anyone entered,
 * in the pre-queue or accepted; without it that cannot be known, so yes.
 * Returns { public, why }.
 */
export function isPublic({ status, fairness, metrics }, now, durationMs) {
  const opensAt = status.opensAt ? Date.parse(status.opensAt) : null;
  const prequeueAt = fairness?.prequeueOpensAt ? Date.parse(fairness.prequeueOpensAt) : null;
  const soon = (at) => at !== null && at <= now + durationMs;
  const takingArrivals = status.state !== "closed" && (soon(opensAt) || (soon(prequeueAt) && !fairness?.seed));
  if (!takingArrivals) return { public: false, why: `the event takes no arrivals within the rehearsal (state ${status.state}, opens ${status.opensAt ?? "not scheduled"})` };
  if (!metrics) return { public: true, why: "the event takes arrivals within the rehearsal, and without --ops-token nothing shows that nobody else is in it" };
  const others = metrics.line.entered + (fairness?.count ?? 0) + metrics.submissions.accepted;
  if (others > 0) return { public: true, why: `the event takes arrivals and already holds others: ${metrics.line.entered} numbered, ${fairness?.count ?? 0} in the pre-queue, ${metrics.submissions.accepted} accepted` };
  return { public: false, why: "the event takes arrivals but nobody is in it yet" };
}

/** One candidate's cookies, matched by the rest of the name (`__Host-guichet_ticket` is `guichet_ticket`). */
class Jar {
  #cookies = new Map();
  take(res) {
    for (const line of res.headers.getSetCookie()) {
      const pair = line.split(";")[0];
      const eq = pair.indexOf("=");
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      // A deletion (empty value or Max-Age=0) removes it.
      if (value === "" || /;\s*max-age=0/i.test(line)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }
  /** The value of the cookie named `base` with or without a prefix. */
  get(base) {
    for (const [name, value] of this.#cookies) if (name === base || name.endsWith(`-${base}`)) return value;
    return null;
  }
  header() {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
}

/** Leading zero bits of a digest (the entry puzzle, src/auth/pow.ts). */
function leadingZeroBits(bytes) {
  let bits = 0;
  for (const b of bytes) {
    if (b === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(b) - 24;
  }
  return bits;
}

function solvePuzzle(challenge, difficulty) {
  for (let n = 0; ; n++) {
    if (leadingZeroBits(createHash("sha256").update(`${challenge}:${n}`).digest()) >= difficulty) return String(n);
  }
}

/** Runs the rehearsal; returns the report (the caller writes it). */
export async function rehearse(options) {
  const url = options.url.replace(/\/$/, "");
  const arrivals = options.arrivals ?? 50;
  const durationMs = (options.durationSeconds ?? 180) * 1000;
  const concurrency = options.concurrency ?? 16;
  const log = options.log ?? (() => {});
  const progress = options.progress ?? (() => {});
  const started = Date.now();
  const deadline = started + durationMs;
  const runId = randomBytes(4).toString("hex");
  const stats = { requests: 0, byRoute: {}, errors: 0, status5xx: 0, retries429: 0 };

  // At most `concurrency` requests in flight: a simple gate.
  let inFlight = 0;
  const waiters = [];
  const acquire = async () => {
    while (inFlight >= concurrency) await new Promise((r) => waiters.push(r));
    inFlight += 1;
  };
  const release = () => {
    inFlight -= 1;
    waiters.shift()?.();
  };

  /** One request; counted by route and status. Never throws: status 0 on a transport error. */
  const call = async (route, method, path, { headers = {}, body, jar, redirect = "manual" } = {}) => {
    await acquire();
    try {
      const res = await fetch(path.startsWith("http") ? path : `${url}${path}`, {
        method,
        redirect,
        headers: { "user-agent": DESKTOP_UA, accept: "application/json", ...(jar ? { cookie: jar.header() } : {}), ...headers },
        body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      stats.requests += 1;
      const byStatus = (stats.byRoute[route] ??= {});
      byStatus[res.status] = (byStatus[res.status] ?? 0) + 1;
      if (res.status >= 500) stats.status5xx += 1;
      if (jar) jar.take(res);
      let json = null;
      try {
        json = JSON.parse(text);
      } catch {}
      return { status: res.status, headers: res.headers, json, text };
    } catch (e) {
      stats.errors += 1;
      return { status: 0, headers: new Headers(), json: null, text: String(e) };
    } finally {
      release();
    }
  };
  const ops = options.opsToken
    ? (method, path, body) => call("ops", method, `/guichet/ops/api${path}`, { headers: { authorization: `Bearer ${options.opsToken}`, "content-type": "application/json", "x-guichet-operator": "rehearsal" }, body })
    : null;
  // What the room page's POSTs carry (no Origin: the gateway may see its own URL under another host name than ours).
  const origPost = { "sec-fetch-site": "same-origin", "content-length": "0", "x-guichet-touch-points": "0" };

  // ---------------------------------------------------------------- the target
  const health = await call("healthz", "GET", "/guichet/healthz");
  if (health.status !== 200) throw new Error(`${url}/guichet/healthz answered ${health.status}: is the gateway running?`);
  const eventQuery = options.event ? `?event=${encodeURIComponent(options.event)}` : "";
  const first = await call("status", "GET", `/guichet/${eventQuery}`);
  if (first.status !== 200 || !first.json?.event) throw new Error(`GET /guichet/${eventQuery} answered ${first.status}: ${first.text.slice(0, 200)}`);
  const event = first.json.event;
  const q = `?event=${encodeURIComponent(event)}`;
  const fairness = (await call("fairness", "GET", `/guichet/api/fairness${q}`)).json;
  const metricsOf = async () => (ops ? (await ops("GET", `/metrics${q}`)).json : null);
  const before = { status: first.json, fairness, metrics: await metricsOf() };
  if (ops && !before.metrics?.line) throw new Error("the ops API refused --ops-token (GET /guichet/ops/api/metrics)");
  const local = isLocal(url, options.localHosts);
  const exposure = isPublic(before, Date.now(), durationMs);
  const target = { url, event, local, public: exposure.public, why: exposure.why, override: Boolean(options.iKnowThisIsProduction) };
  if (!local && exposure.public && !options.iKnowThisIsProduction) {
    return { refused: true, target, at: new Date(started).toISOString() };
  }
  const isDefaultEvent = !options.event || options.event === event;
  log(`rehearsing on ${url}, event ${event} (${before.status.state}, opens ${before.status.opensAt ?? "not scheduled"}): ${arrivals} candidates, at most ${durationMs / 1000} s`);

  // ---------------------------------------------------------------- the candidates
  const people = Array.from({ length: arrivals }, (_, i) => ({
    i,
    jar: new Jar(),
    // One in twenty is a second account of the candidate before: the gateway must refuse it as a duplicate.
    duplicateOf: i > 0 && i % 20 === 19 ? i - 1 : null,
    reload: i % 10 === 3,
    clickAt: null,
    numberAt: null,
    number: null,
    numbersSeen: new Set(),
    calledAt: null,
    claimedAt: null,
    token: null,
    redirect: null,
    redirectStatus: null,
    outcome: null,
    receipt: null,
  }));
  const timeline = [];
  const live = { entered: 0, called: 0, claimed: 0, submitted: 0, accepted: 0, active: 0, peakActiveSeen: 0, peakOursAdmitted: 0 };
  let oursAdmitted = 0;

  const enter = async (p) => {
    for (;;) {
      if (Date.now() > deadline) return false;
      let body;
      const challenge = await call("challenge", "GET", `/guichet/api/challenge${q}`, { jar: p.jar });
      if (challenge.json?.difficulty > 0) {
        body = JSON.stringify({ pow: { challenge: challenge.json.challenge, nonce: solvePuzzle(challenge.json.challenge, challenge.json.difficulty) } });
      }
      p.clickAt ??= Date.now();
      const res = await call("enter", "POST", `/guichet/api/enter${q}`, {
        jar: p.jar,
        headers: body ? { ...origPost, "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) } : origPost,
        body,
      });
      if (res.status === 201 || res.status === 200) {
        if (res.json.number) {
          p.number = res.json.number;
          p.numberAt = Date.now();
          p.numbersSeen.add(res.json.number);
        }
        live.entered += 1;
        return true;
      }
      // Not open yet, too many from this address, or a hiccup: wait as told (bounded by the rehearsal's deadline).
      const retryAfter = Number(res.headers.get("retry-after"));
      if (res.status === 429) stats.retries429 += 1;
      if (res.status === 410 || res.status === 403 || res.status === 404) {
        p.outcome = `enter_${res.json?.error?.code ?? res.status}`;
        return false;
      }
      // 429: the limiter's Retry-After as given; otherwise at most 5 s, spread so retries do not come together.
      const wait = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 1000;
      await sleep(res.status === 429 ? wait + Math.random() * 1000 : Math.min(wait, 5000) * (0.5 + Math.random()));
    }
  };

  const submit = async (p) => {
    const person = p.duplicateOf ?? p.i;
    const res = await call("submit", "POST", `/guichet/api/submissions${q}`, {
      headers: { authorization: `Bearer ${options.originKey}`, "content-type": "application/json" },
      body: {
        admissionToken: p.token,
        accountId: `rehearsal-${runId}-${p.i}`,
        applicationId: `rehearsal-app-${runId}-${p.i}`,
        applicant: {
          familyName: `Répétition-${runId}-${person}`,
          givenNames: "Candidate Synthétique",
          birthDate: "1985-04-02",
          countryOfBirth: "FR",
          passportNumber: `R${runId}${String(person).padStart(6, "0")}`,
          email: `rehearsal+${runId}-${person}@example.invalid`,
        },
        signedByRepresentative: false,
        representativeId: null,
        device: { userAgent: DESKTOP_UA, mobileHint: "?0" },
      },
    });
    live.submitted += 1;
    oursAdmitted -= 1;
    if (res.status === 201) {
      p.receipt = res.json.receipt;
      p.outcome = "accepted";
      live.accepted += 1;
    } else p.outcome = `submit_${res.json?.error?.code ?? res.status}`;
  };

  const journey = async (p) => {
    if (!(await enter(p))) {
      p.outcome ??= "not_entered";
      return;
    }
    if (p.reload) {
      // A reload: the same ticket enters again and must keep its number.
      const again = await call("enter", "POST", `/guichet/api/enter${q}`, { jar: p.jar, headers: origPost });
      if (again.json?.number) p.numbersSeen.add(again.json.number);
    }
    for (;;) {
      if (Date.now() > deadline) {
        p.outcome = "unfinished";
        return;
      }
      const s = await call("status", "GET", `/guichet/api/status${q}`, { jar: p.jar });
      if (s.status !== 200) {
        await sleep(1000);
        continue;
      }
      if (s.json.number) {
        p.numbersSeen.add(s.json.number);
        if (p.number === null) {
          p.number = s.json.number;
          p.numberAt = Date.now();
        }
      }
      if (s.json.state === "closed" || s.json.state === "expired") {
        p.outcome = s.json.state;
        return;
      }
      if (s.json.state === "your_turn") break;
      await sleep(Math.min(s.json.pollAfterMs ?? 2000, 5000));
    }
    p.calledAt = Date.now();
    live.called += 1;
    const claim = await call("claim", "POST", `/guichet/api/claim${q}`, { jar: p.jar, headers: origPost });
    if (claim.status !== 200) {
      p.outcome = `claim_${claim.json?.error?.code ?? claim.status}`;
      return;
    }
    p.claimedAt = Date.now();
    live.claimed += 1;
    oursAdmitted += 1;
    live.peakOursAdmitted = Math.max(live.peakOursAdmitted, oursAdmitted);
    p.token = claim.json.admission.token;
    p.redirect = claim.json.redirect;
    // Follow the redirect to the origin's login page, as the room page does: the admission cookie carries the token.
    const page = await call("redirect", "GET", new URL(p.redirect, url).toString(), { jar: p.jar, headers: { accept: "text/html" } });
    p.redirectStatus = page.status;
    if (options.originKey) await submit(p);
    else p.outcome = "admitted";
  };

  // Arrivals spread over the first seconds (a small opening: a tenth of a second apart), each a journey.
  const sampler = setInterval(() => void sample(), 1000);
  let sampling = false;
  async function sample() {
    if (sampling) return;
    sampling = true;
    try {
      const m = await metricsOf();
      if (m) {
        live.active = m.line.active;
        live.peakActiveSeen = Math.max(live.peakActiveSeen, m.line.active);
      }
      const waits = people.filter((p) => p.calledAt !== null && p.numberAt !== null).map((p) => (p.calledAt - p.numberAt) / 1000).sort((a, b) => a - b);
      timeline.push({
        t: Math.round((Date.now() - started) / 100) / 10,
        entered: live.entered,
        called: live.called,
        claimed: live.claimed,
        accepted: live.accepted,
        waiting: people.filter((p) => p.number !== null && p.calledAt === null && p.outcome === null).length,
        waitP50Seconds: pct(waits, 50),
        ...(m ? { roomActive: m.line.active, roomServing: m.line.servingNumber, roomEntered: m.line.entered } : {}),
      });
      progress(`t+${Math.round((Date.now() - started) / 1000)} s  entered ${live.entered}/${arrivals}  called ${live.called}  claimed ${live.claimed}  accepted ${live.accepted}  ${m ? `room active ${m.line.active}/${m.settings.maxActive}  ` : ""}5xx ${stats.status5xx}  errors ${stats.errors}`);
    } finally {
      sampling = false;
    }
  }
  // The candidates arrive a tenth of a second apart from the opening (or from now, if it is past): knocking
  // before it would only spend the per-address limit on 409s.
  const opensAt = before.status.opensAt ? Date.parse(before.status.opensAt) : Date.now();
  const prequeueAt = fairness?.prequeueOpensAt && !fairness.seed ? Date.parse(fairness.prequeueOpensAt) : null;
  const firstAt = Math.max(Date.now(), Math.min(opensAt, prequeueAt ?? opensAt) + 200);
  if (firstAt > Date.now() + 1000) log(`waiting ${Math.round((firstAt - Date.now()) / 1000)} s for the event to take arrivals`);
  try {
    await Promise.all(people.map((p) => sleep(firstAt - Date.now() + p.i * 100).then(() => journey(p))));
  } finally {
    clearInterval(sampler);
  }
  await sample();
  progress(null);

  // ---------------------------------------------------------------- the checks
  let csvRows = null;
  if (ops) {
    // The export reads D1, which the quota counter's outbox fills within seconds: wait for our receipts (bounded).
    const ours = new Set(people.filter((p) => p.receipt).map((p) => p.receipt.id));
    for (let i = 0; i < 30; i++) {
      const res = await ops("GET", `/submissions.csv${q}`);
      csvRows = res.status === 200 ? parseCsv(res.text, { columns: true, skip_empty_lines: true, bom: true }) : null;
      if (csvRows && [...ours].every((id) => csvRows.some((r) => r.id === id))) break;
      await sleep(1000);
    }
  }
  // The metrics are a second old at most (each isolate shares one fetch a second): read them once they show our acceptances.
  let after = await metricsOf();
  for (let i = 0; after && i < 15 && after.submissions.accepted - (before.metrics?.submissions.accepted ?? 0) < live.accepted; i++) {
    await sleep(1000);
    after = await metricsOf();
  }
  const invariants = [];
  const check = (name, ok, detail) => invariants.push({ name, ok, detail });
  const skip = (name, why) => invariants.push({ name, ok: null, detail: `not checked: ${why}` });
  const numbered = people.filter((p) => p.number !== null);
  const numbers = numbered.map((p) => p.number).sort((a, b) => a - b);
  check("every candidate kept one number (reloads included)", numbered.every((p) => p.numbersSeen.size === 1) && new Set(numbers).size === numbers.length, `${numbered.length} numbered, ${new Set(numbers).size} distinct, ${numbered.filter((p) => p.numbersSeen.size !== 1).length} saw two`);
  if (after && before.metrics) {
    const from = before.metrics.line.entered;
    const others = after.line.entered - from - numbered.length;
    const expected = Array.from({ length: numbered.length }, (_, k) => from + k + 1);
    check(
      "numbers run 1..N with no gap and no repeat (ops metrics)",
      others === 0 ? numbers.every((n, k) => n === expected[k]) : numbers.every((n) => n > from && n <= after.line.entered),
      `the room numbered ${from + 1}..${after.line.entered}; ours ${numbers[0] ?? "-"}..${numbers.at(-1) ?? "-"} (${numbered.length}); others meanwhile ${others}`,
    );
    check("accepted ≤ quota (ops metrics)", after.submissions.accepted <= after.submissions.quota, `${after.submissions.accepted} accepted of ${after.submissions.quota}`);
    check("no admission above maxActive (ops metrics, sampled each second)", live.peakActiveSeen <= after.settings.maxActive && live.peakOursAdmitted <= after.settings.maxActive, `peak seen ${live.peakActiveSeen} (ours ${live.peakOursAdmitted}) of maxActive ${after.settings.maxActive}`);
  } else for (const n of ["numbers run 1..N with no gap and no repeat (ops metrics)", "accepted ≤ quota (ops metrics)", "no admission above maxActive (ops metrics)"]) skip(n, "no --ops-token");
  if (options.originKey) {
    // Whichever of the two accounts submits first is accepted; the other is refused.
    const pairs = people.filter((p) => p.duplicateOf !== null).map((p) => [people[p.duplicateOf], p]).filter(([a, b]) => a.token && b.token);
    const held = pairs.filter(([a, b]) => [a.outcome, b.outcome].sort().join() === "accepted,submit_duplicate");
    check("one person, two accounts: one accepted, the other refused as a duplicate", pairs.length > 0 && held.length === pairs.length, `${held.length} of ${pairs.length} pairs`);
  } else skip("one person, two accounts: one accepted, the other refused as a duplicate", "no --origin-key");
  if (csvRows) {
    const accounts = csvRows.map((r) => r.account_id);
    check("one acceptance per account (CSV export)", new Set(accounts).size === accounts.length, `${accounts.length} rows, ${new Set(accounts).size} accounts`);
    const receipts = people.filter((p) => p.receipt);
    const times = receipts.map((p) => csvRows.filter((r) => r.id === p.receipt.id).length);
    check("every accepted submission in the CSV exactly once", times.every((n) => n === 1), `${receipts.length} receipts: ${times.filter((n) => n === 1).length} once, ${times.filter((n) => n === 0).length} missing, ${times.filter((n) => n > 1).length} repeated`);
    const ranks = csvRows.filter((r) => r.kind === "quota").map((r) => Number(r.rank)).sort((a, b) => a - b);
    check("ranks run 1..accepted in the CSV", ranks.every((r, k) => r === k + 1) && (!after || ranks.length === after.submissions.accepted), `${ranks.length} ranked rows, up to ${ranks.at(-1) ?? 0}${after ? `; ${after.submissions.accepted} accepted` : ""}`);
  } else for (const n of ["one acceptance per account (CSV export)", "every accepted submission in the CSV exactly once", "ranks run 1..accepted in the CSV"]) skip(n, ops ? "the CSV export did not answer" : "no --ops-token");
  const admitted = people.filter((p) => p.token);
  if (isDefaultEvent) {
    check("the redirect after a claim reaches the origin (not refused by the proxy)", admitted.every((p) => p.redirectStatus !== null && p.redirectStatus < 400 && p.redirectStatus !== 0), `${admitted.length} followed: ${JSON.stringify(countBy(admitted.map((p) => p.redirectStatus)))}`);
  } else skip("the redirect after a claim reaches the origin", "the proxy fronts the default event only");
  check("no 5xx, no transport error", stats.status5xx === 0 && stats.errors === 0, `${stats.status5xx} 5xx, ${stats.errors} transport errors`);
  check("every candidate went through within the rehearsal's time", people.every((p) => p.outcome !== "unfinished" && p.outcome !== "not_entered"), JSON.stringify(countBy(people.map((p) => p.outcome))));

  const clickToNumber = numbered.filter((p) => p.clickAt).map((p) => p.numberAt - p.clickAt).sort((a, b) => a - b);
  const waits = people.filter((p) => p.calledAt && p.numberAt).map((p) => (p.calledAt - p.numberAt) / 1000).sort((a, b) => a - b);
  const claims = people.filter((p) => p.claimedAt).map((p) => p.claimedAt - p.calledAt).sort((a, b) => a - b);
  return {
    at: new Date(started).toISOString(),
    runId,
    target,
    settings: { arrivals, durationSeconds: durationMs / 1000, concurrency, opsChecks: Boolean(ops), submissions: Boolean(options.originKey) },
    before: { state: before.status.state, opensAt: before.status.opensAt, entered: before.metrics?.line.entered ?? null, accepted: before.metrics?.submissions.accepted ?? null },
    after: after ? { entered: after.line.entered, accepted: after.submissions.accepted, quota: after.submissions.quota, maxActive: after.settings.maxActive } : null,
    candidates: { arrivals, entered: live.entered, numbered: numbered.length, called: live.called, claimed: live.claimed, submitted: live.submitted, accepted: live.accepted, outcomes: countBy(people.map((p) => p.outcome)) },
    latency: {
      clickToNumberMs: { p50: pct(clickToNumber, 50), p99: pct(clickToNumber, 99) },
      waitToCallSeconds: { p50: pct(waits, 50), p99: pct(waits, 99) },
      callToClaimMs: { p50: pct(claims, 50), p99: pct(claims, 99) },
    },
    requests: stats,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    timeline,
    invariants,
    ok: invariants.every((i) => i.ok !== false),
  };
}

function countBy(values) {
  const out = {};
  for (const v of values) out[String(v)] = (out[String(v)] ?? 0) + 1;
  return out;
}

/** The report's picture: an HTML page with uPlot (its script and style inlined from node_modules) drawing the timeline. */
export function chartHtml(report) {
  const uplotDir = dirname(createRequire(import.meta.url).resolve("uplot/package.json"));
  const js = readFileSync(join(uplotDir, "dist/uPlot.iife.min.js"), "utf8");
  const css = readFileSync(join(uplotDir, "dist/uPlot.min.css"), "utf8");
  const t = report.timeline;
  const data = {
    counts: [t.map((x) => x.t), t.map((x) => x.entered), t.map((x) => x.called), t.map((x) => x.claimed), t.map((x) => x.accepted)],
    wait: [t.map((x) => x.t), t.map((x) => x.waiting), t.map((x) => x.waitP50Seconds), t.map((x) => x.roomActive ?? null)],
  };
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
  const rows = report.invariants.map((i) => `<tr><td>${i.ok === null ? "—" : i.ok ? "ok" : "FAILED"}</td><td>${esc(i.name)}</td><td>${esc(i.detail)}</td></tr>`).join("");
  // JSON inside a script element: "<" escaped so no "</script>" can close it.
  const json = JSON.stringify(data).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Guichet rehearsal ${esc(report.at)}</title>
<style>${css}
body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}td{padding:2px 8px;border-bottom:1px solid #ddd;vertical-align:top}</style></head>
<body><h1>Rehearsal of ${esc(report.target.event)} on ${esc(report.target.url)}</h1>
<p>${esc(report.at)} · ${report.candidates.arrivals} candidates · ${report.seconds} s · ${report.ok ? "every check held" : "a check FAILED"}</p>
<h2>Arrivals, calls, claims and submissions (cumulative, by second)</h2><div id="counts"></div>
<h2>Waiting and wait</h2><div id="wait"></div>
<h2>Checks</h2><table>${rows}</table>
<script>${js}</script>
<script>
const data = ${json};
const w = Math.min(1000, document.body.clientWidth - 20);
new uPlot({ width: w, height: 300, scales: { x: { time: false } }, axes: [{ label: "seconds" }, { label: "candidates" }],
  series: [{ label: "s" }, { label: "entered", stroke: "#1f77b4" }, { label: "called", stroke: "#ff7f0e" }, { label: "claimed", stroke: "#2ca02c" }, { label: "accepted", stroke: "#d62728" }] },
  data.counts, document.getElementById("counts"));
new uPlot({ width: w, height: 300, scales: { x: { time: false } }, axes: [{ label: "seconds" }, { label: "candidates / seconds" }],
  series: [{ label: "s" }, { label: "ours waiting", stroke: "#1f77b4" }, { label: "median wait to be called (s)", stroke: "#9467bd" }, { label: "room active admissions", stroke: "#8c564b" }] },
  data.wait, document.getElementById("wait"));
</script></body></html>
`;
}

async function main() {
  const { values: args } = parseArgs({
    options: {
      url: { type: "string" },
      event: { type: "string" },
      arrivals: { type: "string", default: "50" },
      duration: { type: "string", default: "180" },
      concurrency: { type: "string", default: "16" },
      "origin-key": { type: "string" },
      "ops-token": { type: "string" },
      out: { type: "string", default: join(ROOT, "bench", "results", "rehearsal-latest.json") },
      "i-know-this-is-production": { type: "boolean", default: false },
    },
  });
  if (!args.url) throw new Error("--url: the gateway to rehearse against (e.g. http://localhost:8787)");
  const whole = (name, max) => {
    const v = Number(args[name]);
    if (!Number.isSafeInteger(v) || v < 1 || v > max) throw new Error(`--${name}: a whole number from 1 to ${max} (got ${args[name]})`);
    return v;
  };
  const tty = process.stderr.isTTY;
  let lastLine = 0;
  const report = await rehearse({
    url: args.url,
    event: args.event,
    arrivals: whole("arrivals", 100_000),
    durationSeconds: whole("duration", 3600),
    concurrency: whole("concurrency", 1000),
    originKey: args["origin-key"] ?? process.env.GUICHET_ORIGIN_KEY,
    opsToken: args["ops-token"] ?? process.env.GUICHET_OPS_TOKEN,
    iKnowThisIsProduction: args["i-know-this-is-production"],
    log: (m) => console.error(`rehearse: ${m}`),
    progress: (line) => {
      if (line === null) return void (tty && process.stderr.write("\n"));
      if (tty) process.stderr.write(`\r\x1b[2K${line}`);
      else if (Date.now() - lastLine > 5000) {
        lastLine = Date.now();
        console.error(line);
      }
    },
  });
  if (report.refused) {
    console.error(`rehearse: refused: ${report.target.url} (event ${report.target.event}) looks open to the public: ${report.target.why}. Nothing was sent beyond reads. Give --i-know-this-is-production to rehearse there anyway.`);
    process.exitCode = 2;
    return;
  }
  mkdirSync(dirname(args.out), { recursive: true });
  writeFileSync(args.out, `${JSON.stringify(report, null, 2)}\n`);
  const html = args.out.replace(/\.json$/, "") + ".html";
  writeFileSync(html, chartHtml(report));
  console.log(`\nrehearsal of ${report.target.event} on ${report.target.url}: ${report.candidates.arrivals} candidates in ${report.seconds} s; ${report.candidates.numbered} numbered, ${report.candidates.claimed} admitted, ${report.candidates.accepted} accepted`);
  console.log(`  click to number p50 ${report.latency.clickToNumberMs.p50} ms, p99 ${report.latency.clickToNumberMs.p99} ms; wait to be called p50 ${report.latency.waitToCallSeconds.p50} s`);
  for (const i of report.invariants) console.log(`  ${i.ok === null ? "skipped" : i.ok ? "ok     " : "FAILED "} ${i.name}: ${i.detail}`);
  console.log(`report: ${args.out}\nchart:  ${html}`);
  process.exitCode = report.ok ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => {
    console.error(`rehearse: ${e.message}`);
    process.exitCode = 1;
  });
}
