// What the QueueRoom answers over RPC, and the rows its pieces read.
import type { DeviceClass } from "../../domain/device";
import type { ClosedReason, EventConfig, Phase, RoutePolicy } from "../../domain/event";
import type { ChangeReason } from "../../domain/settings";

export type TicketState =
  | "waiting" // numbered, not yet called
  | "requeued" // a no-show who came back: called before higher numbers
  | "called" // called, not yet claimed; holds a place until the grace period ends
  | "admitted" // claimed: an admission token is out; holds a place until it expires
  | "used" // submitted (told by the QuotaCounter)
  | "released" // ended early by the origin
  | "expired" // admitted, but the admission time ran out
  | "no_show" // called, not claimed within the grace period
  | "left"; // gave up the number

export const TICKET_STATES: readonly TicketState[] = ["waiting", "requeued", "called", "admitted", "used", "released", "expired", "no_show", "left"];

// ---------------------------------------------------------------- answers

export interface RoomSnapshot {
  exists: true;
  event: string;
  phase: Phase;
  opensAt: number | null;
  closedReason: ClosedReason | null;
  paused: boolean;
  nextNumber: number;
  servingNumber: number;
  waitingCount: number;
  requeuedCount: number;
  activeCount: number;
  callsLastMinute: number;
  quota: { total: number; accepted: number; closed: boolean };
  admissionSeconds: number;
  noShowGraceSeconds: number;
  maxActive: number;
  admitPerMinute: number;
  overbook: number;
  banner: string | null;
  routePolicy: RoutePolicy;
  /** Sorted numbers above the cursor whose holders left. */
  skipped: number[];
  /** The fair opening, when the event has a pre-queue: null keeps strict arrival order. */
  prequeue: { opensAt: number; count: number; commitment: string; shuffled: boolean } | null;
  /** Zero bits the entry puzzle needs now (0: no puzzle). */
  powDifficulty: number;
  configVersion: number;
  generatedAt: number;
}

export type Snapshot = RoomSnapshot | { exists: false; event: string };

/** What anyone can check about the pre-queue's draw (GET /guichet/api/fairness). */
export interface FairnessRecord {
  event: string;
  mode: "fifo" | "prequeue";
  prequeueOpensAt: number | null;
  opensAt: number | null;
  commitment: string | null;
  committedAt: number | null;
  /** Revealed once the draw is done. */
  seed: string | null;
  shuffledAt: number | null;
  shuffleMs: number | null;
  /** After the draw: every pre-queue ticket's public id and number, by public id. Before: just the count. */
  count: number;
  tickets: { publicId: string; number: number }[] | null;
}

/** Who changes the event: the Worker vars (the default event), an operator, or a test. */
export type ConfigSource = "vars" | "ops" | "test";

export interface ConfigureOptions {
  /** "ops" unless told. */
  source?: "ops" | "test";
  /** The operator, written to the audit log with the change; none: no audit row. */
  actor?: string | null;
  /** Only validate: nothing is changed. */
  dryRun?: boolean;
  /**
   * The operator typed the event's id: a change that closes the intake (a
   * quota at the accepted count) may go through, and closes the room with it.
   */
  confirmClose?: boolean;
  /** The accepted count as the QuotaCounter just said (the room's own may lag it): the larger is used. */
  accepted?: number;
}

export type ConfigureResult =
  | { ok: true; before: EventConfig | null; after: EventConfig; closed: boolean }
  | {
      ok: false;
      reason: "invalid_change" | "confirmation_required";
      field: string;
      /** Why, as a stable code; `detail` says it in English. */
      cause: ChangeReason;
      detail: string;
      values?: Record<string, number>;
    };

/** A change an operator asked for and was refused, for the audit log. */
export interface RefusedChange {
  actor: string;
  /** What was asked (the request's body, when it was a JSON object). */
  asked: Record<string, unknown> | null;
  field: string;
  cause: string;
  detail: string;
}

/** How a request to the origin failed, as the proxy saw it: no answer in time, no connection, or a 5xx answer. */
export const ORIGIN_FAILURE_KINDS = ["timeout", "unreachable", "server_error"] as const;
export type OriginFailureKind = (typeof ORIGIN_FAILURE_KINDS)[number];

/** No failure of any kind: where counts start. */
export function noOriginFailures(): Record<OriginFailureKind, number> {
  return Object.fromEntries(ORIGIN_FAILURE_KINDS.map((k) => [k, 0])) as Record<OriginFailureKind, number>;
}

/** Origin failures counted since the event began, by kind, and when the last one was counted (epoch ms). */
export interface OriginFailures {
  byKind: Record<OriginFailureKind, number>;
  lastAt: number | null;
}

/**
 * What the room knows for the operators' metrics (the ops API adds the
 * QuotaCounter's side). A field added here reaches the JSON metrics through
 * composeMetrics (src/ops/metrics.ts) and Prometheus through renderPrometheus.
 */
