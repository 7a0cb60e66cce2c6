// GET /guichet/ops/: the operators' dashboard shell. It holds no data and
// almost no words: its script (the ES modules in public/guichet/ops/assets/
// dashboard/, static assets served with uPlot and eventsource-parser and never
// bundled into the Worker, which keeps the Worker small) carries the French
// and English strings, fills every `data-i18n` element, asks for the
// OPS_TOKEN once (sessionStorage), and reads the live metrics from the SSE
// stream with fetch() so the token travels in a header, never in a URL.
// Strict CSP: scripts and styles only with this response's nonce (a module's
// imports inherit it; styles also from this origin), no inline handlers.
import type { Context } from "hono";
import type { Child } from "hono/jsx";
import { eventIdOf, type AppEnv } from "../../http/context";
import type { Lang } from "../../http/errors";
import { cspNonce, pageCsp } from "../../http/security";
import { htmlDocument, Page } from "../html";

const ASSETS = "/guichet/ops/assets";

const CARDS = [
  "entered", "waiting", "called", "admitted", "active", "used", "expired", "noShows", "left",
  "accepted", "placesLeft", "duplicates", "devices", "arrivalsPerMinute", "callsPerMinute",
  "submissionsPerMinute", "waitP50", "waitP95", "eta", "oldest", "originFailures", "doCalls",
];
const CHARTS: [id: string, title: string][] = [
  ["rates", "chartRates"],
  ["waiting", "chartWaiting"],
  ["active", "chartActive"],
  ["quota", "chartQuota"],
  ["wait", "chartWait"],
];
const NUMBER_FIELDS: [name: string, limits: { min: string; max?: string; step: string }][] = [
  ["quota", { min: "1", step: "1" }],
  ["admissionSeconds", { min: "10", step: "1" }],
  ["maxActive", { min: "1", step: "1" }],
  ["admitPerMinute", { min: "1", step: "1" }],
  ["overbook", { min: "1", max: "2", step: "0.01" }],
  ["noShowGraceSeconds", { min: "5", step: "1" }],
];
const AUDIT_COLUMNS = ["auditAt", "auditActor", "auditAction", "auditChange"];

/** A labelled control whose label the script fills from its strings. */
function Field(p: { name: string; class?: string; children: Child }) {
  return (
    <label class={p.class}>
      <span data-i18n={p.name}></span>
      {p.children}
    </label>
  );
}

/** A section headed by its translated name (`h-<name>` labels it). */
function Section(p: { name: string; children: Child }) {
  return (
    <section aria-labelledby={`h-${p.name}`}>
      <h2 id={`h-${p.name}`} data-i18n={p.name}></h2>
      {p.children}
    </section>
  );
}

/** A modal dialog around a form, with a translated title and help. */
function Dialog(p: { id: string; form: string; title: string; help: string; children: Child }) {
  return (
    <dialog id={p.id}>
      <form method="dialog" id={p.form}>
        <h2 data-i18n={p.title}></h2>
        <p data-i18n={p.help}></p>
        {p.children}
      </form>
    </dialog>
  );
}

/** A dialog that goes on only once the event's id is typed (closing the intake, or a change that would). */
function TypedConfirmation(p: { id: string; form: string; title: string; help: string; eventId: string; cancel: string; confirm: string; confirmLabel: string; children?: Child }) {
  return (
    <Dialog id={p.id} form={p.form} title={p.title} help={p.help}>
      {p.children}
      <label>
        <span class="mono">{p.eventId}</span>
        <input type="text" name="confirm" autocomplete="off" spellcheck={false} />
      </label>
      <div class="actions">
        <button type="button" id={p.cancel} data-i18n="cancel"></button>
        <button type="submit" id={p.confirm} class="danger" data-i18n={p.confirmLabel} disabled></button>
      </div>
    </Dialog>
  );
}

