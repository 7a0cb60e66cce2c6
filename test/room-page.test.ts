// GET /guichet/ as HTML: the state rendered by the server, both languages,
// the nonce-based CSP, cache headers, the script asset and the bytes.
import { describe, expect, it } from "vitest";
import type { StatusBody } from "../src/line/status";
import { formatOpening, formatWait, statusFields } from "../src/pages/room/format";
import { roomStrings } from "../src/pages/room/strings";
import { ROOM_SCRIPT_PATH, ROOM_SCRIPT_VERSION } from "../src/routes/room";
import { claim, cookieOf, createEvent, enter, gateway, room, tick, uniqueEvent } from "./helpers";

// 12:30 UTC on 13 June is 8:30 in Montreal (summer time).
const OPENS_AT = "2099-06-13T12:30:00.000Z";
const DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36";
const PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1";

async function page(path: string, init: RequestInit & { cookie?: string } = {}) {
  const headers = new Headers(init.headers);
  if (!headers.has("user-agent")) headers.set("user-agent", DESKTOP);
  const res = await gateway(path, { ...init, headers });
  return { res, html: await res.text() };
}

/** Whether the element with this id carries the `hidden` attribute. */
function isHidden(html: string, id: string): boolean {
  const tag = html.match(new RegExp(`<[a-z0-9]+ id="${id}"[^>]*>`));
  if (!tag) throw new Error(`no element #${id}`);
  return / hidden(=""|\b)/.test(tag[0]);
}

async function gzipSize(text: string): Promise<number> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

function beforeOpenEvent() {
  const id = uniqueEvent("page");
  return createEvent(id, { opensAt: OPENS_AT }).then(() => id);
}

