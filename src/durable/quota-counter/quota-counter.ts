// QuotaCounter: one Durable Object per event, the quota's single source of
// truth. A submission is decided and recorded in one synchronous SQLite
// block (single use of the admission, device, duplicates, quota), so no
// interleaving can accept more than the quota (invariant 1), give one
// admission two places (4) or accept a duplicate (3). The receipt leaves only
// after the write is durable (output gate); an outbox carries the row to D1
// and the accepted count to the QueueRoom (invariant 2).
import { DurableObject } from "cloudflare:workers";
import type { ClosedReason } from "../../domain/event";
import { deliverToD1, type D1Message } from "../../db/deliver";
import { Faults, type FaultName } from "../shared/faults";
import { Outbox, type RoomMessage } from "../shared/outbox";
import { callsPerMinute, RpcCalls } from "../shared/rpc-calls";
import { ensureSchema } from "../shared/schema";
import { COUNTER_SCHEMA } from "./schema";
import type { AdmissionUse, CounterRow, CounterStats, PaymentResult, Receipt, SubmissionRow, SubmitInput, SubmitResult } from "./types";
import { queueRoom } from "../shared/stubs";

export type { CounterStats, PaymentResult, Receipt, SubmissionStatus, SubmitInput, SubmitResult } from "./types";

const PAYMENT_DAYS = 30;
const DAY_MS = 24 * 3600 * 1000;

