// Submitting through the gateway's submissions API: what the demo sends, and
// what the candidate reads for every answer of the contract; leaving without
// submitting; "Consultation des documents" and the payment.
import { describe, expect, it } from "vitest";
import { accountByUserName } from "../src/accounts";
import { montrealDate, montrealDateTime } from "../src/format";
import { submitApplication } from "../src/gateway";
import { submissionNotice } from "../src/messages";
import { admissionToken, callsFor, claimsOf, cookieOf, demoEnv, DESKTOP_UA, GATEWAY, login, origin, pageText } from "./helpers";

const marie = accountByUserName("marie.tremblay")!;
const amina = accountByUserName("amina.diallo")!;

/** Logged in under a fresh admission whose `sub` picks the double's answer. */
async function candidate(account = marie, sub?: string) {
  const token = await admissionToken({ sub });
  const cookie = await login(account, token);
  return { token, cookie, jti: claimsOf(token).jti as string };
}

const CHROME_HINTS = { "sec-ch-ua-mobile": "?0", "sec-ch-ua-platform": '"Windows"' };

describe("submitting the application", () => {
  it("sends the contract's body to the gateway and shows the rank of the receipt", async () => {
    const { token, cookie, jti } = await candidate();
    const res = await origin("/soumission", { token, cookie, form: {}, headers: CHROME_HINTS });
    expect(res.status).toBe(200);
    const text = await pageText(res);
    expect(text).toContain("Votre demande a été soumise");
    expect(text).toContain("Votre rang : 1 234 sur 5 100");

    const { submissions } = await callsFor(jti);
    expect(submissions).toEqual([
      {
        admissionToken: token,
        accountId: marie.accountId,
        applicationId: marie.applicationId,
        applicant: marie.applicant,
        signedByRepresentative: false,
        representativeId: null,
        device: { userAgent: DESKTOP_UA, mobileHint: "?0", platformHint: '"Windows"' },
      },
    ]);
    // The application now says it was submitted, without a second submit button.
    const after = await pageText(await origin("/demande", { token, cookie }));
    expect(after).toContain("Votre demande a déjà été soumise. Votre rang : 1 234 sur 5 100.");
    expect(after).not.toContain("Soumettre la demande");
  });

  it("sends the representative's signature with the representative's id", async () => {
    const { token, cookie, jti } = await candidate(amina);
    const res = await origin("/soumission", { token, cookie, form: { signedByRepresentative: "1", representativeId: " BAR-12345 " } });
    expect(res.status).toBe(200);
    const [sent] = (await callsFor(jti)).submissions;
    expect(sent).toMatchObject({ signedByRepresentative: true, representativeId: "BAR-12345", accountId: amina.accountId });
  });

  it("asks for the representative's id when the box is checked without one, and sends nothing", async () => {
    const { token, cookie, jti } = await candidate();
    const res = await origin("/soumission", { token, cookie, form: { signedByRepresentative: "1", representativeId: "  " } });
    expect(res.status).toBe(422);
    const text = await pageText(res);
    expect(text).toContain("Indiquez le numéro du représentant");
    expect(text).toMatch(/name="signedByRepresentative" value="1" checked/);
    expect((await callsFor(jti)).submissions).toEqual([]);
  });

  it("shows the same receipt again for a retried submission (200 replay)", async () => {
    const { token, cookie } = await candidate();
    const first = await pageText(await origin("/soumission", { token, cookie, form: {} }));
    const id = /Numéro de la demande : ([0-9a-f-]{36})/.exec(first)![1]!;
    const again = await origin("/soumission", { token, cookie, form: {} });
    expect(again.status).toBe(200);
    const text = await pageText(again);
    expect(text).toContain("Cette demande avait déjà été reçue : voici le même accusé de réception.");
    expect(text).toContain(`Numéro de la demande : ${id}`);
    expect(text).toContain("Votre rang : 1 234 sur 5 100");
  });

  const refusals: [sub: string, status: number, message: string, link: string][] = [
    ["scenario:duplicate-identity", 409, "Une demande a déjà été acceptée pour cette personne sous un autre compte.", 'href="/"'],
    ["scenario:duplicate-account", 409, "Une demande a déjà été acceptée pour ce compte.", 'href="/"'],
    ["scenario:device", 403, "Seules les demandes faites à partir d'un ordinateur personnel sont considérées.", 'href="/"'],
    ["scenario:quota", 410, "Le nombre maximal de demandes à recevoir est atteint : la soumission est fermée.", 'href="/"'],
    ["scenario:closed", 410, "La réception des demandes a été fermée par le Ministère.", 'href="/"'],
    ["scenario:expired", 410, "Le délai pour soumettre votre demande est écoulé", 'href="/guichet/"'],
    ["scenario:invalid", 401, "Votre admission n'est pas valide.", 'href="/guichet/"'],
    ["scenario:revoked", 401, "Vous avez quitté la file d'attente : cette admission ne permet plus de soumettre une demande.", 'href="/guichet/"'],
    ["scenario:error", 503, "Réessayez dans un moment : si votre demande avait déjà été reçue, vous obtiendrez le même accusé de réception", 'href="/demande"'],
    ["scenario:unauthorized", 502, "Le portail n'a pas pu transmettre votre demande au service de réception.", 'href="/demande"'],
  ];

  const FINAL_REFUSALS = ["scenario:duplicate-identity", "scenario:duplicate-account", "scenario:device"];

  for (const [sub, status, message, link] of refusals) {
    it(`answers ${sub.slice("scenario:".length)} with ${status} and says so in French, keeping no receipt`, async () => {
      const { token, cookie, jti } = await candidate(marie, sub);
      const res = await origin("/soumission", { token, cookie, form: {} });
      expect(res.status).toBe(status);
      const text = await pageText(res);
      expect(text).toContain(message);
      expect(text).toContain(link);
      expect(text).not.toContain("Votre rang");
      const { submissions, releases } = await callsFor(jti);
      expect(submissions).toHaveLength(1);
      // A final refusal gives the place in flight back at once; the others keep it (the candidate may retry or is already out).
      expect(releases).toEqual(FINAL_REFUSALS.includes(sub) ? [{ admissionToken: token }] : []);
      const documents = await pageText(await origin("/documents", { token, cookie }));
      expect(documents).toContain("Aucun document pour le moment");
    });
  }

  it("treats a gateway that cannot be reached as unavailable (the candidate may retry)", async () => {
    // No service binding, and an address that does not resolve (workerd logs the failed lookup).
    const { GATEWAY: _binding, ...withoutBinding } = demoEnv;
    const outcome = await submitApplication(
      { ...withoutBinding, GATEWAY_URL: "http://gateway.invalid" },
      {
        admissionToken: await admissionToken(),
        eventId: "csq-2016-06",
        accountId: marie.accountId,
        applicationId: marie.applicationId,
        applicant: marie.applicant,
        signedByRepresentative: false,
        representativeId: null,
        device: { userAgent: DESKTOP_UA },
      },
    );
    expect(outcome).toEqual({ kind: "unavailable", status: null });
    expect(submissionNotice({ kind: "unavailable", status: null })).toMatchObject({ status: 503, retry: true });
  });
});

