// The origin's side of a submission (server to server, `Authorization: Bearer
// ORIGIN_API_KEY`): submit, look up a receipt, record a payment, release an
// admission early, and submit for always-eligible candidates.
import { Hono, type MiddlewareHandler } from "hono";
import * as z from "zod";
import { AdmissionError, verifyAdmission, type AdmissionClaims } from "../auth/admission";
import { bearerOf, sameSecret } from "../auth/bearer";
import { identityKeys } from "../auth/identity-keys";
import { receiptExpiry, receiptKeys, receiptToken, verifyReceiptToken, type ReceiptKeys } from "../auth/receipt";
import { classifyDevice, stricterDevice, type DeviceClass } from "../domain/device";
import { iso } from "../domain/time";
import type { Receipt, SubmitInput, SubmitResult } from "../durable/quota-counter/quota-counter";
import { ApiError } from "../http/errors";
import { audienceOf, eventIdOf, issuerOf, type AppContext, type AppEnv } from "../http/context";
import { jsonBody } from "../http/body";
import { queueRoom, quotaCounter } from "../durable/shared/stubs";

const MAX_BODY = 16 * 1024;
const id = z.string().trim().min(1).max(100);

const ApplicantSchema = z.object({
  familyName: z.string().trim().min(1).max(200),
  givenNames: z.string().trim().min(1).max(200),
  birthDate: z.iso.date(),
  countryOfBirth: z.string().trim().regex(/^[A-Za-z]{2,3}$/),
  passportNumber: z.string().trim().min(3).max(40),
  email: z.email().max(254).optional(),
});

const DeviceSchema = z.object({
  userAgent: z.string().max(2000).optional(),
  mobileHint: z.string().max(10).nullable().optional(),
  platformHint: z.string().max(50).nullable().optional(),
  touchPoints: z.number().int().min(0).max(256).nullable().optional(),
});

const common = {
  accountId: id,
  applicationId: id,
  applicant: ApplicantSchema,
  signedByRepresentative: z.boolean().default(false),
  representativeId: id.nullable().default(null),
  /** The origin reviewed a person-key match and found a different person (a namesake): the person key alone is skipped. */
  namesakeReviewed: z.boolean().default(false),
  /** The origin's reference for that review, recorded with the submission. */
  namesakeReviewId: id.nullable().default(null),
  device: DeviceSchema.optional(),
};

const representativeNamed = (b: { signedByRepresentative: boolean; representativeId: string | null }) =>
  !b.signedByRepresentative || b.representativeId !== null;
const representativeIssue = { message: "representativeId is required when signedByRepresentative is true", path: ["representativeId"] };
// A review without its reference, or a reference without the flag, is refused rather than guessed at.
const reviewNamed = (b: { namesakeReviewed: boolean; namesakeReviewId: string | null }) => b.namesakeReviewed === (b.namesakeReviewId !== null);
const reviewIssue = { message: "namesakeReviewId is required with namesakeReviewed: true, and only then", path: ["namesakeReviewId"] };

const SubmitBody = z
  .object({ admissionToken: z.string().min(1).max(4096), ...common })
  .refine(representativeNamed, representativeIssue)
  .refine(reviewNamed, reviewIssue);
const EligibleBody = z
  .object({ eligibility: z.enum(["validated_job_offer", "temporary_resident"]), ...common })
  .refine(representativeNamed, representativeIssue)
  .refine(reviewNamed, reviewIssue);
const ReleaseBody = z.object({ admissionToken: z.string().min(1).max(4096) });
const PaymentBody = z.object({ reference: z.string().trim().max(100).optional() });

export const submissions = new Hono<AppEnv>();

/**
 * Query parameters that would carry a secret (a receipt token, an API key).
 * URLs end up in logs, browser histories and Referer headers, so a secret is
 * read from `Authorization` only, and a request that puts one in its URL is
 * refused before anything else, without echoing it.
 */
