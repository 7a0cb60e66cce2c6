// The candidate API: take a number, follow it, claim the turn, give it up.
import { Hono } from "hono";
import * as z from "zod";
import { ADMISSION_COOKIE, signAdmissions } from "../auth/admission";
import { newTicketId, signTicket, TICKET_COOKIE, type Ticket } from "../auth/ticket";
import { batched } from "../line/batch";
import type { Arrival, ClaimResult, RoomSnapshot } from "../durable/queue-room/queue-room";
import type { DeviceClass } from "../domain/device";
import { iso } from "../domain/time";
import { ApiError } from "../http/errors";
import { audienceOf, deviceOfRequest, eventIdOf, issuerOf, touchPointsOf, type AppContext, type AppEnv } from "../http/context";
import { cookieHeader, cookieValue } from "../http/cookies";
import { sameOrigin } from "../http/security";
import { countArrival } from "../http/rate-limit";
import { challengeFor, proveArrival, type ArrivalExtras } from "../line/arrival-proof";
import { cachedSnapshot } from "../line/snapshot-cache";
import { verifyTicketCached } from "../line/ticket-cache";
import { existingRoom, phaseOf, snapshotStatus, statusFromRoom, waitingJson } from "../line/status";
import { jsonBody } from "../http/body";
import { queueRoom, quotaCounter } from "../durable/shared/stubs";

const TICKET_MAX_AGE_S = 3 * 24 * 3600;

/**
 * What a client may send when entering or claiming. The room page sends a
 * body only with an entry proof; its touch points go in a header
 * (TOUCH_POINTS_HEADER), which the body's field overrides.
 */
export const ClientBody = z
  .object({
    /** `navigator.maxTouchPoints`: tells an iPad that presents itself as a Mac. */
    touchPoints: z.number().int().min(0).max(256).optional(),
    /** The solved entry puzzle, when the event asks for one (GET /guichet/api/challenge). */
    pow: z.object({ challenge: z.string().max(300), nonce: z.string().max(20) }).strict().optional(),
    /** A Cloudflare Turnstile token, where Turnstile is configured. */
    turnstile: z.string().max(2048).optional(),
  })
  .strict();

export const queue = new Hono<AppEnv>();

// The room page's route (src/routes/room.ts) imports these from here.

/** The request's ticket for this event: 401 no_ticket or bad_ticket otherwise. `once`: a route a ticket takes once (see verifyTicketCached). */
function requireTicket(c: AppContext, eventId: string, { once = false } = {}): Ticket {
  const raw = cookieValue(c, TICKET_COOKIE);
  if (!raw) throw new ApiError(401, "no_ticket");
  const ticket = verifyTicketCached(c.env.TICKET_HMAC_KEY, raw, { remember: !once });
  if (!ticket || ticket.event !== eventId) throw new ApiError(401, "bad_ticket");
  return ticket;
}

/** Whether enters and claims are batched (src/line/batch.ts); only the workers test pool turns it off. */
function batching(c: AppContext): boolean {
  return c.env.ROOM_BATCHING !== "off";
}

function keepAlive(c: AppContext) {
  return (p: Promise<unknown>) => c.executionCtx.waitUntil(p);
}

function closedError(s: RoomSnapshot): ApiError {
  return new ApiError(410, "closed", { closedReason: s.closedReason });
}

function notOpenError(opensAt: number | null, now: number): ApiError {
  const headers: Record<string, string> = {};
  if (opensAt !== null) headers["Retry-After"] = String(Math.max(1, Math.ceil((opensAt - now) / 1000)));
  return new ApiError(409, "not_open", { opensAt: iso(opensAt) }, headers);
}