export interface RoomMetrics {
  event: string;
  generatedAt: number;
  phase: Phase;
  paused: boolean;
  opensAt: number | null;
  closedAt: number | null;
  closedReason: ClosedReason | null;
  configVersion: number;
  settings: { quota: number; maxActive: number; admitPerMinute: number; overbook: number; admissionSeconds: number; noShowGraceSeconds: number };
  /** Numbers handed out (the last number), and the highest number called. */
  entered: number;
  servingNumber: number;
  /**
   * Tickets by state now; `waiting` includes the returning no-shows
   * (`requeued`). Once the intake is closed nobody waits any more: `waiting`
   * and `requeued` are 0, and the numbers left uncalled are `waitingAtClose`.
   */
  tickets: { waiting: number; requeued: number; called: number; admitted: number; active: number; used: number; released: number; expired: number; noShows: number; left: number };
  /** Numbers still waiting (returning no-shows included) when the intake closed; null while it is not closed. */
  waitingAtClose: number | null;
  /** Calls that lapsed unclaimed, ever (a no-show who came back still counts once per lapse). */
  noShowLapses: number;
  /** Events in the last 60 seconds. */
  lastMinute: { arrivals: number; calls: number };
  /** Wait from entering to being called, over every ticket called so far (nearest-rank percentiles). */
  wait: { called: number; p50Seconds: number | null; p95Seconds: number | null };
  oldestWaiting: { number: number; waitingSeconds: number } | null;
  /** The accepted count as the QuotaCounter last told the room. */
  accepted: number;
  /** RPC calls this object served: a sliding estimate over the last 60 s, and the total since the event began. */
  rpcCalls: { perMinute: number; total: number };
  outboxPending: number;
  /** Outbox rows whose delivery failed at least once and are still waiting (D1 down, …). */
  outboxFailing: number;
  /** The origin's failures the proxy reported (for the default event, the one the proxy fronts). */
  originFailures: OriginFailures;
  /** The addresses that took the most numbers in the last minute paying more than the event's puzzle (addresses.ts). */
  busiestAddresses: BusyAddress[];
}

/** One busy address as the operators see it: its tag (an HMAC, never the address), its numbers in its last minute, the bits its last one paid. */
export interface BusyAddress {
  address: string;
  arrivals: number;
  difficulty: number;
}

/** One arrival: its ticket id and, when the entry needed a puzzle, the solved challenge's id (single use). */
export interface Arrival {
  ticketId: string;
  powId?: string;
  /** An id the Worker has just drawn (its millisecond and 80 random bits): it cannot be in the line yet, so its lookup is skipped. */
  fresh?: boolean;
  /** A busy address (its HMAC tag, never the address) that paid more than the event's puzzle, and the bits it paid: shown to the operators. */
  address?: string;
  difficulty?: number;
}

export type EnterResult =
  | { ok: true; ticketId: string; number: number; created: boolean }
  | { ok: true; ticketId: string; number: 0; created: boolean; prequeue: { publicId: string } }
  | { ok: false; reason: "not_open" | "closed" | "unknown_event" | "pow_reused"; opensAt: number | null };

export type ClaimResult =
  | { ok: true; ticketId: string; number: number; jti: string; iat: number; exp: number; device: DeviceClass }
  | { ok: false; reason: "not_your_turn" | "turn_lost" | "closed" | "ticket_left" | "bad_ticket" | "unknown_event" };

export interface TicketStatus {
  found: boolean;
  state: TicketState | null;
  number: number;
  /** Claim deadline (called) or admission expiry (admitted), epoch ms. */
  deadline: number | null;
  /** For a returning no-show: how many returning no-shows are ahead. */
  requeuedAhead: number;
  /** A ticket in the pre-queue, before the draw: its public id (number is 0 until then). */
  prequeue?: { publicId: string };
}

/** An admission as the origin and the QuotaCounter know it: its jti and queue number (null: not known). */
export interface Admission {
  jti: string;
  number: number | null;
}

// ---------------------------------------------------------------- rows and state

/** The room table's one row, kept in memory (RoomState.room). */
export interface RoomRow {
  config: EventConfig;
  configVersion: number;
  nextNumber: number;
  servingNumber: number;
  paused: boolean;
  closedAt: number | null;
  closedReason: ClosedReason | null;
  accepted: number;
  /** The test seam's clock offset (advanceClock); 0 in production. */
  clockOffsetMs: number;
}

export interface TicketRow {
  [key: string]: SqlStorageValue;
  number: number;
  ticket_id: string;
  entered_at: number;
  state: TicketState;
  called_at: number | null;
  deadline: number | null;
  jti: string | null;
  device: string | null;
  requeued_at: number | null;
  ended_at: number | null;
}

/** The columns a claim reads. */
export type ClaimRow = Pick<TicketRow, "number" | "ticket_id" | "state" | "deadline" | "jti" | "device">;

/** The per-minute counts that events add to (History.bump). */
export type MinuteCount = "arrivals" | "calls" | "admissions" | "used" | "expired" | "no_shows" | "left_count" | "rpc_calls";

export interface MinuteRow {
  [key: string]: SqlStorageValue;
  minute: number;
  arrivals: number;
  calls: number;
  admissions: number;
  used: number;
  expired: number;
  no_shows: number;
  left_count: number;
  rpc_calls: number;
  waiting: number | null;
  active: number | null;
}
