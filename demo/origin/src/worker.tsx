/** @jsxImportSource hono/jsx */
// The demo origin: a stand-in for the Mon projet Québec application behind
// the gateway, for development and tests (never production). Open: `/`.
// Protected by the gateway's line, and checked again here: `/connexion`,
// `/demande`, `/soumission`, `/documents`.
import { zValidator } from "@hono/zod-validator";
import { Hono, type Context, type MiddlewareHandler } from "hono";
import * as z from "zod";
import { accountById, checkAnswers, checkPassword, type DemoAccount } from "./accounts";
import { admissionAudience, gatewayIssuer, gatewayUrl, type DemoEnv } from "./env";
import { accountFiles } from "./files";
import { recordPayment, releaseAdmission, submissionStatus, submitApplication } from "./gateway";
import { admissionNotice, releaseMessage, submissionNotice } from "./messages";
import { ApplicationPage, DocumentsPage, LandingPage, LoginPage, MessagePage, NoticePage, QuestionsPage, ReceiptPage } from "./pages";
import { endSession, readSession, writeSession, type Session } from "./session";
import { ADMISSION_HEADER, DEVICE_HEADER, verifyAdmission, type Admission } from "./trust";

export { AccountFiles } from "./files";

interface DemoApp {
  Bindings: DemoEnv;
  Variables: { admission: Admission; admissionToken: string };
}
type DemoContext = Context<DemoApp>;

const app = new Hono<DemoApp>({ strict: false });

/** Every page is personal or about to be: never cached; the usual security headers. */
app.use("*", async (c, next) => {
  await next();
  const h = c.res.headers;
  if (!h.has("Cache-Control")) h.set("Cache-Control", "no-store");
  h.set("X-Content-Type-Options", "nosniff");
  h.set("Referrer-Policy", "same-origin");
  h.set("X-Frame-Options", "DENY");
  h.set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
});

/** Forms are posted from this site only (SameSite=Lax cookies are the second line). */
const sameSite: MiddlewareHandler<DemoApp> = async (c, next) => {
  if (c.req.method === "POST" && c.req.header("sec-fetch-site") === "cross-site") {
    return c.html(<MessagePage title="Requête refusée" message="Cette requête ne vient pas de ce site." ok={false} />, 403);
  }
  await next();
};

/**
 * Defence in depth: every protected page verifies the admission token the
 * gateway forwards, with the gateway's public keys (trust.ts), even though the
 * gateway has already checked it.
 */
const admitted: MiddlewareHandler<DemoApp> = async (c, next) => {
  const token = c.req.header(ADMISSION_HEADER);
  const trust = await verifyAdmission(token, {
    gatewayUrl: gatewayUrl(c.env),
    issuer: gatewayIssuer(c.env),
    audience: admissionAudience(c.env),
    gateway: c.env.GATEWAY,
  });
  if (!trust.ok) {
    if (trust.refusal === "keys_unavailable") c.header("Retry-After", "5");
    return c.html(<NoticePage notice={admissionNotice(trust.refusal)} />, admissionNotice(trust.refusal).status);
  }
  c.set("admission", trust.admission);
  c.set("admissionToken", token!);
  await next();
};

for (const prefix of ["/connexion", "/demande", "/soumission", "/documents"]) {
  app.use(prefix, sameSite, admitted);
  app.use(`${prefix}/*`, sameSite, admitted);
}

/** The session of this admission, at `step` or beyond; null otherwise (a session from an earlier turn does not count). */
async function sessionOf(c: DemoContext, step: Session["step"]): Promise<{ session: Session; account: DemoAccount } | null> {
  const session = await readSession(c, c.env.SESSION_KEY);
  if (!session || session.jti !== c.get("admission").jti) return null;
  if (step === "ok" && session.step !== "ok") return null;
  const account = accountById(session.accountId);
  return account ? { session, account } : null;
}

function sessionFor(admission: Admission, accountId: string, step: Session["step"]): Session {
  return { accountId, step, jti: admission.jti, evt: admission.evt, exp: admission.exp };
}