queue.post("/enter", sameOrigin, jsonBody(ClientBody, { maxBytes: 4096, optional: true }), async (c) => {
  const eventId = eventIdOf(c);
  const now = Date.now();
  // Under load the snapshot is almost always fresh: no await for it then.
  const s = cachedSnapshot(eventId, now) ?? (await existingRoom(c, eventId));
  if (!s.exists) throw new ApiError(404, "unknown_event");
  const phase = phaseOf(s, now);
  if (phase === "closed") throw closedError(s);
  if (phase === "before_open" && !prequeueOpen(s, now)) throw notOpenError(s.opensAt, now);

  const raw = cookieValue(c, TICKET_COOKIE);
  const held = raw ? verifyTicketCached(c.env.TICKET_HMAC_KEY, raw, { remember: false }) : null;
  const returning = held !== null && held.event === eventId;
  // Only a new arrival proves anything (src/line/arrival-proof.ts): a reload or a second tab keeps its place
  // as is, and counts against its address's ceiling only. Nothing is awaited where there is nothing to ask.
  let extras: ArrivalExtras = {};
  if (returning) {
    const counted = countArrival(c, now);
    if (counted instanceof Promise) await counted;
  } else {
    const proved = proveArrival(c, s, c.req.valid("json"), now);
    extras = proved instanceof Promise ? await proved : proved;
  }
  // `fresh`: an id just drawn, not yet in the line (the room skips its lookup).
  const arrival: Arrival = returning ? { ticketId: held.ticketId } : { ticketId: newTicketId(), ...extras, fresh: true };
  // Concurrent enters in this isolate share one room call (src/line/batch.ts).
  const send = (arrivals: Arrival[]) => queueRoom(c.env, eventId).enter(arrivals);
  const [result] = batching(c) ? [await batched(`enter:${eventId}`, arrival, send, keepAlive(c))] : await send([arrival]);
  if (!result) throw new Error("enter returned no result");
  if (!result.ok) {
    if (result.reason === "closed") throw closedError(s);
    if (result.reason === "not_open") throw notOpenError(result.opensAt, now);
    if (result.reason === "pow_reused") throw new ApiError(403, "pow_reused");
    throw new ApiError(404, "unknown_event");
  }
  const ticket: Ticket = { event: eventId, ticketId: result.ticketId, number: result.number };
  const code = result.created ? 201 : 200;
  // A new number is above the cursor: the snapshot answers, without an await.
  const waiting = waitingJson(s, ticket.number, now, deviceOfRequest(c));
  if (waiting !== null) return jsonText(waiting, code, ticketCookie(c, ticket));
  const status = snapshotStatus(c, s, ticket.number, now) ?? (await statusFromRoom(c, s, ticket, now));
  return jsonWithCookie(status, code, ticketCookie(c, ticket));
});

/** Whether new arrivals join the pre-queue now (after it opens, before the draw). */
function prequeueOpen(s: RoomSnapshot, now: number): boolean {
  return s.prequeue !== null && !s.prequeue.shuffled && now >= s.prequeue.opensAt;
}

function ticketCookie(c: AppContext, ticket: Ticket): string {
  return cookieHeader(c, TICKET_COOKIE, signTicket(c.env.TICKET_HMAC_KEY, ticket), TICKET_MAX_AGE_S);
}

/**
 * A JSON answer that sets one cookie, with its own headers: hono's prepared
 * headers (`c.header`) would be a second Headers object holding the cookie,
 * copied into the response's (for a claim, a ~450-character token).
 */
function jsonWithCookie(body: unknown, status: number, cookie: string): Response {
  return jsonText(JSON.stringify(body), status, cookie);
}

/** A JSON answer already written as text (src/line/status.ts's waitingJson), with one cookie or none. */
function jsonText(text: string, status: number, cookie?: string): Response {
  const headers: Record<string, string> = cookie === undefined ? { "Content-Type": "application/json" } : { "Content-Type": "application/json", "Set-Cookie": cookie };
  return new Response(text, { status, headers });
}

/** A fresh entry puzzle for a new arrival, at the difficulty asked of its address (difficulty 0: none is needed). Counted as an arrival. */
queue.get("/challenge", async (c) => {
  const eventId = eventIdOf(c);
  const s = await existingRoom(c, eventId);
  const challenge = await challengeFor(c, s, Date.now());
  return c.json(challenge ?? { challenge: null, difficulty: 0, expiresAt: null });
});

/** The pre-queue's draw, for anyone to check: commitment before, seed and every number after. */
queue.get("/fairness", async (c) => {
  const eventId = eventIdOf(c);
  await existingRoom(c, eventId);
  const record = await queueRoom(c.env, eventId).fairness();
  c.header("Cache-Control", record.seed ? "public, max-age=300" : "public, max-age=10");
  c.header("Access-Control-Allow-Origin", "*");
  return c.json({
    ...record,
    prequeueOpensAt: iso(record.prequeueOpensAt),
    opensAt: iso(record.opensAt),
    committedAt: iso(record.committedAt),
    shuffledAt: iso(record.shuffledAt),
    algorithm:
      "commitment = SHA-256(seed bytes); numbers 1..count go to the public ids sorted by HMAC-SHA256(key = seed bytes, message = publicId) ascending, ties by publicId; publicId = first 32 hex of SHA-256('guichet-prequeue|' + ticket id)",
  });
});

queue.get("/status", async (c) => {
  const eventId = eventIdOf(c);
  // Hot path (most polls): a cookie this isolate verified before (no HMAC), a
  // fresh snapshot and a number above the cursor answer without an await.
  const ticket = requireTicket(c, eventId);
  const now = Date.now();
  const s = cachedSnapshot(eventId, now) ?? (await existingRoom(c, eventId));
  if (!s.exists) throw new ApiError(404, "unknown_event");
  const waiting = waitingJson(s, ticket.number, now, deviceOfRequest(c));
  if (waiting !== null) return jsonText(waiting, 200);
  const fast = snapshotStatus(c, s, ticket.number, now);
  if (fast) return c.json(fast);
  const status = await statusFromRoom(c, s, ticket, now);
  // A pre-queue ticket learns its number from the draw: the cookie carries it from now on.
  if (ticket.number === 0 && status.number !== null && status.number > 0) return jsonWithCookie(status, 200, ticketCookie(c, { ...ticket, number: status.number }));
  return c.json(status);
});

