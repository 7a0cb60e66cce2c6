// GET /guichet/fairness: how the pre-queue's draw works and a button that
// checks it in the browser (the same check as scripts/verify-shuffle.mjs).
import { Hono } from "hono";
import { eventIdOf, type AppEnv } from "../http/context";
import { scriptAsset, serveScript } from "../pages/assets";
import checker from "../pages/fairness/fairness.client.js?raw";

const CHECKER = scriptAsset("/guichet/assets/fairness.js", checker);
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

const TEXT = {
  fr: {
    title: "Vérifier le tirage de la pré-file",
    intro:
      "Quand une pré-file est prévue, Guichet publie avant son ouverture l'empreinte SHA-256 d'une graine secrète. À l'ouverture, chaque personne de la pré-file reçoit son numéro selon l'ordre de HMAC-SHA256(graine, identifiant public). La graine est alors révélée : n'importe qui peut refaire le calcul et le comparer aux numéros publiés.",
    yourId: "Votre identifiant public (affiché dans la salle d'attente, facultatif)",
    check: "Vérifier dans ce navigateur",
    script: "Ou en ligne de commande :",
    strings: {
      checking: "Vérification en cours…",
      notYet: "Le tirage n'a pas encore eu lieu : la graine sera révélée à l'ouverture.",
      badCommitment: "ÉCHEC : la graine révélée ne correspond pas à l'empreinte publiée.",
      ok: "Vérifié : l'empreinte correspond à la graine et les {n} numéros publiés correspondent au calcul.",
      mismatch: "ÉCHEC : {n} numéros publiés ne correspondent pas au calcul.",
      yours: "Votre numéro tiré : {number}.",
      notFound: "Votre identifiant n'est pas dans le tirage.",
      failed: "La vérification n'a pas pu être faite (connexion ?).",
    },
  },
  en: {
    title: "Check the pre-queue's draw",
    intro:
      "When a pre-queue is planned, Guichet publishes, before it opens, the SHA-256 digest of a secret seed. At the opening, everyone in the pre-queue gets their number in the order of HMAC-SHA256(seed, public id). The seed is then revealed: anyone can redo the computation and compare it with the published numbers.",
    yourId: "Your public id (shown in the waiting room, optional)",
    check: "Check in this browser",
    script: "Or from a command line:",
    strings: {
      checking: "Checking…",
      notYet: "The draw has not happened yet: the seed is revealed at the opening.",
      badCommitment: "FAILED: the revealed seed does not match the published digest.",
      ok: "Checked: the digest matches the seed and the {n} published numbers match the computation.",
      mismatch: "FAILED: {n} published numbers do not match the computation.",
      yours: "Your drawn number: {number}.",
      notFound: "Your id is not in the draw.",
      failed: "The check could not be done (connection?).",
    },
  },
};

export const fairness = new Hono<AppEnv>();

fairness.get("/fairness", (c) => {
  const eventId = eventIdOf(c);
  const lang = c.get("lang");
  const t = TEXT[lang];
  const api = `/guichet/api/fairness?event=${encodeURIComponent(eventId)}`;
  const nonce = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
  const data = JSON.stringify({ api, strings: t.strings }).replace(/</g, "\\u003c");
  c.header(
    "Content-Security-Policy",
    `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  );
  c.header("Cache-Control", "public, max-age=60");
  return c.html(`<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(t.title)}</title>
<style nonce="${nonce}">body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#f5f7fa}main{max-width:44rem;margin:2rem auto;padding:2rem;background:#fff;border-top:6px solid #095797}code,pre{background:#eef2f6;padding:.1rem .3rem;overflow-wrap:anywhere}pre{padding:.6rem;white-space:pre-wrap}button{font:inherit;padding:.5rem 1rem;background:#095797;color:#fff;border:0;border-radius:4px}button:disabled{opacity:.6}input{font:inherit;width:100%;padding:.4rem}.ok{color:#1b5e20}.bad{color:#b71c1c;font-weight:bold}</style>
</head><body><main>
<h1>${escapeHtml(t.title)}</h1>
<p>${escapeHtml(t.intro)}</p>
<p><label for="mine">${escapeHtml(t.yourId)}</label><br><input id="mine" autocomplete="off" spellcheck="false"></p>
<p><button id="check" type="button">${escapeHtml(t.check)}</button></p>
<p id="result" role="status" aria-live="polite"></p>
<p>${escapeHtml(t.script)}</p>
<pre>node scripts/verify-shuffle.mjs ${escapeHtml(new URL(api, c.req.url).href)}</pre>
</main>
<script id="fairness-data" type="application/json">${data}</script>
<script src="${CHECKER.url}" nonce="${nonce}" defer></script>
</body></html>`);
});

fairness.get("/assets/fairness.js", (c) => serveScript(c, CHECKER));