const SECRET_PARAMETERS = new Set(["receipt", "receipttoken", "receipt_token", "token", "access_token", "apikey", "api_key", "key", "authorization"]);

const noSecretInUrl: MiddlewareHandler<AppEnv> = async (c, next) => {
  for (const name of new URL(c.req.url).searchParams.keys()) {
    const lower = name.toLowerCase();
    if (SECRET_PARAMETERS.has(lower)) throw new ApiError(400, "secret_in_url", { parameter: lower });
  }
  await next();
};

for (const path of ["/submissions", "/submissions/*", "/eligible-submissions", "/admissions/*"]) submissions.use(path, noSecretInUrl);

/** Origin-to-gateway calls carry ORIGIN_API_KEY as a bearer token. */
export const originOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  const token = bearerOf(c.req.header("authorization"));
  if (!token || !(await sameSecret(token, c.env.ORIGIN_API_KEY))) {
    throw new ApiError(401, "unauthorized", {}, { "WWW-Authenticate": 'Bearer realm="guichet-origin"' });
  }
  await next();
};

/** The candidate's admission, verified, for the event the request is about. */
async function admissionFor(c: AppContext, token: string, eventId: string, options: { ignoreTimes?: boolean } = {}): Promise<AdmissionClaims> {
  try {
    const claims = await verifyAdmission(c.env, token, issuerOf(c), audienceOf(c.env), Date.now(), options);
    if (claims.evt !== eventId) throw new AdmissionError("admission_invalid");
    return claims;
  } catch (e) {
    if (e instanceof AdmissionError) throw new ApiError(e.reason === "admission_expired" ? 410 : 401, e.reason);
    throw e;
  }
}

function deviceOf(reported: z.infer<typeof DeviceSchema> | undefined): DeviceClass {
  return classifyDevice({
    userAgent: reported?.userAgent,
    mobileHint: reported?.mobileHint,
    platformHint: reported?.platformHint,
    touchPoints: reported?.touchPoints,
  });
}

/** The receipt as the contract shows it: ISO times and the receipt token. */
function receiptBody(keys: ReceiptKeys, r: Receipt) {
  return {
    id: r.id,
    kind: r.kind,
    rank: r.rank,
    quota: r.quota,
    status: r.status,
    acceptedAt: iso(r.acceptedAt),
    paymentDueAt: iso(r.paymentDueAt),
    paidAt: iso(r.paidAt),
    receiptToken: receiptToken(keys, r.eventId, r.id, receiptExpiry(r.paymentDueAt)),
  };
}

/** `keys` are read before the counter is asked: a misconfigured key ring refuses the submission rather than its receipt. */
async function answer(c: AppContext, keys: ReceiptKeys, result: SubmitResult) {
  if (result.ok) {
    const receipt = receiptBody(keys, result.receipt);
    return result.replay ? c.json({ receipt, replay: true }, 200) : c.json({ receipt }, 201);
  }
  switch (result.reason) {
    case "duplicate":
      throw new ApiError(409, "duplicate", { firstReceiptId: result.firstReceiptId, by: result.by });
    case "admission_used":
      // Nothing about the application it serves: that is someone else's.
      throw new ApiError(409, "admission_used");
    case "device_not_allowed":
      throw new ApiError(403, "device_not_allowed");
    case "quota_reached":
      throw new ApiError(410, "quota_reached");
    case "admission_expired":
      throw new ApiError(410, "admission_expired");
    case "admission_revoked":
      throw new ApiError(401, "admission_invalid", { revoked: true });
    case "unknown_event":
      throw new ApiError(404, "unknown_event");
  }
}