/** A claim as it goes into a batch: the room needs the ticket and device; the token, the issuer. */
interface ClaimItem {
  ticketId: string;
  device: DeviceClass;
  issuer: string;
}

/** The status of each refusal of a claim (its code is the room's reason): not yet 409, a foreign ticket 401, a turn that is over 410. */
const CLAIM_REFUSED: Record<Extract<ClaimResult, { ok: false }>["reason"], number> = {
  not_your_turn: 409,
  bad_ticket: 401,
  unknown_event: 404,
  turn_lost: 410,
  closed: 410,
  ticket_left: 410,
};

/** The room's answer to a claim, with the admission signed when it is one. */
type SignedClaim = ClaimResult & { token?: string };

/**
 * Signs every admission among the room's `results` for `items`, one after the
 * other, where the batch's sender has them: ES256 signing walks large
 * precomputed tables, which stay in the processor's cache across consecutive
 * signatures but not when each is interleaved with a whole request's work.
 */
async function signClaims(env: Env, eventId: string, items: ClaimItem[], results: ClaimResult[]): Promise<SignedClaim[]> {
  const admissions = results.flatMap((r, i) =>
    r.ok ? [{ claims: { sub: r.ticketId, jti: r.jti, iat: r.iat, exp: r.exp, evt: eventId, num: r.number, dev: r.device }, issuer: items[i]!.issuer }] : [],
  );
  if (admissions.length === 0) return results;
  const tokens = await signAdmissions(env, admissions, audienceOf(env));
  // One token per admission, in the order of the results that are admissions (the results are this call's own copies).
  let k = 0;
  for (const r of results as SignedClaim[]) if (r.ok) r.token = tokens[k++]!;
  return results;
}

// No per-address count: a claim needs a called ticket, which is scarce already.
queue.post("/claim", sameOrigin, jsonBody(ClientBody, { maxBytes: 1024, optional: true }), async (c) => {
  const eventId = eventIdOf(c);
  const ticket = requireTicket(c, eventId, { once: true });
  const touchPoints = touchPointsOf(c, c.req.valid("json").touchPoints);
  const item: ClaimItem = { ticketId: ticket.ticketId, device: deviceOfRequest(c, touchPoints), issuer: issuerOf(c) };
  // Concurrent claims in this isolate share one room call (src/line/batch.ts): the stub is the batch sender's to get.
  const room = () => queueRoom(c.env, eventId);
  const send = async (items: ClaimItem[]) => signClaims(c.env, eventId, items, await room().claimMany(items.map(({ ticketId, device }) => ({ ticketId, device }))));
  const [result] = batching(c) ? [await batched(`claim:${eventId}`, item, send, keepAlive(c))] : await signClaims(c.env, eventId, [item], [await room().claim(item.ticketId, item.device)]);
  if (!result) throw new Error("claim returned no result");
  if (!result.ok) throw new ApiError(CLAIM_REFUSED[result.reason], result.reason);
  const token = result.token!;
  const maxAge = Math.max(1, result.exp - Math.floor(Date.now() / 1000));
  return jsonWithCookie({ admission: { token, expiresAt: expiryIso(result.exp) }, redirect: c.env.LOGIN_PATH || "/connexion" }, 200, cookieHeader(c, ADMISSION_COOKIE, token, maxAge));
});

let lastExpiry = { exp: 0, iso: "" };

/**
 * An admission's expiry (seconds) as ISO text. A batch's admissions share
 * theirs, so the last one is kept: a Date made and formatted per claim is
 * about 2% of a claim's CPU.
 */
function expiryIso(exp: number): string {
  if (lastExpiry.exp !== exp) lastExpiry = { exp, iso: iso(exp * 1000) };
  return lastExpiry.iso;
}

/**
 * Gives up the number. The ticket's admissions are revoked in the counter
 * before the room frees the place (as admissions/release does): a submission
 * racing the leave is counted before it (`submitted: true`) or refused after.
 */
queue.post("/leave", sameOrigin, async (c) => {
  const eventId = eventIdOf(c);
  const ticket = requireTicket(c, eventId);
  const { used } = await quotaCounter(c.env, eventId).revokeTicket(ticket.ticketId);
  await queueRoom(c.env, eventId).leave(ticket.ticketId);
  c.header("Set-Cookie", cookieHeader(c, TICKET_COOKIE, "", 0), { append: true });
  c.header("Set-Cookie", cookieHeader(c, ADMISSION_COOKIE, "", 0), { append: true });
  return c.json({ left: true, number: ticket.number, submitted: used });
});
