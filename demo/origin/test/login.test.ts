// Login: user name and password, then the two security questions; a session
// bound to the admission it was opened under.
import { describe, expect, it } from "vitest";
import { ACCOUNTS, accountByUserName } from "../src/accounts";
import { admissionToken, cookieOf, login, origin, pageText } from "./helpers";

const marie = accountByUserName("marie.tremblay")!;
const jf = accountByUserName("jf.cote")!;

async function passwordStep(token: string, userName: string, password: string) {
  const res = await origin("/connexion", { token, form: { userName, password } });
  return { res, cookie: cookieOf(res, "mpq_session") };
}

describe("login", () => {
  it("refuses a wrong password and an unknown user with the same French message, and opens no session", async () => {
    const token = await admissionToken();
    for (const [userName, password] of [
      [marie.userName, "Montreal-2017"],
      [marie.userName, ""],
      ["personne", marie.password],
    ] as const) {
      const { res, cookie } = await passwordStep(token, userName, password);
      expect(res.status, userName).toBe(401);
      const text = await pageText(res);
      expect(text).toContain("Nom d'utilisateur ou mot de passe incorrect.");
      expect(text).toContain('role="alert"');
      expect(cookie).toBeNull();
    }
  });

  it("asks the account's two security questions after the right password", async () => {
    const token = await admissionToken();
    const { res, cookie } = await passwordStep(token, "  Marie.Tremblay ", marie.password);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/connexion/questions");
    expect(cookie).toMatch(/^mpq_session=.+/);
    const page = await origin("/connexion/questions", { token, cookie });
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toContain(marie.questions[0].question);
    expect(text).toContain(marie.questions[1].question);
    // The password alone does not open the application.
    const early = await origin("/demande", { token, cookie });
    expect(early.status).toBe(303);
    expect(early.headers.get("location")).toBe("/connexion");
  });

  it("refuses wrong answers to the security questions, even one of two", async () => {
    const token = await admissionToken();
    const { cookie } = await passwordStep(token, jf.userName, jf.password);
    for (const [answer1, answer2] of [
      ["Sainte-Marie", "Gérard"],
      ["Saint-Exupéry", "Gaston"],
      ["", ""],
    ]) {
      const res = await origin("/connexion/questions", { token, cookie, form: { answer1: answer1!, answer2: answer2! } });
      expect(res.status).toBe(401);
      const text = await pageText(res);
      expect(text).toContain("Les réponses aux questions de sécurité ne correspondent pas à celles du compte.");
      expect(cookieOf(res, "mpq_session")).toBeNull();
    }
    expect((await origin("/demande", { token, cookie })).status).toBe(303);
  });

  it("accepts the answers whatever their case, accents and punctuation, then opens the application", async () => {
    const token = await admissionToken();
    const { cookie } = await passwordStep(token, jf.userName, jf.password);
    const res = await origin("/connexion/questions", { token, cookie, form: { answer1: "saint exupery", answer2: "GERARD" } });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/demande");
    const session = cookieOf(res, "mpq_session")!;
    const page = await origin("/demande", { token, cookie: session });
    expect(page.status).toBe(200);
    const text = await pageText(page);
    expect(text).toContain("Côté-Lévesque");
    expect(text).toContain("L'avocat au dossier peut signer la demande au nom du client");
    expect(text).toContain("Soumettre la demande");
    expect(text).toContain("Quitter sans soumettre");
    // Logged in: the login page sends on to the application.
    const again = await origin("/connexion", { token, cookie: session });
    expect(again.headers.get("location")).toBe("/demande");
  });

  it("every seeded account logs in with its documented credentials", async () => {
    for (const account of ACCOUNTS) {
      const token = await admissionToken();
      const cookie = await login(account, token);
      const page = await origin("/demande", { token, cookie });
      expect(page.status, account.userName).toBe(200);
      expect(await page.text()).toContain(account.applicationId);
    }
  });

  it("ties the session to the admission it was opened under, and refuses a tampered session", async () => {
    const token = await admissionToken();
    const cookie = await login(marie, token);
    const laterTurn = await admissionToken();
    const res = await origin("/demande", { token: laterTurn, cookie });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/connexion");
    const [name, value] = cookie.split("=");
    const tampered = `${name}=${value!.slice(0, -3)}${value!.endsWith("AAA") ? "BBB" : "AAA"}`;
    expect((await origin("/demande", { token, cookie: tampered })).status).toBe(303);
    // The questions cannot be answered without the password step first.
    const skip = await origin("/connexion/questions", { token, form: { answer1: "Minou", answer2: "Lyon" } });
    expect(skip.status).toBe(303);
    expect(skip.headers.get("location")).toBe("/connexion");
  });

  it("refuses a form posted from another site", async () => {
    const token = await admissionToken();
    const res = await origin("/connexion", { token, form: { userName: marie.userName, password: marie.password }, headers: { "sec-fetch-site": "cross-site" } });
    expect(res.status).toBe(403);
    expect(cookieOf(res, "mpq_session")).toBeNull();
  });
});
