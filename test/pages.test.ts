// What the pages share (src/pages/html.tsx, the CSP of src/http/security.ts)
// and the proxy's notice page, which is written outside the routes and must
// still carry every header a gateway page does.
// (A .ts file, as the workers project runs: the trees are built with jsx().)
import { jsx } from "hono/jsx";
import { describe, expect, it } from "vitest";
import { DataScript, fillNodes, htmlDocument } from "../src/pages/html";
import { gateway } from "./helpers";

describe("the pages' shared parts", () => {
  it("fills a sentence with markup: the words escaped, the markup kept, an unknown placeholder left as written", () => {
    const date = jsx("strong", { "data-f": "x" }, '8 h 30 & "');
    const html = htmlDocument(jsx("p", {}, fillNodes(`a <b> & "{date}" '{zone}' {other}`, { date, zone: "<i>" })));
    expect(html).toBe(`<!doctype html><p>a &lt;b&gt; &amp; &quot;<strong data-f="x">8 h 30 &amp; &quot;</strong>&quot; &#39;&lt;i&gt;&#39; {other}</p>`);
  });

  it("hands data to a script as JSON that no value can end early, and that parses back to the value", () => {
    const value = { banner: "</script><script>alert(1)</script>", line: "a\u2028b\u2029c", quote: `"'&` };
    const html = htmlDocument(jsx(DataScript, { id: "d", nonce: "n0", value }));
    const body = /^<!doctype html><script type="application\/json" id="d" nonce="n0">(.*)<\/script>$/s.exec(html)?.[1];
    expect(body).toBeDefined();
    expect(body).not.toMatch(/<|\u2028|\u2029/);
    expect(JSON.parse(body!)).toEqual(value);
  });

  it("refuses to render a page that would finish later (pages are given all they show)", () => {
    const later = async () => jsx("p", {}, "later");
    expect(() => htmlDocument(jsx(later, {}))).toThrow(/asynchronously/);
  });
});

describe("the proxy's notice page", () => {
  it("carries the same security headers as the gateway's own answers, and a CSP that allows only its nonced style", async () => {
    const notice = await gateway("/aide//connexion", { headers: { accept: "text/html" } });
    expect(notice.status).toBe(400);
    const own = await gateway("/guichet/healthz");
    const names = ["x-content-type-options", "referrer-policy", "strict-transport-security", "x-frame-options", "cross-origin-opener-policy", "cross-origin-resource-policy"];
    for (const name of names) {
      expect(own.headers.get(name), name).toBeTruthy();
      expect(notice.headers.get(name), name).toBe(own.headers.get(name));
    }
    expect(notice.headers.get("cache-control")).toBe("no-store");
    const csp = notice.headers.get("content-security-policy")!;
    const nonce = /style-src 'nonce-([A-Za-z0-9+/=]{20,})'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).not.toContain("script-src");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    const html = await notice.text();
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html.match(/<style\b[^>]*>/g)).toEqual([`<style nonce="${nonce}">`]);
    expect(html).not.toMatch(/<script/);
    // A new nonce every time.
    const again = await gateway("/aide//connexion", { headers: { accept: "text/html" } });
    expect(again.headers.get("content-security-policy")).not.toContain(nonce);
  });
});
