// GET /guichet/ops/: the operators' dashboard shell. It holds no data and
// almost no words: its script (public/guichet/ops/assets/dashboard.js, a
// static asset served with uPlot and never bundled into the Worker, which
// keeps the Worker small) carries the French and English strings, fills every
// `data-i18n` element, asks for the OPS_TOKEN once (sessionStorage), and reads
// the live metrics from the SSE stream with fetch() so the token travels in a
// header, never in a URL. Strict CSP: scripts and styles only with this
// response's nonce (styles also from this origin), no inline handlers.
import type { Context } from "hono";
import { eventIdOf, type AppEnv } from "../../http/context";

export const ASSETS = "/guichet/ops/assets";

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

const CARDS = [
  "entered", "waiting", "called", "admitted", "active", "used", "expired", "noShows", "left",
  "accepted", "placesLeft", "duplicates", "devices", "arrivalsPerMinute", "callsPerMinute",
  "submissionsPerMinute", "waitP50", "waitP95", "eta", "oldest", "doCalls",
];
const CHARTS: [id: string, title: string][] = [
  ["rates", "chartRates"],
  ["waiting", "chartWaiting"],
  ["active", "chartActive"],
  ["quota", "chartQuota"],
  ["wait", "chartWait"],
];
const NUMBER_FIELDS: [name: string, attrs: string][] = [
  ["quota", 'min="1" step="1"'],
  ["admissionSeconds", 'min="10" step="1"'],
  ["maxActive", 'min="1" step="1"'],
  ["admitPerMinute", 'min="1" step="1"'],
  ["overbook", 'min="1" max="2" step="0.01"'],
  ["noShowGraceSeconds", 'min="5" step="1"'],
];

const i18n = (key: string, tag = "span", attrs = "") => `<${tag} data-i18n="${key}"${attrs ? ` ${attrs}` : ""}></${tag}>`;
const field = (name: string, control: string, cls = "") => `<label${cls ? ` class="${cls}"` : ""}>${i18n(name)}${control}</label>`;

function body(eventId: string): string {
  const ev = escapeHtml(eventId);
  return `<header class="top">
<h1 data-i18n="title"></h1><span class="event-id">${ev}</span>
<span id="phase" class="badge">…</span><span id="paused" class="badge badge-warn" data-i18n="paused" hidden></span>
<span id="conn" class="conn conn-wait" role="status" aria-live="polite" data-i18n="connecting"></span><span id="updated" class="muted"></span>
<nav><a id="csv" href="#" data-i18n="csv"></a><a id="other-lang" href="#"></a><button type="button" id="logout" class="link" data-i18n="logout"></button></nav>
</header>
<p id="banner-preview" class="banner" hidden></p>
<main>
<section aria-labelledby="h-headline"><h2 id="h-headline" data-i18n="headline"></h2><div class="cards">
${CARDS.map((id) => `<div class="card" id="card-${id}">${i18n(id, "span", 'class="card-label"')}<span class="card-value" data-metric="${id}">—</span></div>`).join("")}
</div></section>
<section aria-labelledby="h-charts"><h2 id="h-charts" data-i18n="charts"></h2><div class="charts">
${CHARTS.map(([id, title]) => `<figure class="chart">${i18n(title, "figcaption")}<div id="chart-${id}" class="chart-area"></div></figure>`).join("")}
</div></section>
<div class="columns">
<section aria-labelledby="h-settings"><h2 id="h-settings" data-i18n="settings"></h2>
<form id="settings" class="settings" novalidate>
${NUMBER_FIELDS.map(([name, attrs]) => field(name, `<input type="number" name="${name}" required ${attrs}>`)).join("")}
${field("opensAt", '<input type="text" name="opensAt" placeholder="2016-06-13T08:30:00-04:00" spellcheck="false">')}
${field("banner", '<textarea name="banner" rows="2" maxlength="500"></textarea>', "wide")}
<fieldset class="wide">${i18n("routePolicy", "legend")}
${field("routeOpen", '<textarea name="route-open" rows="4" spellcheck="false"></textarea>')}
${field("routeProtected", '<textarea name="route-protected" rows="4" spellcheck="false"></textarea>')}
${field("routeClosed", '<textarea name="route-closed" rows="4" spellcheck="false"></textarea>')}
${field("routeClosedUntil", '<input type="text" name="route-closedUntil" spellcheck="false">')}
</fieldset>
<div class="wide actions"><button type="submit" class="primary" data-i18n="apply"></button><span id="settings-result" role="status" aria-live="polite"></span></div>
</form></section>
<section aria-labelledby="h-controls"><h2 id="h-controls" data-i18n="controls"></h2>
<div class="controls"><button type="button" id="pause" data-i18n="pause"></button><button type="button" id="resume" data-i18n="resume" hidden></button>
<button type="button" id="close" class="danger" data-i18n="close"></button><span id="control-result" role="status" aria-live="polite"></span></div>
<h2 id="h-audit" data-i18n="audit"></h2>
<div class="audit-wrap"><table class="audit" aria-labelledby="h-audit"><thead><tr>${["auditAt", "auditActor", "auditAction", "auditChange"].map((k) => i18n(k, "th")).join("")}</tr></thead><tbody id="audit"></tbody></table></div>
</section>
</div>
</main>
<dialog id="login"><form method="dialog" id="login-form"><h2 data-i18n="loginTitle"></h2><p data-i18n="loginHelp"></p>
${field("loginLabel", '<input type="password" name="token" autocomplete="off" required>')}
<p id="login-error" class="error" data-i18n="loginRefused" hidden></p><button type="submit" class="primary" data-i18n="loginSubmit"></button></form></dialog>
<dialog id="confirm-close"><form method="dialog" id="close-form"><h2 data-i18n="closeTitle"></h2><p data-i18n="closeHelp"></p>
<label><span class="mono">${ev}</span><input type="text" name="confirm" autocomplete="off" spellcheck="false"></label>
<div class="actions"><button type="button" id="close-cancel" data-i18n="cancel"></button><button type="submit" id="close-confirm" class="danger" data-i18n="closeConfirm" disabled></button></div></form></dialog>
<noscript><p>JavaScript est nécessaire. / JavaScript is required.</p></noscript>`;
}

export function dashboardPage(c: Context<AppEnv>): Response {
  const lang = c.get("lang");
  const eventId = eventIdOf(c);
  const nonce = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
  const html = `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
<title>${lang === "en" ? "Guichet — operations" : "Guichet — opérations"}</title>
<link rel="stylesheet" href="${ASSETS}/vendor/uPlot.min.css" nonce="${nonce}"><link rel="stylesheet" href="${ASSETS}/dashboard.css" nonce="${nonce}">
<script src="${ASSETS}/vendor/uPlot.iife.min.js" nonce="${nonce}" defer></script><script src="${ASSETS}/dashboard.js" nonce="${nonce}" defer></script>
</head><body data-event="${escapeHtml(eventId)}" data-lang="${lang}">
${body(eventId)}
</body></html>`;
  return new Response(html, {
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      "Cache-Control": "no-store",
      "Content-Security-Policy": [
        "default-src 'none'",
        `script-src 'nonce-${nonce}'`,
        `style-src 'self' 'nonce-${nonce}'`,
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
      ].join("; "),
      "Content-Language": lang,
      Vary: "Accept-Language",
    },
  });
}
