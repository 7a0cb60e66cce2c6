// The fair opening's pages: the room page in the pre-queue, the fairness page
// and the scripts they load, with their security headers.
import { describe, expect, it } from "vitest";
import { createEvent, enter, gateway, uniqueEvent } from "./helpers";

describe("the room page with a pre-queue", () => {
  it("invites to join while the pre-queue is open, then shows the public id and a link to check the draw", async () => {
    const id = uniqueEvent("pqpage");
    await createEvent(id, { prequeueOpensAt: new Date(Date.now() - 1000).toISOString(), opensAt: new Date(Date.now() + 60_000).toISOString() });
    const before = await (await gateway(`/guichet/?event=${id}`)).text();
    expect(before).toMatch(/<p id="pq-open">[^<]*pré-file est ouverte/);
    expect(before).toMatch(/<button id="enter" type="button">/); // enabled
    const joined = await enter(id);
    const page = await gateway(`/guichet/?event=${id}`, { cookie: joined.cookie! });
    const html = await page.text();
    expect(html).toContain(joined.body.prequeue.publicId);
    expect(html).toMatch(/<p id="pq-in">/);
    expect(html).toContain(`/guichet/fairness?event=${id}`);
    // The puzzle worker is allowed by the CSP, and only through a Trusted Types policy.
    const csp = page.headers.get("content-security-policy")!;
    expect(csp).toContain("worker-src 'self'");
    expect(csp).toContain("trusted-types guichet-worker");
  });

  it("keeps « Se connecter » disabled before the pre-queue opens", async () => {
    const id = uniqueEvent("pqshut");
    await createEvent(id, { prequeueOpensAt: new Date(Date.now() + 30_000).toISOString(), opensAt: new Date(Date.now() + 60_000).toISOString() });
    const html = await (await gateway(`/guichet/?event=${id}`)).text();
    expect(html).toMatch(/<button id="enter" type="button" disabled/);
    expect(html).toMatch(/<p id="pq-open" hidden/);
  });
});

describe("the fairness page", () => {
  it("explains the draw in French and English with a strict CSP, and serves its checker and the puzzle worker", async () => {
    const id = uniqueEvent("fpage");
    await createEvent(id);
    const fr = await gateway(`/guichet/fairness?event=${id}`);
    expect(fr.status).toBe(200);
    const html = await fr.text();
    expect(html).toContain("Vérifier le tirage");
    expect(html).toContain(`/guichet/api/fairness?event=${id}`);
    expect(fr.headers.get("content-security-policy")).toMatch(/script-src 'nonce-[^']+'; style-src 'nonce-[^']+'/);
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    const en = await (await gateway(`/guichet/fairness?event=${id}&lang=en`)).text();
    expect(en).toContain("Check the pre-queue");
    const tags = html.match(/<(script|style)\b[^>]*>/g)!;
    expect(tags).toHaveLength(3);
    const nonce = /script-src 'nonce-([^']+)'/.exec(fr.headers.get("content-security-policy")!)![1];
    for (const tag of tags) expect(tag).toContain(`nonce="${nonce}"`);
    for (const [page, ok] of [[html, "Vérifié"], [en, "Checked"]] as const) {
      const data = JSON.parse(/<script type="application\/json" id="fairness-data"[^>]*>(.*?)<\/script>/s.exec(page)![1]!);
      expect(data.api).toBe(`/guichet/api/fairness?event=${id}`);
      expect(data.strings.ok).toMatch(new RegExp(`^${ok}`));
    }
    expect(html).toContain(`<pre>node scripts/verify-shuffle.mjs https://guichet.test/guichet/api/fairness?event=${id}</pre>`);
    for (const path of ["/guichet/assets/fairness.js", "/guichet/assets/pow.js"]) {
      const res = await gateway(path);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/javascript/);
      expect((await res.text()).length).toBeGreaterThan(200);
    }
  });
});
