// Helpers shared by the benchmark and the simulation: what a browser and the
// origin would hold (ticket cookies, admission tokens, submission bodies),
// the ops API, and autocannon runs summarised the same way everywhere.
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { cpus } from "node:os";
import autocannon from "autocannon";
import { SignJWT, importJWK } from "jose";

export const DESKTOP_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";
export const PHONE_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
/** The tokens' issuer the harness sets (GATEWAY_ISSUER), so tokens signed here verify there. */
export const ISSUER = "http://guichet.bench";

/**
 * What a browser sends with every request, whatever the route: its user
 * agent and an Accept. Every bench request carries them, the baseline's
 * (`GET /guichet/healthz`) too, so that a ratio compares what the routes do
 * with requests of the same kind; what a route's request adds (a cookie,
 * Origin, an empty body's length, the touch points) is the scenario's.
 * The room page's status poll is these and the ticket's cookie.
 */
export const BROWSER_HEADERS = { "user-agent": DESKTOP_UA, accept: "application/json" };

/**
 * The headers of the room page's enter and claim to the gateway at `url`
 * (src/pages/room/room.client.js): a POST without a body (a browser declares it
 * empty), the touch points in a header (test/e2e/room.e2e.test.ts checks
 * that the page sends them so), and what a browser adds to a same-origin
 * POST that the gateway reads: Origin and Sec-Fetch-Site.
 */
export function pagePostHeaders(url) {
  return { ...BROWSER_HEADERS, "content-length": "0", "x-guichet-touch-points": "0", origin: new URL(url).origin, "sec-fetch-site": "same-origin" };
}

/** The room page's status polls, one per ticket cookie (autocannon items): a browser's headers and the cookie. */
export function pollItems(cookies) {
  return cookies.map((cookie) => ({ headers: { ...BROWSER_HEADERS, cookie } }));
}

/** The room page's claims to the gateway at `url`, one per ticket cookie (autocannon items). */
export function claimItems(url, cookies) {
  const post = pagePostHeaders(url); // the same for every ticket: built once
  return cookies.map((cookie) => ({ headers: { ...post, cookie } }));
}