describe("GET /guichet/ (page)", () => {
  it("is French by default, before opening: the opening in Montreal time, a countdown, a disabled button, the reminder", async () => {
    const id = await beforeOpenEvent();
    const { res, html } = await page(`/guichet/?event=${id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain('<html lang="fr">');
    expect(html).toContain("13 juin à 8 h 30");
    expect(html).toContain("heure de Montréal");
    expect(html).toMatch(/<button id="enter" type="button" disabled="">Se connecter<\/button>/);
    expect(isHidden(html, "s-before_open")).toBe(false);
    expect(isHidden(html, "s-waiting")).toBe(true);
    expect(isHidden(html, "reminder")).toBe(false);
    expect(html).toContain("ordinateur personnel");
    expect(html).toContain("carte de crédit");
    expect(html).toContain("10 minutes");
    expect(html).toMatch(/data-f="countdown">\d+ j \d\d:\d\d:\d\d</);
    // Landmarks, a heading, live regions.
    for (const landmark of ["<header", "<main", "<nav", "<footer", "<h1>", 'aria-live="polite"', 'aria-live="assertive"']) {
      expect(html).toContain(landmark);
    }
    expect(isHidden(html, "device")).toBe(true);
  });

  it("is English with ?lang=en and with Accept-Language: en", async () => {
    const id = await beforeOpenEvent();
    for (const r of [
      await page(`/guichet/?event=${id}&lang=en`),
      await page(`/guichet/?event=${id}`, { headers: { "accept-language": "en-CA,en;q=0.9,fr;q=0.5" } }),
    ]) {
      expect(r.html).toContain('<html lang="en">');
      expect(r.html).toContain("Join the line");
      expect(r.html).toContain("June 13 at 8:30 a.m.");
      expect(r.html).toContain("Montreal time");
      expect(r.html).not.toContain("Se connecter</button>");
      // The link to the other language keeps the event.
      expect(r.html).toMatch(new RegExp(`href="\\?event=${id}&amp;lang=fr"[^>]*>Français`));
    }
    // ?lang=fr wins over an English browser.
    const fr = await page(`/guichet/?event=${id}&lang=fr`, { headers: { "accept-language": "en" } });
    expect(fr.html).toContain('<html lang="fr">');
  });

  it("has a strict CSP with a fresh nonce per response, and no inline handlers", async () => {
    const id = await beforeOpenEvent();
    const a = await page(`/guichet/?event=${id}`);
    const b = await page(`/guichet/?event=${id}`);
    const csp = a.res.headers.get("content-security-policy")!;
    const nonce = csp.match(/script-src 'nonce-([A-Za-z0-9+/=]+)'/)?.[1];
    expect(nonce).toBeTruthy();
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`style-src 'nonce-${nonce}'`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(b.res.headers.get("content-security-policy")).not.toContain(nonce!);
    // Every script and style carries this response's nonce; none runs inline.
    const scripts = a.html.match(/<script[^>]*>/g) ?? [];
    expect(scripts.length).toBe(2);
    for (const tag of [...scripts, ...(a.html.match(/<style[^>]*>/g) ?? [])]) expect(tag).toContain(`nonce="${nonce}"`);
    expect(a.html).toContain(`<script src="${ROOM_SCRIPT_PATH}?v=${ROOM_SCRIPT_VERSION}" nonce="${nonce}" defer="">`);
    expect(a.html).not.toMatch(/<[^>]+\son[a-z]+=/i);
    expect(a.html).not.toMatch(/<[^>]+\sstyle=/i);
    expect(a.res.headers.get("x-frame-options")).toBe("DENY");
  });

  it("is personal, so not stored; the script is static and cached for a year under its version", async () => {
    const id = await beforeOpenEvent();
    const { res } = await page(`/guichet/?event=${id}`);
    expect(res.headers.get("cache-control")).toBe("no-store");

    const script = await gateway(`${ROOM_SCRIPT_PATH}?v=${ROOM_SCRIPT_VERSION}`);
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(script.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const etag = script.headers.get("etag")!;
    expect(etag).toBe(`"${ROOM_SCRIPT_VERSION}"`);
    const text = await script.text();
    expect(text).toContain("use strict");
    expect(text).not.toMatch(/^import |^export /m);

    const again = await gateway(`${ROOM_SCRIPT_PATH}?v=${ROOM_SCRIPT_VERSION}`, { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
    await again.arrayBuffer();
    // An old or missing version: the current script, cached briefly only.
    const unversioned = await gateway(`${ROOM_SCRIPT_PATH}?v=old`);
    expect(unversioned.headers.get("cache-control")).toBe("public, max-age=300");
    await unversioned.arrayBuffer();
  });

  it("stays light: page and script sizes, raw and gzip", async () => {
    const id = await beforeOpenEvent();
    const { html } = await page(`/guichet/?event=${id}`);
    const script = await (await gateway(`${ROOM_SCRIPT_PATH}?v=${ROOM_SCRIPT_VERSION}`)).text();
    const sizes = {
      page: { raw: new TextEncoder().encode(html).byteLength, gzip: await gzipSize(html) },
      script: { raw: new TextEncoder().encode(script).byteLength, gzip: await gzipSize(script) },
    };
    console.log(`room page sizes: ${JSON.stringify(sizes)}`);
    // About 12.5 KB and 17 KB today (the fair opening added the pre-queue and the
    // puzzle, issue 36 the turn's notification and the tab's flag), about 4.5 and
    // 5.6 KB on the wire: a failure here means look before growing. The whole
    // page as a browser loads it is held to 15 KB gzip by test/e2e/slow-network.e2e.test.ts.
    expect(sizes.page.raw).toBeLessThan(14_000);
    expect(sizes.page.gzip).toBeLessThan(5_000);
    expect(sizes.script.raw).toBeLessThan(18_000);
    expect(sizes.script.gzip).toBeLessThan(6_000);
  });

  it("warns a phone or a tablet at the entrance", async () => {
    const id = await beforeOpenEvent();
    const phone = await page(`/guichet/?event=${id}`, { headers: { "user-agent": PHONE } });
    expect(isHidden(phone.html, "device")).toBe(false);
    expect(phone.html).toContain("Attention : téléphone ou tablette");
    const hint = await page(`/guichet/?event=${id}`, { headers: { "sec-ch-ua-mobile": "?1" } });
    expect(isHidden(hint.html, "device")).toBe(false);
  });

  it("renders the waiting state of a ticket holder: number, position, ahead, progress", async () => {
    const id = uniqueEvent("page-wait");
    await createEvent(id, { maxActive: 1 });
    await enter(id);
    await enter(id);
    const mine = await enter(id);
    await tick(id); // number 1 is called
    const { res, html } = await page(`/guichet/?event=${id}`, { cookie: mine.cookie! });
    expect(res.status).toBe(200);
    expect(isHidden(html, "s-waiting")).toBe(false);
    expect(isHidden(html, "entry")).toBe(true);
    expect(html).toContain('<dd data-f="number">3</dd>');
    expect(html).toContain('<dd data-f="position">2</dd>');
    expect(html).toContain('<dd data-f="ahead">1</dd>');
    expect(html).toMatch(/<progress id="bar" max="100" value="33"/);
    // The state is also in the page for the script, with `<` escaped.
    const data = JSON.parse(html.match(/<script type="application\/json" id="room-data"[^>]*>(.*?)<\/script>/s)![1]!);
    expect(data.status.state).toBe("waiting");
    expect(data.status.number).toBe(3);
    expect(data.lang).toBe("fr");
    expect(data.live.net).toBe("Connexion interrompue : reconnexion en cours… Votre numéro est conservé.");
  });

  it("renders the turn, then the closed room with the reason", async () => {
    const id = uniqueEvent("page-turn");
    await createEvent(id, { maxActive: 1 });
    const first = await enter(id);
    await tick(id);
    const turn = await page(`/guichet/?event=${id}`, { cookie: first.cookie! });
    expect(isHidden(turn.html, "s-your_turn")).toBe(false);
    expect(turn.html).toContain("<title>C&#39;est votre tour ! — Salle d&#39;attente</title>");
    expect(turn.html).toMatch(/Votre tour est réservé jusqu&#39;à \d+ h \d\d \(heure de Montréal\)/);

    await room(id).close("closed_by_operator");
    await tick(id);
    const closed = await page(`/guichet/?event=${id}`, { cookie: first.cookie! });
    expect(isHidden(closed.html, "s-closed")).toBe(false);
    expect(isHidden(closed.html, "c-operator")).toBe(false);
    expect(isHidden(closed.html, "c-quota")).toBe(true);
    const other = await page(`/guichet/?event=${id}&lang=en`);
    expect(other.html).toContain("The Ministry has closed the intake");
  });

  it("renders an admission with its end in Montreal time, then its expiry with a way back into the line", async () => {
    const id = uniqueEvent("page-admitted");
    await createEvent(id, { maxActive: 1, admissionSeconds: 600 });
    const first = await enter(id);
    await tick(id);
    const claimed = await claim(id, first.cookie!);
    expect(claimed.res.status).toBe(200);
    const admitted = await page(`/guichet/?event=${id}`, { cookie: first.cookie! });
    expect(isHidden(admitted.html, "s-admitted")).toBe(false);
    expect(isHidden(admitted.html, "o-none")).toBe(false);
    expect(admitted.html).toMatch(/Votre session de 10 minutes se termine à \d+ h \d\d \(heure de Montréal\)/);
    expect(admitted.html).toMatch(/<a class="button" href="\/connexion">Aller à la page de connexion<\/a>/);

    // Past the admission and its margin: expired.
    await room(id).advanceClock(631_000);
    await tick(id);
    const expired = await page(`/guichet/?event=${id}`, { cookie: first.cookie! });
    expect(isHidden(expired.html, "s-expired")).toBe(false);
    expect(expired.html).toContain('<button id="retry" type="button">Prendre un nouveau numéro</button>');
  });

  it("shows the operators' banner, escaped, in the page and in the script's data", async () => {
    const id = await beforeOpenEvent();
    const banner = `Maintenance à 9 h </script><script>alert(1)</script> & "fin"`;
    const r = await room(id).configure({ banner }, { source: "test" });
    expect(r.ok).toBe(true);
    await tick(id);
    const { html } = await page(`/guichet/?event=${id}`);
    expect(isHidden(html, "banner")).toBe(false);
    expect(html).toContain("Maintenance à 9 h &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;fin&quot;");
    expect(html.match(/<script/g)!.length).toBe(2);
    expect(html).toContain("\\u003c/script>\\u003cscript>");
  });
});

describe("GET /guichet/ with Accept: application/json", () => {
  it("is the status body, as before (no page, no device for a person without a number)", async () => {
    const id = await beforeOpenEvent();
    const res = await gateway(`/guichet/?event=${id}`, { headers: { accept: "application/json", "user-agent": PHONE } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
    const body = (await res.json()) as StatusBody;
    expect(body.state).toBe("before_open");
    expect(body.opensAt).toBe(OPENS_AT);
    expect("device" in body).toBe(false);

    const open = uniqueEvent("page-json");
    await createEvent(open);
    const entered = await enter(open);
    const mine = await gateway(`/guichet/?event=${open}`, { headers: { accept: "application/json" }, cookie: entered.cookie! });
    const status = (await mine.json()) as StatusBody;
    expect(status.state).toBe("waiting");
    expect(status.number).toBe(1);
    expect(cookieOf(mine, "guichet_ticket")).toBeNull();
  });
});

describe("room page formatting (fr-CA, en-CA, America/Montreal)", () => {
  it("formats numbers, times, waits and the turn's deadline", () => {
    // Intl puts no-break spaces in units and thousands.
    const sp = (text: string) => text.replace(/[\u00a0\u202f]/g, " ");
    const fr = roomStrings("fr").live;
    const en = roomStrings("en").live;
    expect(formatOpening(Date.parse("2016-06-13T12:30:00Z"), "fr-CA")).toBe("13 juin à 8 h 30");
    expect(formatOpening(Date.parse("2016-06-13T12:30:00Z"), "en-CA")).toBe("June 13 at 8:30 a.m.");
    expect(formatWait(30, "fr-CA", fr)).toBe("moins d'une minute");
    expect(sp(formatWait(540, "fr-CA", fr))).toBe("environ 9 minutes");
    expect(sp(formatWait(4800, "fr-CA", fr))).toBe("environ 1 heure 20 minutes");
    expect(sp(formatWait(7200, "en-CA", en))).toBe("about 2 hours");
    const status: StatusBody = {
      event: "e",
      state: "your_turn",
      number: 4812,
      position: 312,
      ahead: 311,
      servingNumber: 4500,
      waitingCount: 38211,
      estimatedWaitSeconds: 540,
      opensAt: "2016-06-13T12:30:00.000Z",
      admissionExpiresAt: null,
      claimDeadline: "2016-06-13T12:42:00.000Z",
      quota: { total: 5100, accepted: 3050, closed: false },
      pollAfterMs: 2000,
      paused: false,
      closedReason: null,
      outcome: null,
      banner: null,
      prequeue: null,
      powDifficulty: 0,
    };
    const f = statusFields(status, Date.parse("2016-06-13T12:30:05Z"), "fr-CA", fr);
    expect(sp(f.number)).toBe("4 812");
    expect(sp(f.waitingCount)).toBe("38 211 personnes attendent dans la file.");
    expect(sp(f.progress)).toBe("94 %");
    expect(sp(f.quota)).toBe("Demandes acceptées : 3 050 sur 5 100.");
    expect(f.claimBy).toBe("Votre tour est réservé jusqu'à 8 h 42 (heure de Montréal).");
    expect(f.updated).toBe("8 h 30 min 05 s");
    const e = statusFields(status, Date.parse("2016-06-13T12:30:05Z"), "en-CA", en);
    expect(e.number).toBe("4,812");
    expect(e.claimBy).toBe("Your turn is held until 8:42 a.m. (Montreal time).");
  });
});
