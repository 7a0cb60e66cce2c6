// A ticket's status, the contract's status body: answered from this
// isolate's snapshot of the room for every number above its cursor (a poll's
// hot path, no await), and from the room's word on the one ticket for the few
// numbers at or below it. The positions and phases are domain/'s to decide.
import type { Ticket } from "../auth/ticket";
import type { DeviceClass } from "../domain/device";
import type { RoomSnapshot, TicketStatus } from "../durable/queue-room/queue-room";
import { phaseAt, type Phase } from "../domain/event";
import { iso } from "../domain/time";
import { estimateWaitSeconds, pollAfterMs, pollBeforeOpenMs, positionOf, POLL_MAX_MS, POLL_MIN_MS } from "../domain/position";
import { deviceOfRequest, type AppContext } from "../http/context";
import { ApiError } from "../http/errors";
import { roomSnapshot } from "./snapshot-cache";
import { queueRoom } from "../durable/shared/stubs";

export type CandidateState = "before_open" | "waiting" | "your_turn" | "admitted" | "expired" | "closed" | "not_entered";

export interface StatusBody {
  event: string;
  state: CandidateState;
  number: number | null;
  position: number | null;
  ahead: number | null;
  servingNumber: number;
  waitingCount: number;
  estimatedWaitSeconds: number | null;
  opensAt: string | null;
  admissionExpiresAt: string | null;
  /** your_turn: the instant the call lapses if not claimed. */
  claimDeadline: string | null;
  quota: { total: number; accepted: number; closed: boolean };
  /** When to poll next; null once nothing more can change (closed, expired, submitted). */
  pollAfterMs: number | null;
  paused: boolean;
  closedReason: RoomSnapshot["closedReason"];
  /** How the admission ended, once it has: submitted or released by the origin. */
  outcome: "submitted" | "released" | null;
  banner: string | null;
  /** The device class this request shows: phones and tablets are warned that they may not submit. */
  device?: DeviceClass;
  /**
   * The fair opening, when the event has a pre-queue: when it opens, how many
   * wait in it, the published commitment and, for a ticket in it, its public
   * id (to find in the published draw). Null: strict arrival order.
   */
  prequeue: { opensAt: string; count: number; commitment: string; drawn: boolean; publicId: string | null } | null;
  /** Zero bits of the entry puzzle a new arrival must solve now (0: none). */
  powDifficulty: number;
}

/** The room's snapshot, or 404 for an event that does not exist. */
export async function existingRoom(c: AppContext, eventId: string): Promise<RoomSnapshot> {
  const s = await roomSnapshot(c.env, eventId);
  if (!s.exists) throw new ApiError(404, "unknown_event");
  return s;
}

/**
 * The status of a number above the snapshot's cursor, from the snapshot alone
 * (no await: the hot path of polls and enters); null at or below the cursor,
 * where the room must be asked (statusFromRoom). 410 for a number given up.
 */
export function snapshotStatus(c: AppContext, s: RoomSnapshot, number: number, now: number): StatusBody | null {
  const status = statusFromSnapshot(s, number, now);
  if (status === "left") throw new ApiError(410, "ticket_left");
  if (status !== null) status.device = deviceOfRequest(c);
  return status;
}

/** The status of a ticket at or below the snapshot's cursor: the room's word on it. */
export async function statusFromRoom(c: AppContext, s: RoomSnapshot, ticket: Ticket, now: number): Promise<StatusBody> {
  const t = await queueRoom(c.env, ticket.event).ticketStatus(ticket.ticketId);
  if (!t.found) throw new ApiError(401, "bad_ticket");
  const status = statusFromTicket(s, t, now);
  if (status === "left") throw new ApiError(410, "ticket_left");
  return { ...status, device: deviceOfRequest(c) };
}

/** The status of a ticket: from the snapshot when it is above the cursor, else from the room. */
export async function ticketStatus(c: AppContext, s: RoomSnapshot, ticket: Ticket, now = Date.now()): Promise<StatusBody> {
  return snapshotStatus(c, s, ticket.number, now) ?? statusFromRoom(c, s, ticket, now);
}

/** The phase now, from a snapshot up to a second old (the opening instant is exact). */
export function phaseOf(s: RoomSnapshot, now: number): Phase {
  return s.phase === "closed" ? "closed" : phaseAt(s.opensAt, null, now);
}

/** The pre-queue as every status shows it (a ticket's own public id aside). */
function prequeueOf(s: RoomSnapshot): StatusBody["prequeue"] {
  return s.prequeue && { opensAt: iso(s.prequeue.opensAt), count: s.prequeue.count, commitment: s.prequeue.commitment, drawn: s.prequeue.shuffled, publicId: null };
}

function base(s: RoomSnapshot, now: number): StatusBody {
  const phase = phaseOf(s, now);
  return {
    event: s.event,
    state: phase === "closed" ? "closed" : phase === "before_open" ? "before_open" : "not_entered",
    number: null,
    position: null,
    ahead: null,
    servingNumber: s.servingNumber,
    waitingCount: s.waitingCount,
    estimatedWaitSeconds: null,
    opensAt: iso(s.opensAt),
    admissionExpiresAt: null,
    claimDeadline: null,
    quota: s.quota,
    pollAfterMs: phase === "closed" ? null : phase === "before_open" ? pollBeforeOpenMs(s.opensAt, now) : POLL_MAX_MS,
    paused: s.paused,
    closedReason: s.closedReason,
    outcome: null,
    banner: s.banner,
    prequeue: prequeueOf(s),
    powDifficulty: s.powDifficulty,
  };
}