/** A form that does not even have the right shape: 400 with a page. */
function form<T extends z.ZodType>(schema: T) {
  return zValidator("form", schema, (result, c) => {
    if (!result.success) return c.html(<MessagePage title="Formulaire non valide" message="Le formulaire envoyé n'est pas valide." ok={false} />, 400);
  });
}

// ------------------------------------------------------------------ open pages

app.get("/", (c) => c.html(<LandingPage />));
app.get("/robots.txt", (c) => c.text("User-agent: *\nDisallow: /\n"));
app.get("/favicon.ico", (c) => c.body(null, 204));

// ------------------------------------------------------------------ login

app.get("/connexion", async (c) => {
  const held = await sessionOf(c, "password");
  if (held) return c.redirect(held.session.step === "ok" ? "/demande" : "/connexion/questions", 303);
  return c.html(<LoginPage admission={c.get("admission")} />);
});

const LoginForm = z.object({ userName: z.string().max(100), password: z.string().max(200) });

app.post("/connexion", form(LoginForm), async (c) => {
  const { userName, password } = c.req.valid("form");
  const account = await checkPassword(userName, password);
  if (!account) {
    return c.html(<LoginPage admission={c.get("admission")} userName={userName} error="Nom d'utilisateur ou mot de passe incorrect." />, 401);
  }
  await writeSession(c, c.env.SESSION_KEY, sessionFor(c.get("admission"), account.accountId, "password"));
  return c.redirect("/connexion/questions", 303);
});

app.get("/connexion/questions", async (c) => {
  const held = await sessionOf(c, "password");
  if (!held) return c.redirect("/connexion", 303);
  if (held.session.step === "ok") return c.redirect("/demande", 303);
  return c.html(<QuestionsPage account={held.account} admission={c.get("admission")} />);
});

const AnswersForm = z.object({ answer1: z.string().max(200), answer2: z.string().max(200) });

app.post("/connexion/questions", form(AnswersForm), async (c) => {
  const held = await sessionOf(c, "password");
  if (!held) return c.redirect("/connexion", 303);
  const { answer1, answer2 } = c.req.valid("form");
  if (!(await checkAnswers(held.account, [answer1, answer2]))) {
    const error = "Les réponses aux questions de sécurité ne correspondent pas à celles du compte. Vérifiez-les et réessayez.";
    return c.html(<QuestionsPage account={held.account} admission={c.get("admission")} error={error} />, 401);
  }
  await writeSession(c, c.env.SESSION_KEY, sessionFor(c.get("admission"), held.account.accountId, "ok"));
  return c.redirect("/demande", 303);
});

// ------------------------------------------------------------------ the application

app.get("/demande", async (c) => {
  const held = await sessionOf(c, "ok");
  if (!held) return c.redirect("/connexion", 303);
  const admission = c.get("admission");
  const onFile = await accountFiles(c.env, admission.evt, held.account.accountId).receipt();
  return c.html(<ApplicationPage account={held.account} admission={admission} device={c.req.header(DEVICE_HEADER) ?? null} onFile={onFile} />);
});

const SubmitForm = z.object({
  signedByRepresentative: z.literal("1").optional(),
  representativeId: z.string().trim().max(100).optional(),
});

