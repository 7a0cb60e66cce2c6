// GET /guichet/ops/: the dashboard's shell. No data and no secret in it,
// strict CSP with a fresh nonce, no inline handler, French or English.
import { describe, expect, it } from "vitest";
import { gateway } from "./helpers";

describe("the dashboard page", () => {
  it("is a shell with a strict CSP: scripts and styles only with this response's nonce", async () => {
    const res = await gateway("/guichet/ops/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    const csp = res.headers.get("content-security-policy")!;
    const nonce = /script-src 'nonce-([A-Za-z0-9+/=]{20,})'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/unsafe-(inline|eval)/);
    const html = await res.text();
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    expect(scripts).toHaveLength(2);
    for (const tag of scripts) {
      expect(tag).toContain(`nonce="${nonce}"`);
      expect(tag).toMatch(/src="\/guichet\/ops\/assets\//);
    }
    expect(html).toContain('src="/guichet/ops/assets/vendor/uPlot.iife.min.js"');
    // No inline handlers, no inline script bodies, no javascript: URLs.
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).not.toMatch(/<script\b[^>]*>[^<]+<\/script>/);
    expect(html).not.toContain("javascript:");
    // A new nonce every time.
    const again = (await gateway("/guichet/ops/")).headers.get("content-security-policy")!;
    expect(again).not.toBe(csp);
  });

  it("loads its script as ES modules under the nonce alone: no source list lets any other script run", async () => {
    const res = await gateway("/guichet/ops/");
    const csp = res.headers.get("content-security-policy")!;
    // The entry module's imports (its own modules, the vendored stream parser) inherit its nonce.
    const scriptSrc = csp.split("; ").find((d) => d.startsWith("script-src "));
    expect(scriptSrc).toMatch(/^script-src 'nonce-[A-Za-z0-9+/=]{20,}'$/);
    const nonce = /'nonce-([^']+)'/.exec(scriptSrc!)![1];
    const html = await res.text();
    expect(html).toContain(`<script type="module" src="/guichet/ops/assets/dashboard/main.js" nonce="${nonce}"></script>`);
    // uPlot, a classic script, runs first: deferred scripts and modules run in document order.
    expect(html.indexOf("uPlot.iife.min.js")).toBeLessThan(html.indexOf("dashboard/main.js"));
  });

  it("needs no token to load (the data needs one), and carries none", async () => {
    const html = await (await gateway("/guichet/ops/?event=csq-2016-06")).text();
    expect(html).toContain('data-event="csq-2016-06"');
    expect(html).not.toMatch(/Bearer|OPS_TOKEN=/);
    expect((await gateway("/guichet/ops/api/event")).status).toBe(401);
  });

  it("speaks French by default, English when asked", async () => {
    const fr = await gateway("/guichet/ops/");
    expect(fr.headers.get("content-language")).toBe("fr");
    expect(await fr.text()).toMatch(/<html lang="fr">[\s\S]*<title>Guichet — opérations<\/title>/);
    for (const init of [{ path: "/guichet/ops/?lang=en" }, { path: "/guichet/ops/", headers: { "accept-language": "en-CA,en;q=0.9" } }]) {
      const res = await gateway(init.path, { headers: init.headers });
      expect(res.headers.get("content-language")).toBe("en");
      expect(await res.text()).toMatch(/<html lang="en">[\s\S]*<title>Guichet — operations<\/title>/);
    }
  });

  it("refuses an event id that cannot be one", async () => {
    expect((await gateway("/guichet/ops/?event=%3Cscript%3E")).status).toBe(404);
  });
});
