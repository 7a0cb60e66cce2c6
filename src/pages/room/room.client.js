// The waiting-room page's script, served as /guichet/assets/room.js. It keeps
// the page the server rendered up to date; no framework, no dependency.
// - Polls on the server's `pollAfterMs` (null: stop). A hidden tab pauses,
//   except near the front so the turn's sound can still call the candidate
//   back; a failed poll retries with exponential backoff and jitter.
// - Counts down to the opening and enables "Se connecter" at the minute.
// - At the turn: a sound (Web Audio), a message, the tab's title, the claim,
//   then the redirect, with a link in case the redirect is blocked. For a
//   candidate looking elsewhere: a system notification if they asked for one
//   (one click after joining, never on load), and the tab's title and icon
//   flag the turn until the tab is seen; the redirect waits for that.
// The formatting functions mirror src/pages/room/format.ts.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const data = JSON.parse($("room-data").textContent);
  const L = data.live;
  const locale = data.lang === "en" ? "en-CA" : "fr-CA";
  const TZ = "America/Montreal";
  const root = document.documentElement;
  const REDIRECT_DELAY_MS = 2500;
  const BACKOFF_MAX_MS = 30000;

  // The server's clock: the page was rendered between requestStart and responseStart.
  const nav = performance.getEntriesByType("navigation")[0];
  const renderedAt = nav && nav.responseStart > 0 ? performance.timeOrigin + (nav.requestStart + nav.responseStart) / 2 : Date.now();
  const skew = data.now - renderedAt;
  const now = () => Date.now() + skew;

  // The API keeps this page's event and language.
  const here = new URLSearchParams(location.search);
  const keep = new URLSearchParams();
  for (const k of ["event", "lang"]) {
    const v = here.get(k);
    if (v !== null) keep.set(k, v);
  }
  const qs = keep.toString() ? `?${keep}` : "";
  const api = (path) => `/guichet/api/${path}${qs}`;
  const roomUrl = location.pathname + qs;

  // ---- formatting (same as the server's) ----
  const nf = new Intl.NumberFormat(locale);
  const pf = new Intl.NumberFormat(locale, { style: "percent" });
  const dtf = (o) => new Intl.DateTimeFormat(locale, { timeZone: TZ, ...o });
  const fOpening = dtf({ day: "numeric", month: "long", hour: "numeric", minute: "2-digit" });
  const fTime = dtf({ hour: "numeric", minute: "2-digit" });
  const fClock = dtf({ hour: "numeric", minute: "2-digit", second: "2-digit" });
  const fill = (t, v) => t.replace(/\{(\w+)\}/g, (m, k) => (k in v ? String(v[k]) : m));
  const num = (n) => (n === null || n === undefined ? L.unknown : nf.format(n));
  const pad = (n) => String(n).padStart(2, "0");
  const unit = (unit, n) => new Intl.NumberFormat(locale, { style: "unit", unit, unitDisplay: "long" }).format(n);

  function countdown(ms) {
    const total = Math.max(0, Math.ceil(ms / 1000));
    const days = Math.floor(total / 86400);
    const hms = `${pad(Math.floor((total % 86400) / 3600))}:${pad(Math.floor((total % 3600) / 60))}:${pad(total % 60)}`;
    return days > 0 ? `${fill(L.days, { n: days })} ${hms}` : hms;
  }

  function waitText(seconds) {
    if (seconds === null || seconds === undefined) return L.unknown;
    if (seconds < 60) return L.lessThanMinute;
    const minutes = Math.ceil(seconds / 60);
    const h = Math.floor(minutes / 60);
    const m = minutes % 60;
    const d = h === 0 ? unit("minute", m) : m === 0 ? unit("hour", h) : `${unit("hour", h)} ${unit("minute", m)}`;
    return fill(L.about, { d });
  }

  function progress(number, position) {
    if (number === null || position === null || number <= 0) return 0;
    return Math.max(0, Math.min(100, Math.round((100 * (number - position)) / number)));
  }

  const at = (iso, template) => (iso === null ? "" : fill(template, { time: fTime.format(Date.parse(iso)), zone: L.zone }));

  function fields(s) {
    return {
      opensAt: s.opensAt === null ? "" : fOpening.format(Date.parse(s.opensAt)),
      countdown: s.opensAt === null ? "" : countdown(Date.parse(s.opensAt) - now()),
      waitingCount: fill(L.waitingCount, { n: nf.format(s.waitingCount) }),
      number: num(s.number),
      position: num(s.position),
      ahead: num(s.ahead),
      wait: waitText(s.estimatedWaitSeconds),
      updated: fClock.format(now()),
      progress: pf.format(progress(s.number, s.position) / 100),
      quota: fill(L.quota, { accepted: nf.format(s.quota.accepted), total: nf.format(s.quota.total) }),
      claimBy: at(s.claimDeadline, L.claimBy),
      sessionEnds: at(s.admissionExpiresAt, L.sessionEnds),
      publicId: (s.prequeue && s.prequeue.publicId) || "",
    };
  }

  // ---- the fair opening: the pre-queue ----
  const inPrequeue = (s) => Boolean(s.prequeue && s.prequeue.publicId && !s.prequeue.drawn);
  const prequeueJoinable = (s) =>
    s.state === "before_open" && Boolean(s.prequeue) && !s.prequeue.drawn && !s.prequeue.publicId && now() >= Date.parse(s.prequeue.opensAt);

  // ---- state ----
  let st = data.status;
  let device = st.device || "desktop";
  let pollTimer;
  let tickTimer;
  let polling = false;
  let pausedWhileHidden = false;
  let failures = 0;
  let entering = false;
  // Counts enters begun and ended: a poll sent before an enter and answered
  // after it speaks of a page without the new number, and is not shown.
  let entries = 0;
  // null, "claiming" or "claimed": the turn is handled once.
  let turn = null;
  let said = { position: st.position, at: Date.now() };
  let down = false;

  function say(text, urgent) {
    const el = $(urgent ? "alert" : "live");
    el.textContent = "";
    setTimeout(() => (el.textContent = text), 50);
  }

  const entryMessage = (text) => ($("entry-msg").textContent = text);

  // Shows "reconnecting" while polls fail, and says when it is back.
  function connection(isDown) {
    $("net").hidden = !isDown;
    if (isDown !== down) say(isDown ? L.net : L.reconnected);
    down = isDown;
  }

  // Shows the panel for `s`, fills its fields, and acts on what changed.
  function render(s) {
    const before = st.state;
    st = s;
    if (s.device) device = s.device;
    for (const section of document.querySelectorAll("section[id^='s-']")) {
      section.hidden = section.id !== `s-${s.state}`;
    }
    const atEntry = s.state === "before_open" || s.state === "not_entered";
    $("entry").hidden = !atEntry;
    $("reminder").hidden = !atEntry;
    $("banner").hidden = !s.banner;
    $("banner-text").textContent = s.banner || "";
    // An iPad presents itself as a Mac; its touch screen tells it apart.
    const iPad = /Macintosh/.test(navigator.userAgent) && navigator.maxTouchPoints > 1;
    $("device").hidden = s.state === "closed" || (device === "desktop" && !iPad);
    $("paused").hidden = !s.paused;
    $("when").hidden = s.opensAt === null;
    $("unscheduled").hidden = s.opensAt !== null;
    $("s-before_open").querySelector(".countdown").hidden = s.opensAt === null;
    $("o-none").hidden = s.outcome !== null;
    $("o-submitted").hidden = s.outcome !== "submitted";
    $("o-released").hidden = s.outcome !== "released";
    $("c-quota").hidden = s.closedReason === "closed_by_operator";
    $("c-operator").hidden = s.closedReason !== "closed_by_operator";
    const f = fields(s);
    for (const el of document.querySelectorAll("[data-f]")) {
      const v = f[el.dataset.f || ""];
      if (v !== undefined && el.textContent !== v) el.textContent = v;
    }
    $("bar").value = progress(s.number, s.position);
    $("bt").hidden = Boolean(s.prequeue);
    $("pq-open").hidden = !prequeueJoinable(s);
    $("pq-in").hidden = !inPrequeue(s);
    $("enter").disabled = !(s.state === "not_entered" || prequeueJoinable(s)) || entering;
    if (s.state !== "your_turn") {
      document.title = L.title;
      flag(false);
    }
    notifyOffer();

    if (s.state === "waiting" && (s.position !== said.position || before !== "waiting")) {
      // The number when given; then position changes, at most every 20 s unless near the front.
      const t = Date.now();
      if (s.position <= 5 || t - said.at >= 20000 || before !== "waiting") {
        const values = { number: num(s.number), position: num(s.position), ahead: num(s.ahead) };
        say(fill(before !== "waiting" ? L.announceNumber : L.announcePosition, values));
        said = { position: s.position, at: t };
      }
    }
    if (s.state === "closed" && before !== "closed") say(L.announceClosed);
    if (s.state === "before_open") tick();
    if (s.state === "your_turn") onTurn();
  }

  // Moves focus to a panel's heading after a change the candidate caused.
  function focusPanel(state) {
    const h = document.getElementById(`h-${state}`);
    if (h) h.focus();
  }

  // ---- countdown ----
  function tick() {
    clearTimeout(tickTimer);
    if (st.state !== "before_open" || st.opensAt === null) return;
    const left = Date.parse(st.opensAt) - now();
    const el = document.querySelector("[data-f='countdown']");
    if (el) el.textContent = countdown(left);
    if (left <= 0) return opened();
    if ($("enter").disabled && prequeueJoinable(st) && !entering) render(st);
    // Wake at the next second boundary of the countdown.
    tickTimer = setTimeout(tick, left % 1000 || 1000);
  }

  // The opening instant: "Se connecter" becomes active; the room is asked for its state soon after.
  function opened() {
    // In the pre-queue: the draw gives the number; ask for it shortly.
    if (inPrequeue(st)) return schedule(500 + Math.random() * 2500);
    render({ ...st, state: "not_entered" });
    say(L.announceOpen);
    if (document.activeElement === document.body) $("enter").focus();
    schedule(500 + Math.random() * 2500);
  }

  // ---- polling ----
  function schedule(ms) {
    clearTimeout(pollTimer);
    pollTimer = undefined;
    if (ms === null || ms === undefined) return;
    pollTimer = setTimeout(poll, ms);
  }

  const jittered = (ms) => (ms === null || ms === undefined ? null : Math.round(ms * (0.9 + Math.random() * 0.2)));
  const holdsNumber = () => (st.number !== null && ["waiting", "your_turn", "admitted"].includes(st.state)) || inPrequeue(st);
  const nearFront = () =>
    st.state === "your_turn" || (st.state === "waiting" && (st.position <= 50 || (st.estimatedWaitSeconds ?? Infinity) <= 180));

  function retryLater(res) {
    failures += 1;
    connection(true);
    const retryAfter = res ? Number(res.headers.get("retry-after")) * 1000 || 0 : 0;
    const ceiling = Math.min(BACKOFF_MAX_MS, 1000 * 2 ** Math.min(failures - 1, 5));
    schedule(Math.max(retryAfter, ceiling / 2 + (Math.random() * ceiling) / 2));
  }

  async function errorCode(res) {
    try {
      return (await res.json()).error.code;
    } catch {
      return null;
    }
  }

  async function poll() {
    pollTimer = undefined;
    if (polling) return;
    if (document.hidden && !nearFront()) {
      pausedWhileHidden = true;
      return;
    }
    polling = true;
    const before = entries;
    // An enter began or ended meanwhile: this answer is older than the page (the enter polls next).
    const outdated = () => {
      if (entries === before) return false;
      if (pollTimer === undefined) schedule(1000);
      return true;
    };
    try {
      let res;
      try {
        res = await fetch(holdsNumber() ? api("status") : roomUrl, { headers: { accept: "application/json" }, cache: "no-store" });
      } catch {
        return outdated() || retryLater(null);
      }
      if (outdated()) return;
      if (res.ok) {
        const s = await res.json().catch(() => null);
        if (outdated()) return;
        if (!s || !s.state) return retryLater(res);
        failures = 0;
        connection(false);
        if (turn === "claimed") return;
        render(s);
        return schedule(jittered(s.pollAfterMs));
      }
      const code = await errorCode(res);
      if (outdated()) return;
      if (res.status === 401 || code === "ticket_left") {
        // The number is gone (cookies cleared, or left from another tab): back to the entrance.
        failures = 0;
        connection(false);
        render({ ...st, state: "not_entered", number: null, position: null, ahead: null });
        entryMessage(L.left);
        return schedule(0);
      }
      retryLater(res);
    } finally {
      polling = false;
    }
  }

  document.addEventListener("visibilitychange", () => {
    if (document.hidden) return;
    seen();
    tick();
    // Back in view: update at once.
    if (pausedWhileHidden || pollTimer !== undefined) {
      pausedWhileHidden = false;
      schedule(0);
    }
  });
  // The browser knows before a poll fails, and when the network is back.
  window.addEventListener("offline", () => holdsNumber() && turn !== "claimed" && connection(true));
  window.addEventListener("online", () => (failures > 0 || down) && turn !== "claimed" && schedule(0));
  window.addEventListener("focus", seen);

  // ---- entering ----
  // The touch points tell an iPad that presents itself as a Mac. They go in a
  // header, and a body is sent only when there is more to say (an entry
  // proof): the gateway answers a request without a body much more cheaply.
  const touchPoints = String(Math.min(256, navigator.maxTouchPoints || 0));
  const post = (url, extra = {}) => {
    const headers = { accept: "application/json", "x-guichet-touch-points": touchPoints };
    const withBody = Object.keys(extra).length > 0;
    if (withBody) headers["content-type"] = "application/json";
    return fetch(url, { method: "POST", headers, body: withBody ? JSON.stringify(extra) : undefined, cache: "no-store" });
  };

  let powPolicy = null;
  // The entry puzzle, fetched first when the event asks everyone for one.
  async function proofOfWork() {
    if (!st.powDifficulty) return {};
    entryMessage(L.solving);
    const res = await fetch(api("challenge"), { headers: { accept: "application/json" }, cache: "no-store" });
    const c = await res.json();
    if (!c.challenge) return {};
    return solve(c);
  }

  // A busy address (or a stale puzzle) is answered 403 with a fresh challenge: it is solved at once.
  async function challengeIn(res) {
    if (res.status !== 403) return null;
    try {
      const c = (await res.clone().json()).error.challenge;
      return c && typeof c.challenge === "string" ? c : null;
    } catch {
      return null;
    }
  }

  // Solved in a worker thread so the page stays responsive.
  async function solve(c) {
    entryMessage(L.solving);
    const nonce = await new Promise((resolve, reject) => {
      // Trusted Types (required by the page's CSP): only the puzzle worker's own URL.
      const policy = window.trustedTypes
        ? (powPolicy ??= trustedTypes.createPolicy("guichet-worker", { createScriptURL: (u) => (u === data.powWorker ? u : "") }))
        : null;
      const worker = new Worker(policy ? policy.createScriptURL(data.powWorker) : data.powWorker);
      worker.onmessage = (e) => {
        worker.terminate();
        resolve(e.data.nonce);
      };
      worker.onerror = (e) => {
        worker.terminate();
        reject(e);
      };
      worker.postMessage({ challenge: c.challenge, difficulty: c.difficulty });
    });
    entryMessage("");
    return { pow: { challenge: c.challenge, nonce } };
  }

  // Cloudflare Turnstile's token, where the page shows the widget.
  function turnstile() {
    const input = document.querySelector("input[name='cf-turnstile-response']");
    return input && input.value ? { turnstile: input.value } : {};
  }

  async function enter() {
    unlockAudio();
    if (entering || !(st.state === "not_entered" || prequeueJoinable(st))) return;
    entering = true;
    entries += 1;
    $("enter").disabled = true;
    entryMessage("");
    let res = null;
    try {
      res = await post(api("enter"), { ...(await proofOfWork()), ...turnstile() });
      const c = await challengeIn(res);
      if (c) res = await post(api("enter"), { ...(await solve(c)), ...turnstile() });
    } catch {
      res = null;
    }
    entering = false;
    entries += 1;
    if (res && res.ok) {
      const s = await res.json();
      said = { position: null, at: 0 };
      render(s);
      focusPanel(s.state);
      return schedule(jittered(s.pollAfterMs));
    }
    const code = res ? await errorCode(res) : null;
    $("enter").disabled = false;
    if (code === "closed") return schedule(0);
    const retryAfter = res ? Number(res.headers.get("retry-after")) * 1000 || 0 : 0;
    if (code === "not_open" || code === "rate_limited" || (code && code.startsWith("pow_"))) {
      // Try again by itself once the server says it may work (a puzzle: a fresh one).
      entryMessage(code === "not_open" ? L.notOpenYet : code === "rate_limited" ? L.tooMany : L.proofFailed);
      setTimeout(enter, Math.max(1000, retryAfter) + Math.random() * 1000);
      return;
    }
    entryMessage(L.net);
  }

  // After an expired turn: give the old number up and take a new one at the back.
  async function takeNewNumber() {
    unlockAudio();
    const button = $("retry");
    button.disabled = true;
    try {
      await post(api("leave"));
    } catch {
      // Entering again still works: a ticket whose turn passed gets a new number.
    }
    button.disabled = false;
    turn = null;
    render({ ...st, state: "not_entered", number: null, position: null, ahead: null });
    await enter();
  }

  // ---- the turn ----
  function onTurn() {
    if (turn) return;
    turn = "claiming";
    document.title = L.titleTurn;
    if (!looking()) flag(true);
    say(L.announceTurn, true);
    chime();
    notifyTurn();
    focusPanel("your_turn");
    claim();
  }

  const samePath = (path) => (typeof path === "string" && /^\/(?!\/)/.test(path) ? path : data.login);

  async function claim() {
    $("deadline").textContent = L.claiming;
    let res = null;
    try {
      res = await post(api("claim"));
    } catch {
      res = null;
    }
    if (res && res.ok) {
      const body = await res.json();
      turn = "claimed";
      failures = 0;
      connection(false);
      schedule(null);
      const to = samePath(body.redirect);
      $("go").href = to;
      $("go-p").hidden = false;
      $("deadline").textContent = at(body.admission.expiresAt, L.deadline);
      // A hidden tab keeps the page (its flagged title and icon) until it is seen, then goes.
      afterSeen = () => setTimeout(() => location.assign(to), REDIRECT_DELAY_MS);
      if (!document.hidden) seen();
      return;
    }
    const code = res ? await errorCode(res) : null;
    if (res && (res.status === 409 || res.status === 410 || res.status === 401)) {
      // Not called after all, or the turn is gone: the status says what is true now.
      turn = null;
      $("deadline").textContent = at(st.claimDeadline, L.claimBy);
      return schedule(code === "not_your_turn" ? 1000 : 0);
    }
    // Network or server trouble: the call holds for a while, keep trying.
    failures += 1;
    connection(true);
    const ceiling = Math.min(8000, 500 * 2 ** Math.min(failures - 1, 4));
    setTimeout(claim, ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  // ---- looking elsewhere: the tab's flag, the system notification ----
  const looking = () => !document.hidden && document.hasFocus();
  let flagged = false;
  let afterSeen = null;
  let notice = null;

  function flag(on) {
    if (on === flagged) return;
    flagged = on;
    if (st.state === "your_turn") document.title = on ? `\u{1F514} ${L.titleTurn}` : L.titleTurn;
    $("icon").href = on ? data.icons.turn : data.icons.idle;
  }

  // The candidate is back on the tab: drop the flag and the notification, then redirect if claimed.
  function seen() {
    if (document.hidden) return;
    if (looking()) {
      flag(false);
      if (notice) notice.close();
      notice = null;
    }
    const go = afterSeen;
    afterSeen = null;
    if (go) go();
  }

  const N = window.Notification;
  const NOTIFY_KEY = "guichet.notify";
  let notifyWanted = false;
  try {
    notifyWanted = sessionStorage.getItem(NOTIFY_KEY) === "1";
  } catch {
    // Storage refused: the offer is made again after a reload.
  }
  const mayNotify = () => typeof N === "function" && N.permission !== "denied";

  // Offered to a number holder only; without the API or once refused, nothing shows.
  function notifyOffer() {
    const offered = st.state === "waiting" && mayNotify();
    const on = offered && notifyWanted && N.permission === "granted";
    $("notify-p").hidden = !offered || on;
    $("notify-on").hidden = !on;
  }

  async function askNotify() {
    unlockAudio();
    let answer = "denied";
    try {
      // Older Safari answers only through the callback.
      answer = await new Promise((resolve) => {
        const p = N.requestPermission(resolve);
        if (p) p.then(resolve, () => resolve("denied"));
      });
    } catch {
      // Refused by the browser: as denied.
    }
    notifyWanted = answer === "granted";
    try {
      sessionStorage.setItem(NOTIFY_KEY, notifyWanted ? "1" : "0");
    } catch {
      // Kept for this page only.
    }
    notifyOffer();
    if (notifyWanted) $("notify-on").focus();
  }

  function notifyTurn() {
    if (!notifyWanted || typeof N !== "function" || N.permission !== "granted") return;
    try {
      const n = new N(L.notifyTitle, { body: L.notifyBody, lang: data.lang, tag: "guichet-turn", requireInteraction: true });
      n.onclick = () => {
        window.focus();
        n.close();
        seen();
      };
      notice = n;
    } catch {
      // Some mobile browsers allow notifications only from a service worker: the page's own signals remain.
      notice = null;
    }
  }

  // ---- sound ----
  let audio = null;
  function audioContext() {
    const AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) return null;
    try {
      audio = audio || new AC();
    } catch {
      return null;
    }
    if (audio.state === "suspended") audio.resume().catch(() => {});
    return audio;
  }
  // Creating (or resuming) the context during a click lets the turn's sound play later.
  const unlockAudio = () => void audioContext();

  // Two short chimes, twice, once per page; the message on screen says the same.
  let chimed = false;
  function chime() {
    if (chimed) return;
    chimed = true;
    const ctx = audioContext();
    if (!ctx) {
      root.dataset.sound = "unavailable";
      return;
    }
    const play = () => {
      const t0 = ctx.currentTime + 0.05;
      [880, 660, 880, 660].forEach((freq, i) => {
        const t = t0 + i * 0.3;
        const osc = ctx.createOscillator();
        const gain = ctx.createGain();
        osc.type = "sine";
        osc.frequency.value = freq;
        gain.gain.setValueAtTime(0.0001, t);
        gain.gain.exponentialRampToValueAtTime(0.4, t + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.28);
        osc.connect(gain).connect(ctx.destination);
        osc.start(t);
        osc.stop(t + 0.3);
      });
      root.dataset.sound = "played";
    };
    if (ctx.state === "running") return play();
    // Not allowed yet (no click on this page): it plays at the first click or key.
    root.dataset.sound = "blocked";
    ctx.resume().then(play, () => {});
  }

  // ---- start ----
  $("enter").addEventListener("click", enter);
  $("retry").addEventListener("click", takeNewNumber);
  $("notify").addEventListener("click", askNotify);
  for (const type of ["pointerdown", "keydown"]) document.addEventListener(type, unlockAudio, { capture: true });
  render(st);
  if (turn !== "claiming") schedule(jittered(st.pollAfterMs));
})();