describe("Quitter sans soumettre", () => {
  it("releases the admission at the gateway and ends the session", async () => {
    const { token, cookie, jti } = await candidate();
    const res = await origin("/demande/quitter", { token, cookie, form: {} });
    expect(res.status).toBe(200);
    expect(await pageText(res)).toContain("Votre demande n'a pas été soumise et votre place a été libérée pour le candidat suivant.");
    expect(cookieOf(res, "mpq_session")).toBe("mpq_session=");
    const { releases, submissions } = await callsFor(jti);
    expect(releases).toEqual([{ admissionToken: token }]);
    expect(submissions).toEqual([]);
  });

  it("keeps the session and says to retry when the gateway fails", async () => {
    const { token, cookie } = await candidate(marie, "scenario:error");
    const res = await origin("/demande/quitter", { token, cookie, form: {} });
    expect(res.status).toBe(503);
    expect(await pageText(res)).toContain("réessayez");
    expect(cookieOf(res, "mpq_session")).toBeNull();
  });
});

describe("Consultation des documents", () => {
  it("shows the receipt with its rank, times in Montreal, the status read live, and the payment", async () => {
    const { token, cookie } = await candidate();
    const empty = await pageText(await origin("/documents", { token, cookie }));
    expect(empty).toContain("Aucun document pour le moment");

    await origin("/soumission", { token, cookie, form: {} });
    const res = await origin("/documents", { token, cookie });
    expect(res.status).toBe(200);
    const text = await pageText(res);
    const id = /<dd>([0-9a-f-]{36})<\/dd>/.exec(text)![1]!;
    const receipt = (await (await demoEnv.GATEWAY.fetch(`${GATEWAY}/__fixture/receipts/${id}`)).json()) as any;
    expect(text).toContain("Votre rang : 1 234 sur 5 100");
    expect(text).toContain("<dd>5 100</dd>");
    expect(text).toContain(montrealDateTime(receipt.submission.acceptedAt).replace(/[\u00a0\u202f]/g, " "));
    expect(text).toContain(montrealDate(receipt.submission.paymentDueAt).replace(/[\u00a0\u202f]/g, " "));
    expect(text).toContain("Acceptée — en attente du paiement des frais");
    expect(text).toContain("Payer les frais");

    const pay = await origin("/documents/paiement", { token, cookie, form: {} });
    expect(pay.status).toBe(303);
    expect(pay.headers.get("location")).toBe("/documents");
    const paid = await pageText(await origin("/documents", { token, cookie }));
    expect(paid).toContain("Payée — comptabilisée dans le nombre maximal de demandes");
    expect(paid).toContain("Paiement reçu le");
    expect(paid).not.toContain("Payer les frais");
    // Paying again (a double click, a resent form) is the same payment: the same reference, so the gateway's idempotent 200.
    const again = await origin("/documents/paiement", { token, cookie, form: {} });
    expect([again.status, again.headers.get("location")]).toEqual([303, "/documents"]);
    const calls = (await (await demoEnv.GATEWAY.fetch(`${GATEWAY}/__fixture/receipts/${id}`)).json()) as any;
    expect(calls.submission.paymentReference).toMatch(/^DEMO-/);
  });

  it("reads the status from the gateway, not from its own copy", async () => {
    const { token, cookie } = await candidate();
    await origin("/soumission", { token, cookie, form: {} });
    const id = /<dd>([0-9a-f-]{36})<\/dd>/.exec(await pageText(await origin("/documents", { token, cookie })))![1]!;
    await demoEnv.GATEWAY.fetch(`${GATEWAY}/__fixture/receipts/${id}/status`, { method: "POST", body: JSON.stringify({ status: "expired_unpaid" }) });
    const text = await pageText(await origin("/documents", { token, cookie }));
    expect(text).toContain("Supprimée — frais non payés dans les 30 jours");
    expect(text).not.toContain("Payer les frais");
  });

  it("keeps the receipt for the account across logins in the same intake", async () => {
    const first = await candidate();
    await origin("/soumission", { token: first.token, cookie: first.cookie, form: {} });
    const evt = claimsOf(first.token).evt as string;
    const later = await admissionToken({ evt });
    const cookie = await login(marie, later);
    expect(await pageText(await origin("/documents", { token: later, cookie }))).toContain("Votre rang : 1 234 sur 5 100");
  });
});