/** The room as a person without a number sees it. */
export function roomStatus(s: RoomSnapshot, now: number): StatusBody {
  const body = base(s, now);
  if (body.state === "not_entered") body.estimatedWaitSeconds = estimateWaitSeconds(s.waitingCount + 1, s);
  return body;
}

/** base() with a waiting number's fields filled in (set on base's fresh object, not copied: every poll comes here). */
function waiting(s: RoomSnapshot, now: number, number: number, position: number): StatusBody {
  const body = base(s, now);
  body.state = "waiting";
  body.number = number;
  body.position = position;
  body.ahead = position - 1;
  // A number just handed out may be newer than the snapshot.
  body.waitingCount = Math.max(s.waitingCount, position);
  body.estimatedWaitSeconds = estimateWaitSeconds(position, s);
  body.pollAfterMs = pollAfterMs(position);
  return body;
}

/**
 * Where `number` stands in the snapshot: its position while it waits above
 * the cursor, "left" for a number given up, "closed" once the event is, and
 * null at or below the cursor (the room must be asked).
 */
function placeOf(s: RoomSnapshot, number: number, now: number): number | "left" | "closed" | null {
  if (phaseOf(s, now) === "closed") return "closed";
  if (number <= s.servingNumber) return null;
  if (binaryHas(s.skipped, number)) return "left";
  return positionOf(number, s.servingNumber, s.skipped, s.requeuedCount);
}

/**
 * A number above the cursor, answered from the snapshot alone; null when the
 * room must be asked (at or below the cursor) and "left" for a number given up.
 */
export function statusFromSnapshot(s: RoomSnapshot, number: number, now: number): StatusBody | "left" | null {
  const place = placeOf(s, number, now);
  if (place === "closed") return { ...base(s, now), number: number || null };
  if (place === null || place === "left") return place;
  return waiting(s, now, number, place);
}

/**
 * The JSON text of statusFromSnapshot's answer with `device`, for a waiting
 * number (every poll's case and every new arrival's); null for anything
 * else, which the caller answers from the object. The same text as
 * JSON.stringify of that object (test/domain.test.ts), written from pieces
 * made once per snapshot: under a tenth of the cost of building the object and
 * serializing it, on the path every poll takes (bench/HISTORY.md).
 */
export function waitingJson(s: RoomSnapshot, number: number, now: number, device: DeviceClass): string | null {
  const position = placeOf(s, number, now);
  if (typeof position !== "number") return null;
  const p = piecesOf(s);
  return (
    `${p.head}${number},"position":${position},"ahead":${position - 1},"servingNumber":${s.servingNumber},"waitingCount":${Math.max(s.waitingCount, position)}` +
    `,"estimatedWaitSeconds":${jsonNumber(estimateWaitSeconds(position, s))}${p.middle}${jsonNumber(pollAfterMs(position))}${p.tail}"${device}"}`
  );
}

/** A number as JSON writes it (null where it is not finite). */
const jsonNumber = (v: number): string => (Number.isFinite(v) ? String(v) : "null");

interface Pieces {
  head: string;
  middle: string;
  tail: string;
}

/** waitingJson's text around its per-ticket numbers, per snapshot (snapshots are replaced, never changed; one per event). */
const piecesBySnapshot = new WeakMap<RoomSnapshot, Pieces>();

function piecesOf(s: RoomSnapshot): Pieces {
  let p = piecesBySnapshot.get(s);
  if (!p) {
    p = {
      head: `{"event":${JSON.stringify(s.event)},"state":"waiting","number":`,
      middle: `,"opensAt":${JSON.stringify(iso(s.opensAt))},"admissionExpiresAt":null,"claimDeadline":null,"quota":${JSON.stringify(s.quota)},"pollAfterMs":`,
      tail:
        `,"paused":${s.paused},"closedReason":${JSON.stringify(s.closedReason)},"outcome":null,"banner":${JSON.stringify(s.banner)}` +
        `,"prequeue":${JSON.stringify(prequeueOf(s))},"powDifficulty":${JSON.stringify(s.powDifficulty)},"device":`,
    };
    piecesBySnapshot.set(s, p);
  }
  return p;
}

/** A number at or below the cursor, from the room's word on the ticket. */
export function statusFromTicket(s: RoomSnapshot, t: TicketStatus, now: number): StatusBody | "left" {
  if (t.prequeue) {
    // In the pre-queue: no number until the draw at the opening.
    const body = base(s, now);
    return { ...body, number: null, pollAfterMs: pollBeforeOpenMs(s.opensAt, now), prequeue: body.prequeue && { ...body.prequeue, publicId: t.prequeue.publicId } };
  }
  const body = { ...base(s, now), number: t.number };
  switch (t.state) {
    case "left":
      return "left";
    case "used":
      return { ...body, state: "admitted", outcome: "submitted", pollAfterMs: null };
    case "released":
      return { ...body, state: "admitted", outcome: "released", pollAfterMs: null };
    default:
      break;
  }
  if (body.state === "closed") return body;
  switch (t.state) {
    case "waiting":
    case "requeued":
    case "no_show": {
      const position = t.requeuedAhead + 1;
      const body = waiting(s, now, t.number, position);
      body.pollAfterMs = POLL_MIN_MS;
      return body;
    }
    case "called":
      return { ...body, state: "your_turn", position: 0, ahead: 0, claimDeadline: iso(t.deadline), pollAfterMs: POLL_MIN_MS };
    case "admitted":
      return { ...body, state: "admitted", position: 0, ahead: 0, admissionExpiresAt: iso(t.deadline), pollAfterMs: POLL_MAX_MS };
    default:
      return { ...body, state: "expired", position: null, pollAfterMs: null };
  }
}

function binaryHas(sorted: readonly number[], value: number): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = sorted[mid]!;
    if (v === value) return true;
    if (v < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}