submissions.post("/submissions", originOnly, jsonBody(SubmitBody, { maxBytes: MAX_BODY }), async (c) => {
  const body = c.req.valid("json");
  const eventId = eventIdOf(c);
  const keys = receiptKeys(c.env);
  const admission = await admissionFor(c, body.admissionToken, eventId);
  const input: SubmitInput = {
    kind: "quota",
    jti: admission.jti,
    ticketId: admission.sub,
    exp: admission.exp,
    queueNumber: admission.num,
    accountId: body.accountId,
    applicationId: body.applicationId,
    ...identityKeys(c.env.IDENTITY_PEPPER, body.applicant),
    namesakeReviewId: body.namesakeReviewId,
    // The stricter of what the claim saw and what the origin saw now.
    device: stricterDevice(admission.dev, deviceOf(body.device)),
    representative: body.signedByRepresentative,
    representativeId: body.representativeId,
    eligibility: null,
  };
  return answer(c, keys, await quotaCounter(c.env, eventId).submit(input));
});

submissions.post("/eligible-submissions", originOnly, jsonBody(EligibleBody, { maxBytes: MAX_BODY }), async (c) => {
  const body = c.req.valid("json");
  const eventId = eventIdOf(c);
  const keys = receiptKeys(c.env);
  const input: SubmitInput = {
    kind: "eligible",
    jti: null,
    ticketId: null,
    exp: null,
    queueNumber: null,
    accountId: body.accountId,
    applicationId: body.applicationId,
    ...identityKeys(c.env.IDENTITY_PEPPER, body.applicant),
    namesakeReviewId: body.namesakeReviewId,
    device: deviceOf(body.device),
    representative: body.signedByRepresentative,
    representativeId: body.representativeId,
    eligibility: body.eligibility,
  };
  return answer(c, keys, await quotaCounter(c.env, eventId).submit(input));
});

/**
 * A submission's status: `Authorization: Bearer` with its receipt token (the
 * candidate) or with ORIGIN_API_KEY, which also gets a fresh receipt token.
 * Tokens of the retired `r1.` format, which never expired, are refused.
 */
submissions.get("/submissions/:id", async (c) => {
  const submissionId = c.req.param("id");
  const token = bearerOf(c.req.header("authorization")) ?? "";
  const keys = receiptKeys(c.env);
  let eventId: string;
  if (token.startsWith("r2.")) {
    const receipt = verifyReceiptToken(keys, token, Date.now());
    if (!receipt || receipt.id !== submissionId) throw new ApiError(401, "unauthorized");
    eventId = receipt.eventId;
  } else if (token && (await sameSecret(token, c.env.ORIGIN_API_KEY))) {
    eventId = eventIdOf(c);
  } else {
    throw new ApiError(401, "unauthorized");
  }
  const r = await quotaCounter(c.env, eventId).receipt(submissionId);
  if (!r) throw new ApiError(404, "not_found");
  return c.json({ submission: receiptBody(keys, r) });
});

submissions.post("/submissions/:id/payment", originOnly, jsonBody(PaymentBody, { maxBytes: 1024, optional: true }), async (c) => {
  const eventId = eventIdOf(c);
  const keys = receiptKeys(c.env);
  const result = await quotaCounter(c.env, eventId).markPaid(c.req.param("id"), c.req.valid("json").reference ?? null);
  if (!result.ok) {
    if (result.reason === "not_found") throw new ApiError(404, "not_found");
    throw new ApiError(409, "invalid_change", { reason: result.reason });
  }
  return c.json({ submission: receiptBody(keys, result.receipt) });
});

/** Ends a session early (submitted or abandoned): the place is freed at once and the token can no longer submit. */
submissions.post("/admissions/release", originOnly, jsonBody(ReleaseBody, { maxBytes: MAX_BODY }), async (c) => {
  const eventId = eventIdOf(c);
  const admission = await admissionFor(c, c.req.valid("json").admissionToken, eventId, { ignoreTimes: true });
  const { used } = await quotaCounter(c.env, eventId).revoke(admission.jti);
  const room = await queueRoom(c.env, eventId).release({ jti: admission.jti, number: admission.num });
  return c.json({ released: room.state === "released", submitted: used, number: admission.num });
});
