// What the QuotaCounter answers over RPC, and the rows it keeps.
import type { DeviceClass } from "../../domain/device";
import type { ClosedReason } from "../../domain/event";

export type SubmissionStatus = "accepted" | "paid" | "expired_unpaid" | "withdrawn";

export interface SubmitInput {
  kind: "quota" | "eligible";
  /** The admission's jti and expiry (epoch s); null for always-eligible submissions. */
  jti: string | null;
  /** The admission's ticket (its `sub`): a ticket that left can no longer submit. */
  ticketId: string | null;
  exp: number | null;
  queueNumber: number | null;
  accountId: string;
  applicationId: string;
  /** HMACs of the folded identity (src/domain/identity.ts), never the identity itself: with the passport, and without it. */
  identityKey: string;
  personKey: string;
  /** The origin's review that found a person-key match to be a namesake: that key alone is skipped. */
  namesakeReviewId: string | null;
  device: DeviceClass;
  representative: boolean;
  representativeId: string | null;
  eligibility: string | null;
}

export interface Receipt {
  id: string;
  eventId: string;
  kind: "quota" | "eligible";
  /** 1…quota for the line's submissions; null for always-eligible ones. */
  rank: number | null;
  quota: number;
  status: SubmissionStatus;
  acceptedAt: number;
  paymentDueAt: number;
  paidAt: number | null;
  /** The origin's payment reference, once paid (null for payments recorded before references were kept). */
  paymentReference: string | null;
}

export type SubmitResult =
  | { ok: true; replay: boolean; receipt: Receipt }
  | { ok: false; reason: "duplicate"; firstReceiptId: string; by: "account" | "identity" | "person" }
  | { ok: false; reason: "admission_used" | "device_not_allowed" | "quota_reached" | "closed_by_operator" | "admission_expired" | "admission_revoked" | "unknown_event" };

/** Who an admission is used for: the first pair it is used with is the only one it serves. */
export interface AdmissionUse {
  accountId: string;
  applicationId: string;
}

export interface CounterStats {
  quota: number;
  accepted: number;
  eligible: number;
  paid: number;
  refusedDuplicates: number;
  refusedDevices: number;
  refusedQuota: number;
  /** Submissions refused because their admission was bound to another (account, application). */
  refusedAdmissionUsed: number;
  /** Submissions accepted although their person key matched, on the origin's namesake review. */
  namesakeOverrides: number;
  closed: boolean;
  closedReason: ClosedReason | null;
  outbox: { pending: number; failing: number; oldestAttempts: number };
  /** Submissions accepted in the last 60 seconds: the line's (quota) and the always-eligible ones. */
  lastMinute: { accepted: number; eligible: number };
  /** RPC calls this object served: a sliding estimate over the last 60 s, and the total since it began. */
  rpcCalls: { perMinute: number; total: number };
}

export interface CounterRow {
  quota: number;
  unpaidFreesPlace: boolean;
  closedAt: number | null;
  closedReason: ClosedReason | null;
  accepted: number;
  nextRank: number;
  eligible: number;
  refusedDuplicates: number;
  refusedDevices: number;
  refusedQuota: number;
  refusedAdmissionUsed: number;
  namesakeOverrides: number;
}

export interface SubmissionRow {
  [key: string]: SqlStorageValue;
  id: string;
  kind: "quota" | "eligible";
  rank: number | null;
  jti: string | null;
  account_id: string;
  identity_key: string;
  status: SubmissionStatus;
  accepted_at: number;
  payment_due_at: number;
  paid_at: number | null;
  payment_reference: string | null;
}

export type PaymentResult =
  | { ok: true; receipt: Receipt }
  | { ok: false; reason: "not_found" | "payment_too_late" | "withdrawn" }
  /** Paid already under another reference: the one recorded, and when. */
  | { ok: false; reason: "already_paid"; reference: string; paidAt: number };