export class QuotaCounter extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly outbox: Outbox;
  private readonly faults: Faults;
  private readonly calls: RpcCalls;
  private state: CounterRow | null = null;
  /** RPC calls served since this instance started, by method (tests and benchmarks read it). */
  readonly rpcCalls: Map<string, number>;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.outbox = new Outbox(this.sql);
    this.faults = new Faults(this.sql, env.ENABLE_TEST_SEAMS === "true");
    // Calls per minute in rpc_minutes, and each finished minute's total queued for D1's minute_history
    // (an upsert of absolute values: a repeat is harmless). Nothing is written for a counter with no event.
    this.calls = new RpcCalls({
      addRpcCalls: (minute, calls) => {
        if (!this.state) return false;
        if (calls > 0) {
          this.sql.exec("INSERT INTO rpc_minutes (minute, calls) VALUES (?, ?) ON CONFLICT (minute) DO UPDATE SET calls = calls + excluded.calls", minute, calls);
        }
        return true;
      },
      closeRpcMinute: (minute) => this.queueRpcMinute(minute),
    });
    this.rpcCalls = this.calls.byMethod;
    void ctx.blockConcurrencyWhile(async () => {
      ensureSchema(ctx.storage, COUNTER_SCHEMA);
      this.load();
    });
  }

  private load(): void {
    const row = this.sql
      .exec<{
        quota: number;
        unpaid_frees_place: number;
        closed_at: number | null;
        closed_reason: string | null;
        accepted: number;
        next_rank: number;
        eligible: number;
        refused_duplicates: number;
        refused_devices: number;
        refused_quota: number;
        refused_admission_used: number;
        namesake_overrides: number;
      }>("SELECT * FROM counter WHERE id = 1")
      .toArray()[0];
    this.state = row
      ? {
          quota: row.quota,
          unpaidFreesPlace: row.unpaid_frees_place === 1,
          closedAt: row.closed_at,
          closedReason: row.closed_reason as ClosedReason | null,
          accepted: row.accepted,
          nextRank: row.next_rank,
          eligible: row.eligible,
          refusedDuplicates: row.refused_duplicates,
          refusedDevices: row.refused_devices,
          refusedQuota: row.refused_quota,
          refusedAdmissionUsed: row.refused_admission_used,
          namesakeOverrides: row.namesake_overrides,
        }
      : null;
  }

  private save(): void {
    const s = this.state!;
    this.sql.exec(
      `INSERT INTO counter (id, quota, unpaid_frees_place, closed_at, closed_reason, accepted, next_rank, eligible, refused_duplicates, refused_devices, refused_quota,
         refused_admission_used, namesake_overrides)
       VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET quota = excluded.quota, unpaid_frees_place = excluded.unpaid_frees_place,
         closed_at = excluded.closed_at, closed_reason = excluded.closed_reason, accepted = excluded.accepted,
         next_rank = excluded.next_rank, eligible = excluded.eligible, refused_duplicates = excluded.refused_duplicates,
         refused_devices = excluded.refused_devices, refused_quota = excluded.refused_quota,
         refused_admission_used = excluded.refused_admission_used, namesake_overrides = excluded.namesake_overrides`,
      s.quota,
      s.unpaidFreesPlace ? 1 : 0,
      s.closedAt,
      s.closedReason,
      s.accepted,
      s.nextRank,
      s.eligible,
      s.refusedDuplicates,
      s.refusedDevices,
      s.refusedQuota,
      s.refusedAdmissionUsed,
      s.namesakeOverrides,
    );
  }

  private get eventId(): string {
    const name = this.ctx.id.name;
    if (!name) throw new Error("QuotaCounter must be addressed by name (the event id)");
    return name;
  }

  /** Counts an RPC call (shared/rpc-calls.ts). */
  private counted(method: string): void {
    this.calls.count(method, Date.now());
  }

  /** Queues a finished minute's calls for D1, and wakes the alarm to deliver them. */
  private queueRpcMinute(minute: number): void {
    const now = Date.now();
    const queued = this.ctx.storage.transactionSync(() => {
      const row = this.sql.exec<{ calls: number }>("SELECT calls FROM rpc_minutes WHERE minute = ?", minute).toArray()[0];
      if (!row) return false;
      this.outbox.add({ kind: "minute", payload: { eventId: this.eventId, minute, doCallsCounter: row.calls, updatedAt: now } }, now);
      return true;
    });
    if (queued) {
      this.ctx.storage.setAlarm(now).catch(() => {
        // The next submission sets it again; the row waits in the outbox meanwhile.
      });
    }
  }

  /**
   * The first time it is used, the counter takes the quota and settings from
   * the event's QueueRoom; afterwards the ops API changes them here first.
   */
  private async ensureState(): Promise<CounterRow | null> {
    if (this.state) return this.state;
    const s = await queueRoom(this.env, this.eventId).snapshot();
    if (!s.exists || this.state) return this.state;
    this.state = {
      quota: s.quota.total,
      unpaidFreesPlace: false,
      closedAt: s.quota.closed ? Date.now() : null,
      closedReason: s.closedReason,
      accepted: 0,
      nextRank: 1,
      eligible: 0,
      refusedDuplicates: 0,
      refusedDevices: 0,
      refusedQuota: 0,
      refusedAdmissionUsed: 0,
      namesakeOverrides: 0,
    };
    this.save();
    return this.state;
  }

  // ---------------------------------------------------------------- RPC

  /**
   * Decides a submission and records it in one synchronous block, in this
   * order: single use of the admission (the pair it is bound to gets the
   * original receipt again, any other pair is refused), its revocation and
   * expiry, then, the admission now bound to this pair whatever follows, the
   * device, duplicates by account and identity, and the phase and the quota
   * (with the reason the intake closed). Reaching the quota closes the
   * intake. Always-eligible submissions ("en tout temps") skip the admission
   * and the quota, and are taken after a close too.
   */
  async submit(input: SubmitInput): Promise<SubmitResult> {
    this.counted("submit");
    if (!(await this.ensureState())) return { ok: false, reason: "unknown_event" };
    const now = Date.now();
    const result = this.ctx.storage.transactionSync(() => this.decide(input, now));
    if (result.ok && !result.replay) await this.ctx.storage.setAlarm(Date.now());
    return result;
  }

  private decide(input: SubmitInput, now: number): SubmitResult {
    const s = this.state!;
    if (input.jti !== null) {
      const bound = this.bindingOf(input.jti, input);
      if (bound.to === "other") {
        s.refusedAdmissionUsed += 1;
        this.save();
        return { ok: false, reason: "admission_used" };
      }
      if (bound.to === "same" && bound.submissionId !== null) {
        const prior = this.sql.exec<SubmissionRow>("SELECT * FROM submissions WHERE id = ?", bound.submissionId).one();
        return { ok: true, replay: true, receipt: this.receiptOf(prior) };
      }
      if (this.revoked(input.jti, input.ticketId)) return { ok: false, reason: "admission_revoked" };
      if (input.exp === null || input.exp * 1000 <= now) return { ok: false, reason: "admission_expired" };
      // Spent on this pair from its first attempt, accepted or refused: a refusal (a duplicate, a phone,
      // the quota) cannot be followed by someone else's application with the same admission.
      if (bound.to === "none") this.bind(input.jti, input, null, now);
    }
    if (input.device !== "desktop") {
      s.refusedDevices += 1;
      this.save();
      return { ok: false, reason: "device_not_allowed" };
    }
    // A namesake review skips the person key only: an account or a passport already accepted is never overridden.
    let namesake = false;
    for (const [by, column, value] of [
      ["account", "account_id", input.accountId],
      ["identity", "identity_key", input.identityKey],
      ["person", "person_key", input.personKey],
    ] as const) {
      const first = this.sql
        .exec<{ id: string }>(`SELECT id FROM submissions WHERE ${column} = ? AND status != 'withdrawn' ORDER BY accepted_at LIMIT 1`, value)
        .toArray()[0];
      if (!first) continue;
      if (by === "person" && input.namesakeReviewId !== null) {
        namesake = true;
        continue;
      }
      s.refusedDuplicates += 1;
      this.save();
      return { ok: false, reason: "duplicate", firstReceiptId: first.id, by };
    }
    if (input.kind === "quota" && (s.closedAt !== null || s.accepted >= s.quota)) {
      s.refusedQuota += 1;
      this.save();
      return { ok: false, reason: s.closedAt !== null && s.closedReason === "closed_by_operator" ? "closed_by_operator" : "quota_reached" };
    }

    const id = crypto.randomUUID();
    const rank = input.kind === "quota" ? s.nextRank : null;
    const paymentDueAt = now + PAYMENT_DAYS * DAY_MS;
    this.sql.exec(
      `INSERT INTO submissions (id, kind, rank, jti, ticket_id, account_id, identity_key, person_key, namesake_review_id, status, accepted_at, payment_due_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'accepted', ?, ?)`,
      id,
      input.kind,
      rank,
      input.jti,
      input.ticketId,
      input.accountId,
      input.identityKey,
      input.personKey,
      input.namesakeReviewId,
      now,
      paymentDueAt,
    );
    if (input.jti !== null) this.bind(input.jti, input, id, now);
    if (namesake) s.namesakeOverrides += 1;
    this.outbox.add(
      {
        kind: "submission",
        payload: {
          id,
          eventId: this.eventId,
          rank,
          kind: input.kind,
          accountId: input.accountId,
          applicationId: input.applicationId,
          identityKey: input.identityKey,
          personKey: input.personKey,
          namesakeReviewId: input.namesakeReviewId,
          deviceClass: input.device,
          queueNumber: input.queueNumber,
          admissionJti: input.jti,
          representative: input.representative,
          representativeId: input.representativeId,
          eligibility: input.eligibility,
          status: "accepted",
          acceptedAt: now,
          paymentDueAt,
          paidAt: null,
          updatedAt: now,
        },
      },
      now,
    );
    if (input.kind === "quota") {
      s.accepted += 1;
      s.nextRank += 1;
      this.outbox.add({ kind: "room_accepted", payload: { jti: input.jti, number: input.queueNumber, accepted: s.accepted } }, now);
      if (s.accepted >= s.quota) this.closeNow("quota_reached", now);
    } else {
      s.eligible += 1;
    }
    this.save();
    return {
      ok: true,
      replay: false,
      receipt: { id, eventId: this.eventId, kind: input.kind, rank, quota: s.quota, status: "accepted", acceptedAt: now, paymentDueAt, paidAt: null, paymentReference: null },
    };
  }

  // An admission is bound to the first (accountId, applicationId) it is tried
  // with: the same pair again is a retry (the receipt if it was accepted, the
  // decision made again if it was refused), any other pair someone else's
  // application. Only these two methods read or write the binding, always in
  // the decision's transaction; an accepted submission adds its id.

  /** The pair `jti` is bound to, compared with `use`. A binding from before applications were kept matches on the account alone. */
  private bindingOf(jti: string, use: AdmissionUse): { to: "none" } | { to: "same"; submissionId: string | null } | { to: "other" } {
    const row = this.sql
      .exec<{ account_id: string; application_id: string | null; submission_id: string | null }>(
        "SELECT account_id, application_id, submission_id FROM admission_bindings WHERE jti = ?",
        jti,
      )
      .toArray()[0];
    if (!row) return { to: "none" };
    const same = row.account_id === use.accountId && (row.application_id === null || row.application_id === use.applicationId);
    return same ? { to: "same", submissionId: row.submission_id } : { to: "other" };
  }

  /** Binds `jti` to `use` (first use wins; an existing binding only gains its submission). */
  private bind(jti: string, use: AdmissionUse, submissionId: string | null, now: number): void {
    this.sql.exec(
      `INSERT INTO admission_bindings (jti, account_id, application_id, submission_id, bound_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (jti) DO UPDATE SET submission_id = coalesce(admission_bindings.submission_id, excluded.submission_id)`,
      jti,
      use.accountId,
      use.applicationId,
      submissionId,
      now,
    );
  }

  private receiptOf(row: SubmissionRow): Receipt {
    return {
      id: row.id,
      eventId: this.eventId,
      kind: row.kind,
      rank: row.rank,
      quota: this.state!.quota,
      status: row.status,
      acceptedAt: row.accepted_at,
      paymentDueAt: row.payment_due_at,
      paidAt: row.paid_at,
      paymentReference: row.payment_reference ?? null,
    };
  }

  private closeNow(reason: ClosedReason, now: number): void {
    const s = this.state!;
    if (s.closedAt !== null) return;
    s.closedAt = now;
    s.closedReason = reason;
    this.outbox.add({ kind: "room_close", payload: { reason } }, now);
  }

  /** RPC calls this instance served, by method (benchmarks read it; not counted itself). */
  callCounts(): Record<string, number> {
    return Object.fromEntries(this.rpcCalls);
  }

  /** A submission's receipt, or null. */
  async receipt(id: string): Promise<Receipt | null> {
    this.counted("receipt");
    if (!this.state) return null;
    const row = this.sql.exec<SubmissionRow>("SELECT * FROM submissions WHERE id = ?", id).toArray()[0];
    return row ? this.receiptOf(row) : null;
  }

  /**
   * Marks a submission paid with the origin's reference (the origin's word).
   * The first reference is kept: the same one again answers as the first
   * time; another is refused with the recorded one. A submission paid before
   * references were kept takes the first one given. Refused once expired
   * unpaid or withdrawn.
   */
  async markPaid(id: string, reference: string): Promise<PaymentResult> {
    this.counted("markPaid");
    const now = Date.now();
    const row = this.state ? this.sql.exec<SubmissionRow>("SELECT * FROM submissions WHERE id = ?", id).toArray()[0] : undefined;
    if (!row) return { ok: false, reason: "not_found" };
    if (row.status === "expired_unpaid") return { ok: false, reason: "payment_too_late" };
    if (row.status === "withdrawn") return { ok: false, reason: "withdrawn" };
    if (row.status === "paid" && row.payment_reference !== null) {
      if (row.payment_reference === reference) return { ok: true, receipt: this.receiptOf(row) };
      return { ok: false, reason: "already_paid", reference: row.payment_reference, paidAt: row.paid_at ?? now };
    }
    const paidAt = row.paid_at ?? now;
    this.ctx.storage.transactionSync(() => {
      this.sql.exec("UPDATE submissions SET status = 'paid', paid_at = ?, payment_reference = ? WHERE id = ?", paidAt, reference, id);
      this.outbox.add({ kind: "payment", payload: { submissionId: id, eventId: this.eventId, paidAt, reference } }, now);
      this.outbox.add({ kind: "submission_status", payload: { id, status: "paid", paidAt, paymentReference: reference, updatedAt: now } }, now);
    });
    await this.ctx.storage.setAlarm(Date.now());
    return { ok: true, receipt: this.receiptOf({ ...row, status: "paid", paid_at: paidAt, payment_reference: reference }) };
  }

  /**
   * The daily sweep: submissions not paid within 30 days become expired_unpaid.
   * Whether that frees a quota place is the event's `unpaidFreesPlace` (off by default).
   */
  async expireUnpaid(now = Date.now()): Promise<{ expired: number }> {
    this.counted("expireUnpaid");
    if (!this.state) return { expired: 0 };
    const s = this.state;
    // `now` is the cut-off (the cron's scheduled time); the change itself happens at `at`.
    const at = Date.now();
    const expired = this.ctx.storage.transactionSync(() => {
      const rows = this.sql
        .exec<{ id: string; kind: string }>(
          "UPDATE submissions SET status = 'expired_unpaid' WHERE status = 'accepted' AND payment_due_at <= ? RETURNING id, kind",
          now,
        )
        .toArray();
      for (const row of rows) {
        this.outbox.add({ kind: "submission_status", payload: { id: row.id, status: "expired_unpaid", paidAt: null, updatedAt: at } }, at);
      }
      const freed = rows.filter((r) => r.kind === "quota").length;
      if (s.unpaidFreesPlace && freed > 0) {
        s.accepted -= freed;
        this.outbox.add({ kind: "room_accepted", payload: { jti: null, accepted: s.accepted, absolute: true } }, at);
      }
      this.save();
      return rows.length;
    });
    if (expired > 0) await this.ctx.storage.setAlarm(Date.now());
    return { expired };
  }

  /** Whether the admission, or the ticket it was given to, was revoked. */
  private revoked(jti: string, ticketId: string | null): boolean {
    if (this.sql.exec("SELECT 1 FROM revoked WHERE jti = ?", jti).toArray().length > 0) return true;
    return ticketId !== null && this.sql.exec("SELECT 1 FROM revoked_tickets WHERE ticket_id = ?", ticketId).toArray().length > 0;
  }

  /** Refuses any later submission with this admission (the origin released it). */
  async revoke(jti: string): Promise<{ used: boolean }> {
    this.counted("revoke");
    this.faults.check("revoke");
    const used = this.sql.exec("SELECT 1 FROM submissions WHERE jti = ?", jti).toArray().length > 0;
    if (!used) this.sql.exec("INSERT OR IGNORE INTO revoked (jti, at) VALUES (?, ?)", jti, Date.now());
    return { used };
  }

  /**
   * Refuses any later submission with an admission of this ticket, claimed
   * already or not yet (the candidate left). `used`: whether one was accepted
   * first. One synchronous block: no submission falls between the two.
   */
  async revokeTicket(ticketId: string): Promise<{ used: boolean }> {
    this.counted("revokeTicket");
    this.faults.check("revoke");
    const now = Date.now();
    return this.ctx.storage.transactionSync(() => {
      const used = this.sql.exec("SELECT 1 FROM submissions WHERE ticket_id = ? LIMIT 1", ticketId).toArray().length > 0;
      this.sql.exec("INSERT OR IGNORE INTO revoked_tickets (ticket_id, at) VALUES (?, ?)", ticketId, now);
      return { used };
    });
  }

  /** The kill switch (or the quota reached): no more submissions from the line. */
  async close(reason: ClosedReason): Promise<{ before: boolean }> {
    this.counted("close");
    if (!(await this.ensureState())) return { before: false };
    const before = this.state!.closedAt !== null;
    this.closeNow(reason, Date.now());
    this.save();
    return { before };
  }

  /** Changes the quota; never below what is already accepted. Reaching it closes the intake. */
  async setSettings(settings: { quota?: number; unpaidFreesPlace?: boolean }): Promise<{ ok: true; before: number } | { ok: false; accepted: number }> {
    this.counted("setSettings");
    if (!(await this.ensureState())) return { ok: false, accepted: 0 };
    const s = this.state!;
    const before = s.quota;
    if (settings.quota !== undefined && settings.quota < s.accepted) return { ok: false, accepted: s.accepted };
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      if (settings.quota !== undefined) s.quota = settings.quota;
      if (settings.unpaidFreesPlace !== undefined) s.unpaidFreesPlace = settings.unpaidFreesPlace;
      if (s.accepted >= s.quota) this.closeNow("quota_reached", now);
      this.save();
    });
    await this.ctx.storage.setAlarm(Date.now());
    return { ok: true, before };
  }

  /** Counts and refusals for the operators' metrics; bounded work (indexes, a few rows of rpc_minutes). */
  async stats(): Promise<CounterStats | null> {
    this.counted("stats");
    const s = this.state;
    if (!s) return null;
    const now = Date.now();
    this.calls.flush();
    const paid = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM submissions WHERE status = 'paid'").one().n;
    const recent = this.sql
      .exec<{ accepted: number | null; eligible: number | null }>(
        "SELECT SUM(kind = 'quota') AS accepted, SUM(kind = 'eligible') AS eligible FROM submissions WHERE accepted_at > ?",
        now - 60_000,
      )
      .one();
    const minute = Math.floor(now / 60_000);
    const calls = new Map(
      this.sql
        .exec<{ minute: number; calls: number }>("SELECT minute, calls FROM rpc_minutes WHERE minute IN (?, ?)", minute - 1, minute)
        .toArray()
        .map((row) => [row.minute, row.calls]),
    );
    const total = this.sql.exec<{ n: number | null }>("SELECT SUM(calls) AS n FROM rpc_minutes").one().n ?? 0;
    return {
      quota: s.quota,
      accepted: s.accepted,
      eligible: s.eligible,
      paid,
      refusedDuplicates: s.refusedDuplicates,
      refusedDevices: s.refusedDevices,
      refusedQuota: s.refusedQuota,
      refusedAdmissionUsed: s.refusedAdmissionUsed,
      namesakeOverrides: s.namesakeOverrides,
      closed: s.closedAt !== null,
      closedReason: s.closedReason,
      outbox: this.outbox.stats(),
      lastMinute: { accepted: recent.accepted ?? 0, eligible: recent.eligible ?? 0 },
      rpcCalls: { perMinute: callsPerMinute(now, calls.get(minute) ?? 0, calls.get(minute - 1) ?? 0), total },
    };
  }

  /** Delivers the outbox: rows to D1 (idempotent inserts), the accepted count and closing to the QueueRoom. */
  override async alarm(): Promise<void> {
    this.faults.check("alarm");
    // Two lanes: the room hears about accepted submissions even while D1 is down.
    const now = Date.now();
    await Promise.all([this.outbox.drain("room", now, (messages) => this.deliverToRoom(messages)), this.outbox.drain("d1", now, (messages) => this.deliverToD1(messages))]);
    const next = this.outbox.nextDueAt();
    if (next !== null) await this.ctx.storage.setAlarm(Math.max(next, Date.now()));
  }

  private async deliverToD1(messages: D1Message[]): Promise<void> {
    this.faults.check("d1");
    await deliverToD1(this.env.DB, messages);
    this.faults.check("d1_after");
  }

  private async deliverToRoom(messages: RoomMessage[]): Promise<void> {
    const room = queueRoom(this.env, this.eventId);
    for (const { kind, payload } of messages) {
      this.faults.check("room_sync");
      if (kind === "room_close") {
        await room.close(payload.reason);
        continue;
      }
      // `number` is absent from acceptances queued before it was sent along: the room then finds the jti alone.
      const admission = payload.jti ? { jti: payload.jti, number: payload.number ?? null } : null;
      await room.noteAccepted(admission, payload.accepted, { absolute: payload.absolute === true });
    }
  }

  /** Test seam (ENABLE_TEST_SEAMS only): makes the next `times` deliveries or alarms fail. */
  async armFault(name: FaultName, times: number): Promise<void> {
    this.faults.arm(name, times);
  }
}
