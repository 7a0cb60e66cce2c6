// GET /guichet/: the candidate's waiting-room page. The server renders the
// current state (so the page is useful before its script arrives); the script
// (room.client.js) then keeps it up to date, plays the turn's sound, claims
// and redirects. Every state's panel is in the page, the others hidden, so the
// script only toggles panels and fills `data-f` fields.
import { raw } from "hono/html";
import type { Lang } from "../../http/errors";
import type { CandidateState, StatusBody } from "../../line/status";
import { DataScript, fillNodes, htmlDocument } from "../html";
import { ROOM_CSS } from "./styles";
import { localeOf, progressPercent, statusFields } from "./format";
import { roomStrings } from "./strings";

export interface RoomPageProps {
  lang: Lang;
  status: StatusBody;
  /** The server's clock when rendering (the script corrects its own from it). */
  now: number;
  /** This response's CSP nonce. */
  nonce: string;
  /** The page script's URL, with its version. */
  scriptSrc: string;
  /** The entry puzzle's worker script URL. */
  powWorker: string;
  /** Cloudflare Turnstile's site key, where Turnstile is configured. */
  turnstileSiteKey: string | null;
  /** Where an admitted candidate signs in (LOGIN_PATH). */
  loginPath: string;
  /** The same page in the other language. */
  otherLangHref: string;
}

/** What the script receives: the state, the clock, and the strings it writes. */
export interface RoomData {
  lang: Lang;
  now: number;
  status: StatusBody;
  login: string;
  powWorker: string;
  icons: typeof ROOM_ICONS;
  live: ReturnType<typeof roomStrings>["live"];
}

/**
 * The tab's icons: static files (public/guichet/assets/), so the CSP's
 * `img-src 'self'` admits them and 60,000 tabs fetching one cost no Worker.
 * The turn's icon flags the tab until the candidate looks at it.
 */
export const ROOM_ICONS = { idle: "/guichet/assets/icon.svg", turn: "/guichet/assets/icon-turn.svg" };

/** Before the opening, while the pre-queue is open and this person is not in it yet. */
export function prequeueJoinable(s: StatusBody, now: number): boolean {
  return s.state === "before_open" && s.prequeue !== null && !s.prequeue.drawn && !s.prequeue.publicId && now >= Date.parse(s.prequeue.opensAt);
}

export function renderRoomPage(p: RoomPageProps): string {
  return htmlDocument(<RoomPage {...p} />);
}

