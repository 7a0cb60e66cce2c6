// pathAmbiguity (src/domain/paths.ts): the one rule for which paths the proxy
// refuses with 400 ambiguous_path before any classification, and what the
// route policy (src/domain/routes.ts) and the notice page's link make of it.
import { describe, expect, it } from "vitest";
import { MPQ_ROUTE_POLICY } from "../src/domain/event";
import { pathAmbiguity } from "../src/domain/paths";
import { compilePolicy, policyPath } from "../src/domain/routes";
import { noticeResponse, sameSiteHref } from "../src/pages/notice";
import { AMBIGUOUS, UNAMBIGUOUS } from "./path-cases";

describe("pathAmbiguity", () => {
  for (const [path, reason] of AMBIGUOUS) {
    it(`refuses ${JSON.stringify(path)} (${reason})`, () => {
      expect(pathAmbiguity(path)).toBe(reason);
    });
  }
  for (const path of UNAMBIGUOUS) {
    it(`lets ${JSON.stringify(path)} pass`, () => {
      expect(pathAmbiguity(path)).toBeNull();
    });
  }

  it("agrees with the URL parser: whatever it leaves of a request target is what the function judges", () => {
    // What workerd hands the Worker for these request lines (the query is not a path: not examined).
    expect(new URL("https://g.test//evil.example/x").pathname).toBe("//evil.example/x");
    expect(new URL("https://g.test/\\evil.example").pathname).toBe("//evil.example");
    expect(new URL("https://g.test/static/..;/connexion").pathname).toBe("/static/..;/connexion");
    expect(new URL("https://g.test/aide/%2e%2e/connexion").pathname).toBe("/connexion");
    expect(pathAmbiguity(new URL("https://g.test/aide?x=..;/%2F%00").pathname)).toBeNull();
  });
});

describe("policyPath and classify", () => {
  const policy = compilePolicy(MPQ_ROUTE_POLICY);

  it("decodes unambiguous paths once, and gives nothing for ambiguous ones", () => {
    expect(policyPath("/%C3%A9t%C3%A9")).toBe("/été");
    expect(policyPath("/aide/%41")).toBe("/aide/A");
    for (const [path] of AMBIGUOUS) expect(policyPath(path), path).toBeNull();
  });

  it("ranks an ambiguous path that reaches it as closed, never open or protected", () => {
    for (const [path] of AMBIGUOUS) expect(policy.classify(path), path).toBe("closed");
    expect(policy.classify("/static/app.js")).toBe("open");
    expect(policy.classify("/connexion")).toBe("protected");
    expect(policy.classify("/creer-compte")).toBe("closed");
  });
});

describe("the notice page's link", () => {
  it("is the path given when it is a path on this site, else /", () => {
    for (const href of ["/", "/aide/down", "/aide/down?x=1", "/guichet/?lang=en", "/%C3%A9t%C3%A9#haut"]) expect(sameSiteHref(href), href).toBe(href);
    for (const href of ["//evil.example", "//evil.example/down", "/\\evil.example", "/%2F%2Fevil.example", "/%5Cevil.example", "/\t/evil.example", "https://evil.example/", "javascript:alert(1)", "evil.example", ""]) {
      expect(sameSiteHref(href), href).toBe("/");
    }
  });

  it("never carries an off-site href into the page", async () => {
    for (const href of ["//evil.example/x", "/\\evil.example", "/%2F%2Fevil.example/x", "/%5Cevil.example"]) {
      const html = await noticeResponse("fr", 502, { title: "t", message: "m", link: { href, label: "Réessayer" } }).text();
      const links = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
      expect(links, href).toEqual(["/"]);
    }
  });
});
