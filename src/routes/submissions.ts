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
/** The payment's body is small: a reference of at most 100 characters. */
const MAX_PAYMENT_BODY = 1024;

// Every body is strict: an unknown field is refused (422, `field` naming it),
// so that a typo in a field's name is found in testing, not in production.
// These schemas validate the requests and are the ones the OpenAPI document
// shows (src/contract/openapi.ts).

const id = z.string().trim().min(1).max(100);

export const ApplicantSchema = z
  .strictObject({
    familyName: z.string().trim().min(1).max(200),
    givenNames: z.string().trim().min(1).max(200),
    birthDate: z.iso.date().meta({ description: "YYYY-MM-DD" }),
    countryOfBirth: z
      .string()
      .trim()
      .regex(/^[A-Za-z]{2,3}$/)
      .meta({ description: "ISO 3166-1 alpha-2 or alpha-3 (FR and FRA are not matched with each other)" }),
    passportNumber: z.string().trim().min(3).max(40),
    email: z.email().max(254).optional().meta({ description: "Not part of the duplicate keys" }),
  })
  .meta({ description: "The applicant as the application names them: only HMACs of it are kept (the passport key and the person key)" });

export const DeviceSchema = z
  .strictObject({
    userAgent: z.string().max(2000).optional().meta({ description: "The candidate's own User-Agent" }),
    mobileHint: z.string().max(10).nullable().optional().meta({ description: "Sec-CH-UA-Mobile (?0 or ?1)" }),
    platformHint: z.string().max(50).nullable().optional().meta({ description: "Sec-CH-UA-Platform" }),
    touchPoints: z.number().int().min(0).max(256).nullable().optional().meta({ description: "navigator.maxTouchPoints" }),
  })
  .meta({ description: "What the candidate's own request said about its device; the stricter of this and the token's dev applies" });

const common = {
  accountId: id.meta({ description: "The account on the origin: one accepted submission per account" }),
  applicationId: id.meta({ description: "The application: an admission serves one (accountId, applicationId) pair" }),
  applicant: ApplicantSchema,
  signedByRepresentative: z.boolean().default(false),
  representativeId: id.nullable().default(null).meta({ description: "Required when signedByRepresentative is true" }),
  namesakeReviewed: z.boolean().default(false).meta({ description: "A human review found a person-key match to be another person: skips the person key only" }),
  namesakeReviewId: id.nullable().default(null).meta({ description: "The origin's reference for that review; given with namesakeReviewed: true, and only then" }),
  device: DeviceSchema.optional(),
};

const representativeNamed = (b: { signedByRepresentative: boolean; representativeId: string | null }) =>
  !b.signedByRepresentative || b.representativeId !== null;
const representativeIssue = { message: "representativeId is required when signedByRepresentative is true", path: ["representativeId"] };
// A review without its reference, or a reference without the flag, is refused rather than guessed at.
const reviewNamed = (b: { namesakeReviewed: boolean; namesakeReviewId: string | null }) => b.namesakeReviewed === (b.namesakeReviewId !== null);
const reviewIssue = { message: "namesakeReviewId is required with namesakeReviewed: true, and only then", path: ["namesakeReviewId"] };

const admissionToken = z.string().min(1).max(4096).meta({ description: "The candidate's admission token (X-Guichet-Admission), a compact JWS" });

export const SubmitBody = z
  .strictObject({ admissionToken, ...common })
  .refine(representativeNamed, representativeIssue)
  .refine(reviewNamed, reviewIssue)
  .meta({ description: "A submission from the line, with the candidate's admission" });
export const EligibleBody = z
  .strictObject({
    eligibility: z.enum(["validated_job_offer", "temporary_resident"]).meta({ description: "What the origin attests: such candidates may submit at any time" }),
    ...common,
  })
  .refine(representativeNamed, representativeIssue)
  .refine(reviewNamed, reviewIssue)
  .meta({ description: "A submission outside the line and the quota, for a candidate the origin attests as always eligible" });
export const ReleaseBody = z.strictObject({ admissionToken }).meta({ description: "The admission to end early" });
export const PaymentBody = z
  .strictObject({
    reference: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .regex(/^[^\u0000-\u001f\u007f]*$/, "no control characters")
      .meta({ description: "The origin's payment reference (1 to 100 characters, no control characters), recorded once" }),
  })
  .meta({ description: "The payment of a submission's fees" });

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

/**
 * The candidate's admission, verified, for the event the request is about.
 * A refusal says why where that helps the origin fix its call (`reason`:
 * `session_token`, `not_yet_valid`, `event_mismatch` with the token's event).
 */
async function admissionFor(c: AppContext, token: string, eventId: string, options: { ignoreTimes?: boolean; acceptExpired?: boolean } = {}): Promise<AdmissionClaims> {
  let claims: AdmissionClaims;
  try {
    claims = await verifyAdmission(c.env, token, issuerOf(c), audienceOf(c.env), Date.now(), options);
  } catch (e) {
    if (!(e instanceof AdmissionError)) throw e;
    if (e.reason === "admission_expired") throw new ApiError(410, "admission_expired");
    throw new ApiError(401, "admission_invalid", { reason: e.detail });
  }
  if (claims.evt !== eventId) throw new ApiError(401, "admission_invalid", { reason: "event_mismatch", tokenEvent: claims.evt });
  return claims;
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
    paymentReference: r.paymentReference,
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
    case "closed_by_operator":
      throw new ApiError(410, "closed_by_operator");
    case "admission_expired":
      throw new ApiError(410, "admission_expired");
    case "admission_revoked":
      throw new ApiError(401, "admission_invalid", { reason: "revoked", revoked: true });
    case "unknown_event":
      throw new ApiError(404, "unknown_event");
  }
}

submissions.post("/submissions", originOnly, jsonBody(SubmitBody, { maxBytes: MAX_BODY }), async (c) => {
  const body = c.req.valid("json");
  const eventId = eventIdOf(c);
  const keys = receiptKeys(c.env);
  // The signature is checked here; the counter judges expiry after it looks for an earlier receipt, so a retry after `exp` still gets it.
  const admission = await admissionFor(c, body.admissionToken, eventId, { acceptExpired: true });
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

/**
 * Records the payment of a submission's fees with the origin's reference.
 * The first reference is kept: the same one again is an idempotent 200, any
 * other 409 already_paid naming the recorded one, so that a second payment
 * for the same submission is seen, not silently dropped.
 */
submissions.post("/submissions/:id/payment", originOnly, jsonBody(PaymentBody, { maxBytes: MAX_PAYMENT_BODY }), async (c) => {
  const eventId = eventIdOf(c);
  const keys = receiptKeys(c.env);
  const result = await quotaCounter(c.env, eventId).markPaid(c.req.param("id"), c.req.valid("json").reference);
  if (!result.ok) {
    if (result.reason === "not_found") throw new ApiError(404, "not_found");
    if (result.reason === "already_paid") throw new ApiError(409, "already_paid", { reference: result.reference, paidAt: iso(result.paidAt) });
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