function RoomPage(p: RoomPageProps) {
  const t = roomStrings(p.lang);
  const s = p.status;
  const f = statusFields(s, p.now, localeOf(p.lang), t.live);
  /** `hidden` for an element shown only in these states. */
  const hiddenUnless = (...states: CandidateState[]) => !states.includes(s.state);
  const phoneOrTablet = s.device === "mobile" || s.device === "tablet";
  const data: RoomData = { lang: p.lang, now: p.now, status: s, login: p.loginPath, powWorker: p.powWorker, icons: ROOM_ICONS, live: t.live };
  const other = p.lang === "en" ? "fr" : "en";
  return (
    <html lang={p.lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{s.state === "your_turn" ? t.live.titleTurn : t.htmlTitle}</title>
        <link id="icon" rel="icon" type="image/svg+xml" href={ROOM_ICONS.idle} />
        <style nonce={p.nonce}>{raw(ROOM_CSS)}</style>
      </head>
      <body>
        <header class="top">
          <p class="brand">{t.brand}</p>
          <nav aria-label={t.otherLangLabel}>
            <a href={p.otherLangHref} lang={other} hreflang={other}>
              {t.otherLang}
            </a>
          </nav>
        </header>
        <main id="main">
          <h1>{t.h1}</h1>
          <noscript>
            <p class="banner">{t.noscript}</p>
          </noscript>

          <section id="banner" class="banner" aria-label={t.bannerLabel} hidden={!s.banner}>
            <p id="banner-text">{s.banner ?? ""}</p>
          </section>

          <section id="device" class="warn" aria-labelledby="device-h" hidden={!phoneOrTablet || s.state === "closed"}>
            <h2 id="device-h">{t.deviceTitle}</h2>
            <p>{t.deviceText}</p>
          </section>

          <p id="net" class="net" hidden>
            {t.live.net}
          </p>

          <section id="s-before_open" class="panel" aria-labelledby="h-before_open" hidden={hiddenUnless("before_open")}>
            <h2 id="h-before_open" tabindex={-1}>{t.beforeTitle}</h2>
            <p id="when" hidden={s.opensAt === null}>
              {fillNodes(t.beforeWhen, { date: <strong data-f="opensAt">{f.opensAt}</strong>, zone: t.live.zone })}
            </p>
            <p id="unscheduled" hidden={s.opensAt !== null}>
              {t.notScheduled}
            </p>
            <p class="countdown" role="timer" hidden={s.opensAt === null}>
              {t.countdownLabel} <strong data-f="countdown">{f.countdown}</strong>
            </p>
            <p id="bt" hidden={s.prequeue !== null}>
              {t.beforeText}
            </p>
            <p id="pq-open" hidden={!prequeueJoinable(s, p.now)}>
              {t.prequeueOpen}
            </p>
            <p id="pq-in" hidden={!s.prequeue?.publicId}>
              {t.prequeueIn} <code data-f="publicId">{s.prequeue?.publicId ?? ""}</code>{" "}
              <a href={`/guichet/fairness?event=${encodeURIComponent(s.event)}${p.lang === "en" ? "&lang=en" : ""}`}>{t.prequeueVerify}</a>
            </p>
          </section>

          <section id="s-not_entered" class="panel" aria-labelledby="h-not_entered" hidden={hiddenUnless("not_entered")}>
            <h2 id="h-not_entered" tabindex={-1}>{t.openTitle}</h2>
            <p>{t.openText}</p>
            <p data-f="waitingCount">{f.waitingCount}</p>
          </section>

          <div id="entry" class="entry" hidden={hiddenUnless("before_open", "not_entered")}>
            <button id="enter" type="button" disabled={s.state !== "not_entered" && !prequeueJoinable(s, p.now)}>
              {t.enter}
            </button>
            {p.turnstileSiteKey && <div class="cf-turnstile" data-sitekey={p.turnstileSiteKey} />}
            <p id="entry-msg" role="status"></p>
          </div>

          <section id="s-waiting" class="panel" aria-labelledby="h-waiting" hidden={hiddenUnless("waiting")}>
            <h2 id="h-waiting" tabindex={-1}>{t.waitingTitle}</h2>
            <dl class="facts">
              <Fact big label={t.number} field="number" value={f.number} />
              <Fact label={t.position} field="position" value={f.position} />
              <Fact label={t.ahead} field="ahead" value={f.ahead} />
              <Fact label={t.wait} field="wait" value={f.wait} />
            </dl>
            <p id="bar-label">
              {t.progress} : <span data-f="progress">{f.progress}</span>
            </p>
            <progress id="bar" max="100" value={String(progressPercent(s.number, s.position))} aria-labelledby="bar-label"></progress>
            <p id="paused" class="banner" hidden={!s.paused}>
              {t.live.paused}
            </p>
            <p class="small">
              {t.updated} : <span data-f="updated">{f.updated}</span>
            </p>
            <p>{t.keepOpen}</p>
            <p id="notify-p" hidden>
              <button id="notify" type="button" class="second">
                {t.notifyOffer}
              </button>
            </p>
            <p id="notify-on" role="status" tabindex={-1} hidden>
              {t.notifyOn}
            </p>
            <p class="small">
              <span data-f="quota">{f.quota}</span> {t.quotaNote}
            </p>
          </section>

          <section id="s-your_turn" class="panel turn" aria-labelledby="h-your_turn" hidden={hiddenUnless("your_turn")}>
            <h2 id="h-your_turn" tabindex={-1}>{t.turnTitle}</h2>
            <p>{t.turnText}</p>
            <p id="deadline" data-f="claimBy">
              {f.claimBy}
            </p>
            <p id="go-p" hidden>
              <a id="go" class="button" href={p.loginPath}>
                {t.turnLink}
              </a>
            </p>
          </section>

          <section id="s-admitted" class="panel" aria-labelledby="h-admitted" hidden={hiddenUnless("admitted")}>
            <div id="o-none" hidden={s.outcome !== null}>
              <h2 id="h-admitted" tabindex={-1}>{t.admittedTitle}</h2>
              <p data-f="sessionEnds">{f.sessionEnds}</p>
              <p>{t.admittedText}</p>
              <p>
                <a class="button" href={p.loginPath}>
                  {t.turnLink}
                </a>
              </p>
            </div>
            <div id="o-submitted" hidden={s.outcome !== "submitted"}>
              <h2>{t.submittedTitle}</h2>
              <p>{t.submittedText}</p>
            </div>
            <div id="o-released" hidden={s.outcome !== "released"}>
              <h2>{t.releasedTitle}</h2>
              <p>{t.releasedText}</p>
            </div>
          </section>

          <section id="s-expired" class="panel" aria-labelledby="h-expired" hidden={hiddenUnless("expired")}>
            <h2 id="h-expired" tabindex={-1}>{t.expiredTitle}</h2>
            <p>{t.expiredText}</p>
            <p>
              <button id="retry" type="button">
                {t.retry}
              </button>
            </p>
            <p class="small">{t.retryText}</p>
          </section>

          <section id="s-closed" class="panel" aria-labelledby="h-closed" hidden={hiddenUnless("closed")}>
            <h2 id="h-closed" tabindex={-1}>{t.closedTitle}</h2>
            <p id="c-quota" hidden={s.closedReason === "closed_by_operator"}>
              {t.closedQuota}
            </p>
            <p id="c-operator" hidden={s.closedReason !== "closed_by_operator"}>
              {t.closedOperator}
            </p>
            <p>{t.closedAfter}</p>
          </section>

          <section id="reminder" class="reminder" aria-labelledby="h-reminder" hidden={hiddenUnless("before_open", "not_entered")}>
            <h2 id="h-reminder">{t.reminderTitle}</h2>
            <ul>
              <li>{t.reminderDevice}</li>
              <li>{t.reminderReady}</li>
              <li>{t.reminderTurn}</li>
              <li>{t.reminderTime}</li>
              <li>{t.reminderNetwork}</li>
            </ul>
          </section>

          <div id="live" class="sr" aria-live="polite" aria-atomic="true"></div>
          <div id="alert" class="sr" aria-live="assertive" aria-atomic="true"></div>
        </main>
        <footer>
          <p>{t.footer}</p>
        </footer>
        <DataScript id="room-data" nonce={p.nonce} value={data} />
        <script src={p.scriptSrc} nonce={p.nonce} defer></script>
        {p.turnstileSiteKey && <script src="https://challenges.cloudflare.com/turnstile/v0/api.js" nonce={p.nonce} async defer></script>}
      </body>
    </html>
  );
}

/** One figure of the waiting panel; the page's script refreshes it by its `data-f` field. */
function Fact(p: { label: string; field: string; value: string; big?: boolean }) {
  return (
    <div class={p.big ? "big" : undefined}>
      <dt>{p.label}</dt>
      <dd data-f={p.field}>{p.value}</dd>
    </div>
  );
}