function Dashboard(p: { lang: Lang; eventId: string; nonce: string }) {
  const head = (
    <>
      <meta name="robots" content="noindex" />
      <link rel="stylesheet" href={`${ASSETS}/vendor/uPlot.min.css`} nonce={p.nonce} />
      <link rel="stylesheet" href={`${ASSETS}/dashboard.css`} nonce={p.nonce} />
      <script src={`${ASSETS}/vendor/uPlot.iife.min.js`} nonce={p.nonce} defer></script>
      <script type="module" src={`${ASSETS}/dashboard/main.js`} nonce={p.nonce}></script>
    </>
  );
  const pageTitle = p.lang === "en" ? "Guichet — operations" : "Guichet — opérations";
  return (
    <Page lang={p.lang} title={pageTitle} nonce={p.nonce} head={head} body={{ "data-event": p.eventId, "data-lang": p.lang }}>
      <header class="top">
        <h1 data-i18n="title"></h1>
        <span class="event-id">{p.eventId}</span>
        <span id="phase" class="badge">…</span>
        <span id="paused" class="badge badge-warn" data-i18n="paused" hidden></span>
        <span id="conn" class="conn conn-wait" role="status" aria-live="polite" data-i18n="connecting"></span>
        <span id="updated" class="muted"></span>
        <nav>
          <a id="csv" href="#" data-i18n="csv"></a>
          <a id="csv-rfc" href="#" data-i18n="csvRfc"></a>
          <a id="other-lang" href="#"></a>
          <button type="button" id="logout" class="link" data-i18n="logout"></button>
        </nav>
      </header>
      <p id="banner-preview" class="banner" hidden></p>
      <main>
        <Section name="headline">
          <p id="active-warning" class="warning" role="alert" hidden></p>
          <div class="cards">
            {CARDS.map((id) => (
              <div class="card" id={`card-${id}`}>
                <span data-i18n={id} class="card-label"></span>
                <span class="card-value" data-metric={id}>
                  —
                </span>
              </div>
            ))}
          </div>
        </Section>
        <Section name="charts">
          <div class="charts">
            {CHARTS.map(([id, title]) => (
              <figure class="chart">
                <figcaption data-i18n={title}></figcaption>
                <div id={`chart-${id}`} class="chart-area"></div>
              </figure>
            ))}
          </div>
        </Section>
        <div class="columns">
          <Section name="settings">
            <form id="settings" class="settings" novalidate>
              {NUMBER_FIELDS.map(([name, limits]) => (
                <Field name={name}>
                  <input type="number" name={name} required {...limits} />
                </Field>
              ))}
              <Field name="opensAt">
                <input type="text" name="opensAt" placeholder="2016-06-13T08:30:00-04:00" spellcheck={false} />
              </Field>
              <Field name="banner" class="wide">
                <textarea name="banner" rows={2} maxlength={500}></textarea>
              </Field>
              <fieldset class="wide">
                <legend data-i18n="routePolicy"></legend>
                {["Open", "Protected", "Closed"].map((kind) => (
                  <Field name={`route${kind}`}>
                    <textarea name={`route-${kind.toLowerCase()}`} rows={4} spellcheck={false}></textarea>
                  </Field>
                ))}
                <Field name="routeClosedUntil">
                  <input type="text" name="route-closedUntil" spellcheck={false} />
                </Field>
              </fieldset>
              <div class="wide actions">
                <button type="submit" class="primary" data-i18n="apply"></button>
                <span id="settings-result" role="status" aria-live="polite"></span>
              </div>
            </form>
          </Section>
          <Section name="controls">
            <div class="controls">
              <button type="button" id="pause" data-i18n="pause"></button>
              <button type="button" id="resume" data-i18n="resume" hidden></button>
              <button type="button" id="close" class="danger" data-i18n="close"></button>
              <span id="control-result" role="status" aria-live="polite"></span>
            </div>
            <h2 id="h-audit" data-i18n="audit"></h2>
            <div class="audit-wrap">
              <table class="audit" aria-labelledby="h-audit">
                <thead>
                  <tr>
                    {AUDIT_COLUMNS.map((key) => (
                      <th data-i18n={key}></th>
                    ))}
                  </tr>
                </thead>
                <tbody id="audit"></tbody>
              </table>
            </div>
          </Section>
        </div>
      </main>
      <Dialog id="login" form="login-form" title="loginTitle" help="loginHelp">
        <Field name="loginLabel">
          <input type="password" name="token" autocomplete="off" required />
        </Field>
        <p id="login-error" class="error" data-i18n="loginRefused" hidden></p>
        <button type="submit" class="primary" data-i18n="loginSubmit"></button>
      </Dialog>
      <TypedConfirmation id="confirm-close" form="close-form" title="closeTitle" help="closeHelp" eventId={p.eventId} cancel="close-cancel" confirm="close-confirm" confirmLabel="closeConfirm" />
      <TypedConfirmation id="confirm-change" form="change-form" title="confirmChangeTitle" help="confirmChangeHelp" eventId={p.eventId} cancel="change-cancel" confirm="change-confirm" confirmLabel="confirmChange">
        <p id="confirm-change-reason" class="error"></p>
      </TypedConfirmation>
      <noscript>
        <p>JavaScript est nécessaire. / JavaScript is required.</p>
      </noscript>
    </Page>
  );
}

export function dashboardPage(c: Context<AppEnv>): Response {
  const lang = c.get("lang");
  const nonce = cspNonce();
  return new Response(htmlDocument(<Dashboard lang={lang} eventId={eventIdOf(c)} nonce={nonce} />), {
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      "Cache-Control": "no-store",
      "Content-Security-Policy": pageCsp(nonce, { scripts: [], styles: ["'self'"], connect: ["'self'"], images: ["'self'", "data:"] }),
      "Content-Language": lang,
      Vary: "Accept-Language",
    },
  });
}
