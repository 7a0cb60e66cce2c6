// The open pages, the seeded accounts, and how numbers and times read.
import { describe, expect, it } from "vitest";
import { identityMaterial } from "../../../src/domain/identity";
import { ACCOUNTS, accountByUserName, foldAnswer } from "../src/accounts";
import { formatNumber, montrealDateTime, rankLine } from "../src/format";
import { origin, pageText } from "./helpers";

describe("the landing page", () => {
  it("is open (no admission), explains the demo, links to the room and lists every seeded account", async () => {
    const res = await origin("/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    const text = await pageText(res);
    expect(text).toContain('<html lang="fr">');
    expect(text).toContain('href="/guichet/"');
    for (const a of ACCOUNTS) {
      expect(text).toContain(a.userName);
      expect(text).toContain(a.password);
    }
    // Relative links only: the browser talks to the gateway's host.
    expect(text).not.toMatch(/href="https?:/);
  });

  it("carries the security headers and is never cached", async () => {
    const res = await origin("/");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
  });

  it("answers robots.txt and an unknown page in French", async () => {
    expect(await (await origin("/robots.txt")).text()).toContain("Disallow: /");
    const missing = await origin("/nulle-part");
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain("Page introuvable");
  });
});

describe("the seeded accounts", () => {
  it("include two accounts for the same person, written differently, that the gateway's duplicate key folds together", () => {
    const jf = accountByUserName("jf.cote")!;
    const jf2 = accountByUserName("jf.cote2")!;
    expect(jf.accountId).not.toBe(jf2.accountId);
    expect(jf.applicant.familyName).not.toBe(jf2.applicant.familyName);
    expect(identityMaterial(jf.applicant)).toBe(identityMaterial(jf2.applicant));
    // Everyone else is a different person and a different account.
    const others = ACCOUNTS.filter((a) => a !== jf2);
    expect(new Set(others.map((a) => identityMaterial(a.applicant))).size).toBe(others.length);
    expect(new Set(ACCOUNTS.map((a) => a.accountId)).size).toBe(ACCOUNTS.length);
  });

  it("fold security answers without case, accents or punctuation", () => {
    expect(foldAnswer("Saint-Exupéry")).toBe(foldAnswer("saint exupery"));
    expect(foldAnswer("Señor Ramírez")).toBe("senorramirez");
    expect(foldAnswer("Thiéboudienne")).not.toBe(foldAnswer("Thiebou dienn"));
  });
});

describe("numbers and times for candidates", () => {
  it("group thousands the French way and show times in Montreal", () => {
    expect(formatNumber(1234)).toBe("1\u00a0234");
    expect(rankLine(1234, 5100)).toBe("Votre rang : 1\u00a0234 sur 5\u00a0100");
    // 12:30 UTC in June is 08:30 in Montreal (daylight time).
    expect(montrealDateTime("2016-06-13T12:30:00.000Z")).toBe("13 juin 2016 à 08 h 30 min 00 s (heure de Montréal)");
  });
});