app.post("/soumission", form(SubmitForm), async (c) => {
  const held = await sessionOf(c, "ok");
  if (!held) return c.redirect("/connexion", 303);
  const { account } = held;
  const admission = c.get("admission");
  const body = c.req.valid("form");
  const signed = body.signedByRepresentative === "1";
  const representativeId = signed ? body.representativeId || null : null;
  if (signed && !representativeId) {
    const error = "Indiquez le numéro du représentant qui signe la demande au nom du client, ou décochez la case.";
    return c.html(<ApplicationPage account={account} admission={admission} device={c.req.header(DEVICE_HEADER) ?? null} onFile={null} error={error} signed />, 422);
  }
  const outcome = await submitApplication(c.env, {
    admissionToken: c.get("admissionToken"),
    eventId: admission.evt,
    accountId: account.accountId,
    applicationId: account.applicationId,
    applicant: account.applicant,
    signedByRepresentative: signed,
    representativeId,
    // What this request shows of the device; the gateway takes the stricter of it and the claim's.
    device: {
      userAgent: c.req.header("user-agent"),
      mobileHint: c.req.header("sec-ch-ua-mobile"),
      platformHint: c.req.header("sec-ch-ua-platform"),
    },
  });
  if (outcome.kind !== "accepted") {
    // Refusals that no later try with this admission can change (this person or
    // this account already has a place; a phone stays a phone in the token):
    // the session is over, so its place in flight goes to the next candidate
    // now instead of when the admission expires, 10 minutes later. Best effort:
    // a failed release only means the place comes back at expiry.
    if (outcome.kind === "duplicate" || outcome.kind === "device_not_allowed") await releaseAdmission(c.env, c.get("admissionToken"), admission.evt);
    const notice = submissionNotice(outcome);
    return c.html(<NoticePage notice={notice} loggedIn />, notice.status);
  }
  const r = outcome.receipt;
  await accountFiles(c.env, admission.evt, account.accountId).keepReceipt({
    eventId: admission.evt,
    accountId: account.accountId,
    id: r.id,
    rank: r.rank,
    quota: r.quota,
    acceptedAt: r.acceptedAt,
    paymentDueAt: r.paymentDueAt,
    receiptToken: r.receiptToken,
  });
  return c.html(<ReceiptPage receipt={r} replay={outcome.replay} />);
});

app.post("/demande/quitter", async (c) => {
  const admission = c.get("admission");
  const outcome = await releaseAdmission(c.env, c.get("admissionToken"), admission.evt);
  const page = releaseMessage(outcome);
  if (page.status === 200) endSession(c);
  return c.html(<MessagePage title={page.title} message={page.message} ok={page.status === 200} />, page.status);
});

// ------------------------------------------------------------------ documents

app.get("/documents", async (c) => {
  const held = await sessionOf(c, "ok");
  if (!held) return c.redirect("/connexion", 303);
  const receipt = await accountFiles(c.env, c.get("admission").evt, held.account.accountId).receipt();
  const live = receipt ? await submissionStatus(c.env, receipt.id, receipt.receiptToken) : null;
  return c.html(<DocumentsPage account={held.account} receipt={receipt} live={live} />);
});

app.post("/documents/paiement", async (c) => {
  const held = await sessionOf(c, "ok");
  if (!held) return c.redirect("/connexion", 303);
  const receipt = await accountFiles(c.env, c.get("admission").evt, held.account.accountId).receipt();
  if (!receipt) return c.redirect("/documents", 303);
  // One payment per submission, so one reference: a resent form is the same payment, which the gateway answers 200 again.
  const reference = `DEMO-${receipt.id.slice(0, 8).toUpperCase()}`;
  const paid = await recordPayment(c.env, receipt.id, receipt.eventId, reference);
  // already_paid: paid under another reference (by another channel); the page shows it paid.
  if (paid.kind === "paid" || (paid.kind === "refused" && paid.reason === "already_paid")) return c.redirect("/documents", 303);
  const live = await submissionStatus(c.env, receipt.id, receipt.receiptToken);
  const error =
    paid.kind === "refused"
      ? "Le paiement n'a pas pu être enregistré pour cette demande (délai de 30 jours dépassé ou demande retirée)."
      : "Le service de paiement ne répond pas pour le moment ; réessayez dans un moment.";
  return c.html(<DocumentsPage account={held.account} receipt={receipt} live={live} error={error} />, paid.kind === "refused" ? 409 : 503);
});

app.notFound((c) => c.html(<MessagePage title="Page introuvable" message="Cette page n'existe pas." ok={false} />, 404));

app.onError((err, c) => {
  // No request data in logs: pages carry personal data.
  console.error(JSON.stringify({ level: "error", what: "unhandled", name: err.name, path: new URL(c.req.url).pathname, message: err.message.slice(0, 160) }));
  return c.html(<MessagePage title="Erreur" message="Une erreur est survenue ; réessayez dans un moment." ok={false} />, 500);
});

export default app;
