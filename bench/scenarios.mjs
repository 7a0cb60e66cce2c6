// One scenario of the gateway's hot routes, set up on a started gateway and
// returned as `(seconds) => load(...)`: what bench/profile.mjs records and
// bench/ab.mjs compares between two builds. (bench/run.mjs sets up its own,
// with baselines, call counts and checks of every answer.)
import { admissionToken, claimItems, load, newTicketId, opsClient, BROWSER_HEADERS, pagePostHeaders, pollItems, pool, submissionBody, ticketCookie } from "./lib.mjs";

export const SCENARIOS = ["health", "poll", "enter", "claim", "submit"];

/**
 * Sets `name` up on gateway `g` (from startGateway) for event `event`; returns a runner of `seconds` of load.
 * `tickets`: how many waiting tickets polls rotate over (5,000; 100,000 is the growth bench's largest line).
 */
export async function prepare(g, name, event, { connections = 50, tickets = 5000 } = {}) {
  const ops = opsClient(g.url, g.secrets);
  const opensAt = new Date(Date.now() - 1000).toISOString();
  const line = async (n) => {
    const cookies = [];
    for (let s = 0; s < n; s += 1000) {
      const rs = await g.enterBatch(event, Array.from({ length: Math.min(1000, n - s) }, newTicketId));
      for (const r of rs) cookies.push(ticketCookie(g.secrets.TICKET_HMAC_KEY, event, r.ticketId, r.number));
    }
    return cookies;
  };
  // Rotation goes on from one run to the next: each item is used once before any twice.
  const rotating = (items, run) => {
    let next = 0;
    return async (seconds) => {
      const r = await run(seconds, next);
      next = (next + r.requests) % items.length;
      return r;
    };
  };
  if (name === "health") {
    return (seconds) => load(g.url, { connections, duration: seconds, path: "/guichet/healthz", headers: BROWSER_HEADERS });
  }
  if (name === "poll") {
    await ops.configure(event, { opensAt });
    await ops.pause(event);
    const cookies = await line(tickets);
    const items = pollItems(cookies);
    return rotating(items, (seconds, start) => load(g.url, { connections, duration: seconds, path: `/guichet/api/status?event=${event}`, items, start }));
  }
  if (name === "enter") {
    await ops.configure(event, { opensAt, maxActive: 500, admitPerMinute: 1000 });
    return (seconds) => load(g.url, { connections, duration: seconds, method: "POST", path: `/guichet/api/enter?event=${event}`, headers: pagePostHeaders(g.url) });
  }
  if (name === "claim") {
    await ops.configure(event, { opensAt, quota: 1_000_000, maxActive: 1_000_000, admitPerMinute: 1_000_000, noShowGraceSeconds: 3600, admissionSeconds: 3600 });
    const cookies = await line(40000);
    // Calls run on the room's alarm: wait until the last ticket is called (as bench/run.mjs does).
    for (let i = 0; ; i++) {
      const body = await (await fetch(`${g.url}/guichet/api/status?event=${event}`, { headers: { cookie: cookies.at(-1) } })).json();
      if (body.state === "your_turn") break;
      if (i > 120) throw new Error(`claims: tickets not called after 60 s: ${JSON.stringify(body)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const items = claimItems(g.url, cookies);
    return rotating(items, (seconds, start) => load(g.url, { connections, duration: seconds, method: "POST", path: `/guichet/api/claim?event=${event}`, items, start }));
  }
  if (name === "submit") {
    await ops.configure(event, { opensAt, quota: 1_000_000 });
    const bodies = await pool(Array.from({ length: 10000 }, (_, i) => i), 8, async (i) => JSON.stringify(submissionBody(await admissionToken(g.secrets, { event, num: i + 1 }), { account: i, person: i })));
    const items = bodies.map((body) => ({ body }));
    const headers = { authorization: `Bearer ${g.secrets.ORIGIN_API_KEY}`, "content-type": "application/json" };
    return rotating(items, (seconds, start) => load(g.url, { connections, duration: seconds, method: "POST", path: `/guichet/api/submissions?event=${event}`, headers, items, start }));
  }
  throw new Error(`unknown scenario ${name} (one of ${SCENARIOS.join(", ")})`);
}
