// The room bench's driver (bench/room.mjs): a Worker in its own workerd
// process that calls one QueueRoom's RPC methods directly, as the gateway's
// Worker does, so that the objects' process runs the room and nothing else.
// Each load request makes room calls of a fixed size (arrivals or claims per
// call), a fixed number in flight, until its count or its time is up.
// "./ticket.js" is src/auth/ticket.ts bundled (the Worker's own ticket ids).
import { newTicketId } from "./ticket.js";

/** What the gateway's enter route sends for a new arrival: an id just drawn (the room skips its lookup). */
function arrivals(n) {
  return Array.from({ length: n }, () => ({ ticketId: newTicketId(), fresh: true }));
}

/**
 * Calls `once(k)` (k = 0, 1, …) with `inFlight` calls at a time until
 * `calls` were made or `ms` passed; counts each call's items and failures.
 */
async function drive({ calls, inFlight, ms }, once) {
  const started = Date.now();
  let next = 0;
  let made = 0;
  let items = 0;
  let refused = 0;
  let failed = 0;
  let firstError = null;
  const lane = async () => {
    while (next < calls && Date.now() - started < ms) {
      const k = next++;
      try {
        const results = await once(k);
        made += 1;
        items += results.length;
        refused += results.filter((r) => !r.ok).length;
      } catch (e) {
        failed += 1;
        firstError ??= String(e?.stack ?? e);
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return { calls: made, items, refused, failed, firstError, ms: Date.now() - started };
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const q = await request.json();
    const room = env.QUEUE_ROOM.getByName(q.event);
    switch (url.pathname) {
      case "/line": {
        // Setup, not measured: `n` arrivals numbered 1,000 a call; their ticket ids.
        const ids = [];
        for (let done = 0; done < q.n; done += 1000) {
          for (const r of await room.enter(arrivals(Math.min(1000, q.n - done)))) {
            if (!r.ok) return Response.json({ error: r }, { status: 500 });
            ids.push(r.ticketId);
          }
        }
        return Response.json({ ids });
      }
      case "/snapshot":
        return Response.json(await room.snapshot());
      case "/fairness":
        return Response.json(await room.fairness());
      case "/enter":
        // Batching off (perCall 1) sends each arrival alone, as the route does with ROOM_BATCHING=off.
        return Response.json(await drive(q, () => room.enter(arrivals(q.perCall))));
      case "/claim": {
        // Each ticket of q.ids claimed once, q.perCall a call: `claim` alone (batching off), `claimMany` otherwise, as the route does.
        const ids = q.ids;
        const calls = Math.min(q.calls, Math.floor(ids.length / q.perCall));
        return Response.json(
          await drive({ ...q, calls }, async (k) => {
            const batch = ids.slice(k * q.perCall, (k + 1) * q.perCall);
            if (q.perCall === 1) return [await room.claim(batch[0], "desktop")];
            return room.claimMany(batch.map((ticketId) => ({ ticketId, device: "desktop" })));
          }),
        );
      }
      case "/batch":
        // One room call of q.n fresh arrivals (bench/opening.mjs's simulated isolates).
        return Response.json(await room.enter(arrivals(q.n)));
      case "/noop":
        // A call that reads a counter in memory and writes nothing: what any room call costs before the room does anything.
        return Response.json(await drive(q, async () => [{ ok: true, counts: await room.callCounts() }]));
      case "/counts":
        return Response.json(await room.callCounts());
      default:
        return new Response("not found", { status: 404 });
    }
  },
};