/** A command-line option's value (`raw`, a string or undefined) as a whole number of at least 1, or `fallback` when it is not given. */
export function wholeOption(name, raw, fallback) {
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--${name}: a whole number, at least 1 (got ${raw})`);
  return value;
}

/**
 * A ticket cookie as the gateway signs it (src/auth/ticket.ts): `<event>.<id>.<number>.<mac>`,
 * under the bare name the gateway reads on plain HTTP to 127.0.0.1 (on HTTPS it reads `__Host-guichet_ticket`).
 */
export function ticketCookie(secret, event, ticketId, number) {
  const mac = createHmac("sha256", secret).update(`t1|${event}|${ticketId}|${number}`).digest("base64url");
  return `guichet_ticket=${event}.${ticketId}.${number}.${mac}`;
}

export function newTicketId() {
  return randomBytes(16).toString("base64url");
}

let signing = null;
/** An admission token as a claim would give it, signed with the gateway's key. */
export async function admissionToken(secrets, { event, num, dev = "desktop", lifetime = 3600, jti = randomUUID() }) {
  if (!signing || signing.source !== secrets.ADMISSION_SIGNING_JWK) {
    const jwk = JSON.parse(secrets.ADMISSION_SIGNING_JWK);
    signing = { source: secrets.ADMISSION_SIGNING_JWK, kid: jwk.kid, key: await importJWK(jwk, "ES256") };
  }
  const iat = Math.floor(Date.now() / 1000);
  return new SignJWT({ evt: event, num, dev, scope: "admission" })
    .setProtectedHeader({ alg: "ES256", kid: signing.kid, typ: "JWT" })
    .setIssuer(ISSUER)
    .setAudience("mpq-origin")
    .setSubject(`ticket-${num}`)
    .setJti(jti)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(iat + lifetime)
    .sign(signing.key);
}

/** A distinct applicant for person `i` (same `i`, same identity). */
export function applicantOf(i) {
  return {
    familyName: `Tremblay-${i}`,
    givenNames: "Marie Claire",
    birthDate: "1985-04-02",
    countryOfBirth: "FR",
    passportNumber: `P${String(i).padStart(8, "0")}`,
    email: `candidate${i}@example.org`,
  };
}

export function submissionBody(token, { account, person, userAgent = DESKTOP_UA }) {
  return {
    admissionToken: token,
    accountId: `mpq-${account}`,
    applicationId: `app-${account}`,
    applicant: applicantOf(person),
    signedByRepresentative: false,
    representativeId: null,
    device: { userAgent, mobileHint: userAgent === DESKTOP_UA ? "?0" : "?1" },
  };
}

/** The ops API (bearer OPS_TOKEN). */
export function opsClient(url, secrets) {
  const call = async (method, path, body) => {
    const res = await fetch(`${url}/guichet/ops/api${path}`, {
      method,
      headers: { authorization: `Bearer ${secrets.OPS_TOKEN}`, "content-type": "application/json", "x-guichet-operator": "bench" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
    return text.startsWith("{") || text.startsWith("[") ? JSON.parse(text) : text;
  };
  return {
    configure: (event, settings) => call("PUT", `/event?event=${event}`, settings),
    pause: (event) => call("POST", `/event/pause?event=${event}`),
    resume: (event) => call("POST", `/event/resume?event=${event}`),
    close: (event) => call("POST", `/event/close?event=${event}`),
    raw: call,
  };
}

/** Runs `items` through `fn` with at most `limit` in flight. */
export async function pool(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  });
  await Promise.all(workers);
  return out;
}

/**
 * One bounded autocannon run. With `items` ({headers?, body?} each), every
 * connection gets its own prebuilt sequence (items start+k, start+k+C, …), so
 * requests differ (a ticket, a body each) without rebuilding a request in the
 * client per send: autocannon's `setupRequest` would, and the client's CPU
 * is half of this machine.
 *
 * `seconds` (and so `rps`) counts from when the last connection's requests
 * are built: autocannon starts its clock before it builds them, and it sends
 * nothing until they are all built; 40,000 prebuilt claims took ~0.3 s of
 * each 4 s slice, which its own duration counted as load.
 */
export async function load(url, { connections, duration, amount, method = "GET", path, headers = {}, body, items, start = 0 }) {
  // `amount`: a bounded number of requests instead of a duration (autocannon refuses an undefined duration).
  const opts = { url: `${url}${path}`, connections, ...(amount === undefined ? { duration } : { amount }), method, headers, body, timeout: 10 };
  let built = 0;
  let client = 0;
  const perClient = items ? Math.max(1, Math.ceil(items.length / connections)) : 0;
  opts.setupClient = (c) => {
    const k = client++;
    if (items) {
      const seq = [];
      for (let j = 0; j < perClient; j++) {
        const item = items[(start + k + j * connections) % items.length];
        seq.push({ method, path, headers: { ...headers, ...(item.headers ?? {}) }, body: item.body ?? body });
      }
      c.setRequests(seq);
    }
    if (k === connections - 1) built = Date.now();
  };
  const res = await autocannon(opts);
  const codes = Object.fromEntries(Object.entries(res.statusCodeStats ?? {}).map(([k, v]) => [k, v.count]));
  const total = Object.values(codes).reduce((a, b) => a + b, 0);
  const seconds = built ? (res.finish.getTime() - built) / 1000 : res.duration;
  return {
    requests: total,
    rps: Math.round(total / seconds),
    p50: res.latency.p50,
    p99: res.latency.p99,
    errors: res.errors + res.timeouts,
    non2xx: res.non2xx,
    codes,
    seconds,
    /** What autocannon counted: the seconds above and the building of the requests. */
    setupSeconds: Math.round((res.duration - seconds) * 100) / 100,
  };
}

export function machine(extra = {}) {
  const c = cpus();
  return {
    cores: c.length,
    cpuModel: c[0]?.model ?? "unknown",
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    ...extra,
  };
}

/** Sum of the per-method counts, and the per-method difference after - before. */
export function countsDelta(before, after) {
  const out = {};
  let total = 0;
  for (const side of ["room", "quota"]) {
    for (const [method, n] of Object.entries(after[side] ?? {})) {
      const d = n - (before[side]?.[method] ?? 0);
      if (d !== 0) {
        out[`${side}.${method}`] = d;
        total += d;
      }
    }
  }
  return { total, byMethod: out };
}

/**
 * Counts an event's Durable Object calls over a period, from the objects' own
 * in-memory counters. An object evicted while idle starts again from zero:
 * sampled often enough, a drop is read as a restart, not as negative calls.
 */
export function callMeter(gateway, event) {
  const last = { room: {}, quota: {} };
  const total = { room: {}, quota: {} };
  let first = true;
  const sample = async () => {
    const now = await gateway.counts(event);
    for (const side of ["room", "quota"]) {
      for (const [method, n] of Object.entries(now[side] ?? {})) {
        const prev = last[side][method] ?? 0;
        if (!first) total[side][method] = (total[side][method] ?? 0) + (n >= prev ? n - prev : n);
        last[side][method] = n;
      }
      // Methods that vanished (a restart with no calls since) start again from zero.
      for (const method of Object.keys(last[side])) if (!(method in (now[side] ?? {}))) last[side][method] = 0;
    }
    first = false;
  };
  return {
    sample,
    totals: () => {
      const sum = (o) => Object.values(o).reduce((a, b) => a + b, 0);
      return { total: sum(total.room) + sum(total.quota), room: { ...total.room }, quota: { ...total.quota } };
    },
  };
}

/** A small deterministic PRNG (mulberry32), so a seed replays the same day. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A binary min-heap of `{t, seq, value}` by time, then by insertion, so that
 * events due at the same instant run in the order they were scheduled (the
 * simulations' arrival order depends on it).
 */
export class TimeHeap {
  #h = [];
  #seq = 0;
  get size() {
    return this.#h.length;
  }
  push(t, value) {
    const h = this.#h;
    h.push({ t, seq: this.#seq++, value });
    for (let i = h.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (!this.#less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }
  peek() {
    return this.#h[0];
  }
  pop() {
    const h = this.#h;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0) {
      h[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.#less(h[l], h[m])) m = l;
        if (r < h.length && this.#less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
  #less(a, b) {
    return a.t < b.t || (a.t === b.t && a.seq < b.seq);
  }
}
