// The operators' dashboard (GET /guichet/ops/). A static asset, never bundled
// into the Worker; the page that loads it is a shell with a strict CSP.
//
// - Strings: French and English below; every [data-i18n] element is filled.
// - Auth: the OPS_TOKEN is asked once and kept in sessionStorage (this tab
//   only), sent as `Authorization: Bearer`. Behind Cloudflare Access no token
//   is needed: Access adds its assertion to every request.
// - Live data: /guichet/ops/api/stream read with fetch() (EventSource cannot
//   send a header, and a token in a URL ends up in logs), parsed as SSE. A
//   stream silent for 5 s, closed or failed is shown as disconnected and
//   reconnected with backoff.
// - Charts: uPlot (MIT), served beside this file.
"use strict";
(() => {
  const STRINGS = {
    fr: {
      title: "Guichet — opérations",
      time: "Heure",
      otherLang: "English",
      logout: "Oublier le jeton",
      loginTitle: "Accès des opérateurs",
      loginHelp: "Collez le jeton OPS_TOKEN. Il reste dans cet onglet seulement.",
      loginLabel: "Jeton",
      loginSubmit: "Entrer",
      loginRefused: "Jeton refusé.",
      connecting: "Connexion…",
      live: "En direct",
      disconnected: "Déconnecté — nouvelle tentative dans {s} s",
      reconnecting: "Déconnecté — reconnexion…",
      updated: "Mis à jour à {t}",
      phase_before_open: "Avant l'ouverture",
      phase_open: "Ouvert",
      phase_closed: "Fermé",
      paused: "Appels en pause",
      headline: "En ce moment",
      entered: "Numéros donnés",
      waiting: "En attente",
      called: "Appelés, pas encore venus",
      admitted: "Admis",
      active: "Admissions actives",
      used: "Admissions utilisées",
      expired: "Admissions expirées",
      noShows: "Absents",
      left: "Partis",
      accepted: "Demandes acceptées",
      placesLeft: "Places restantes",
      duplicates: "Doublons refusés",
      devices: "Appareils refusés",
      arrivalsPerMinute: "Arrivées / min",
      callsPerMinute: "Appels / min",
      submissionsPerMinute: "Demandes / min",
      waitP50: "Attente médiane",
      waitP95: "Attente, 95e centile",
      eta: "Quota rempli dans",
      oldest: "Plus ancien en attente",
      doCalls: "Appels aux objets / min",
      charts: "Graphiques",
      chartRates: "Arrivées, appels et demandes par minute",
      chartWaiting: "Personnes en attente",
      chartActive: "Admissions actives",
      chartQuota: "Demandes acceptées et quota",
      chartWait: "Attente avant l'appel (minutes)",
      seriesArrivals: "Arrivées",
      seriesCalls: "Appels",
      seriesSubmissions: "Demandes",
      seriesWaiting: "En attente",
      seriesActive: "Actives",
      seriesMaxActive: "Maximum",
      seriesAccepted: "Acceptées",
      seriesQuota: "Quota",
      seriesP50: "Médiane",
      seriesP95: "95e centile",
      settings: "Réglages de la période",
      quota: "Quota (places)",
      opensAt: "Ouverture (ISO-8601, avec le décalage)",
      admissionSeconds: "Durée d'une admission (s)",
      maxActive: "Admissions simultanées, au plus",
      admitPerMinute: "Appels par minute, au plus",
      overbook: "Surréservation (1 à 2)",
      noShowGraceSeconds: "Délai pour répondre à l'appel (s)",
      banner: "Message aux candidats (vide : aucun)",
      routePolicy: "Chemins de l'origine (un motif par ligne, * = n'importe quoi)",
      routeOpen: "Ouverts",
      routeProtected: "Protégés (admission requise)",
      routeClosed: "Fermés",
      routeClosedUntil: "Fermés jusqu'à (ISO-8601, facultatif)",
      apply: "Appliquer les changements",
      noChange: "Aucun changement.",
      applied: "Changements appliqués.",
      refused: "Refusé",
      controls: "Commandes",
      pause: "Suspendre les appels",
      resume: "Reprendre les appels",
      pausedDone: "Appels suspendus.",
      resumedDone: "Appels repris.",
      closedDone: "Réception fermée.",
      close: "Fermer la réception maintenant",
      closeTitle: "Fermer la réception des demandes ?",
      closeHelp: "Plus aucun numéro, plus aucun appel, plus aucune demande acceptée. On ne peut pas rouvrir. Tapez l'identifiant de la période pour confirmer :",
      closeConfirm: "Fermer",
      cancel: "Annuler",
      audit: "Journal des actions",
      auditAt: "Quand",
      auditActor: "Qui",
      auditAction: "Action",
      auditChange: "Avant → après",
      "event.create": "création",
      "event.update": "réglages",
      "event.pause": "pause",
      "event.resume": "reprise",
      "event.close": "fermeture",
      csv: "Exporter les demandes (CSV)",
      error: "Erreur",
      networkError: "Le service ne répond pas.",
    },
    en: {
      title: "Guichet — operations",
      time: "Time",
      otherLang: "Français",
      logout: "Forget the token",
      loginTitle: "Operators' access",
      loginHelp: "Paste the OPS_TOKEN. It stays in this tab only.",
      loginLabel: "Token",
      loginSubmit: "Sign in",
      loginRefused: "Token refused.",
      connecting: "Connecting…",
      live: "Live",
      disconnected: "Disconnected — retrying in {s} s",
      reconnecting: "Disconnected — reconnecting…",
      updated: "Updated at {t}",
      phase_before_open: "Before opening",
      phase_open: "Open",
      phase_closed: "Closed",
      paused: "Calling paused",
      headline: "Right now",
      entered: "Numbers given",
      waiting: "Waiting",
      called: "Called, not yet in",
      admitted: "Admitted",
      active: "Active admissions",
      used: "Admissions used",
      expired: "Admissions expired",
      noShows: "No-shows",
      left: "Left",
      accepted: "Accepted submissions",
      placesLeft: "Places left",
      duplicates: "Duplicates refused",
      devices: "Devices refused",
      arrivalsPerMinute: "Arrivals / min",
      callsPerMinute: "Calls / min",
      submissionsPerMinute: "Submissions / min",
      waitP50: "Median wait",
      waitP95: "95th percentile wait",
      eta: "Quota filled in",
      oldest: "Oldest waiting",
      doCalls: "Object calls / min",
      charts: "Charts",
      chartRates: "Arrivals, calls and submissions per minute",
      chartWaiting: "People waiting",
      chartActive: "Active admissions",
      chartQuota: "Accepted submissions and quota",
      chartWait: "Wait before the call (minutes)",
      seriesArrivals: "Arrivals",
      seriesCalls: "Calls",
      seriesSubmissions: "Submissions",
      seriesWaiting: "Waiting",
      seriesActive: "Active",
      seriesMaxActive: "Maximum",
      seriesAccepted: "Accepted",
      seriesQuota: "Quota",
      seriesP50: "Median",
      seriesP95: "95th percentile",
      settings: "Event settings",
      quota: "Quota (places)",
      opensAt: "Opening (ISO-8601, with the offset)",
      admissionSeconds: "Admission time (s)",
      maxActive: "Most admissions at once",
      admitPerMinute: "Most calls a minute",
      overbook: "Overbooking (1 to 2)",
      noShowGraceSeconds: "Time to answer a call (s)",
      banner: "Message to candidates (empty: none)",
      routePolicy: "Origin paths (one pattern a line, * = anything)",
      routeOpen: "Open",
      routeProtected: "Protected (admission required)",
      routeClosed: "Closed",
      routeClosedUntil: "Closed until (ISO-8601, optional)",
      apply: "Apply changes",
      noChange: "No change.",
      applied: "Changes applied.",
      refused: "Refused",
      controls: "Controls",
      pause: "Pause calling",
      resume: "Resume calling",
      pausedDone: "Calling paused.",
      resumedDone: "Calling resumed.",
      closedDone: "Intake closed.",
      close: "Close the intake now",
      closeTitle: "Close the intake?",
      closeHelp: "No more numbers, calls or accepted submissions. It cannot be reopened. Type the event id to confirm:",
      closeConfirm: "Close",
      cancel: "Cancel",
      audit: "Audit log",
      auditAt: "When",
      auditActor: "Who",
      auditAction: "Action",
      auditChange: "Before → after",
      "event.create": "created",
      "event.update": "settings",
      "event.pause": "pause",
      "event.resume": "resume",
      "event.close": "close",
      csv: "Export submissions (CSV)",
      error: "Error",
      networkError: "The service does not answer.",
    },
  };

  const EVENT = document.body.dataset.event || "";
  const LANG = document.body.dataset.lang === "en" ? "en" : "fr";
  const T = STRINGS[LANG];
  const LOCALE = LANG === "en" ? "en-CA" : "fr-CA";
  const TZ = "America/Montreal";
  const TOKEN_KEY = "guichet.ops.token";
  const STALE_MS = 5_000;
  const CONNECT_TIMEOUT_MS = 8_000;
  const MAX_POINTS = 4 * 3600;
  const $ = (selector) => document.querySelector(selector);
  const fmt = (template, values) => template.replace(/\{(\w+)\}/g, (_, k) => String(values[k]));
  const number = new Intl.NumberFormat(LOCALE);
  const clock = new Intl.DateTimeFormat(LOCALE, { timeZone: TZ, hour: "2-digit", minute: "2-digit", second: "2-digit" });
  const hourMinute = new Intl.DateTimeFormat(LOCALE, { timeZone: TZ, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  const hmsParts = new Intl.DateTimeFormat("en-CA", { timeZone: TZ, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
  /** 08:30:05 in Montreal time: short enough for an axis. */
  const hms = (ts) => {
    const p = Object.fromEntries(hmsParts.formatToParts(new Date(ts * 1000)).map((x) => [x.type, x.value]));
    return `${p.hour}:${p.minute}:${p.second}`;
  };
  const stamp = new Intl.DateTimeFormat(LOCALE, { timeZone: TZ, dateStyle: "short", timeStyle: "medium" });

  // ------------------------------------------------------------ words on the page

  for (const el of document.querySelectorAll("[data-i18n]")) {
    const text = T[el.dataset.i18n];
    if (text !== undefined) el.textContent = text;
  }
  const other = $("#other-lang");
  const otherLang = LANG === "en" ? "fr" : "en";
  const otherParams = new URLSearchParams(location.search);
  otherParams.set("lang", otherLang);
  other.href = `?${otherParams}`;
  other.lang = otherLang;
  other.textContent = T.otherLang;

  // ------------------------------------------------------------ the API

  class AuthError extends Error {}

  function apiUrl(path) {
    return `/guichet/ops/api/${path}?${new URLSearchParams({ event: EVENT })}`;
  }

  async function call(path, init = {}) {
    const headers = new Headers(init.headers);
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers.set("Authorization", `Bearer ${token}`);
    headers.set("Accept-Language", LANG);
    const res = await fetch(apiUrl(path), { ...init, headers, cache: "no-store", credentials: "same-origin" });
    if (res.status === 401) {
      askForToken(Boolean(token));
      throw new AuthError("unauthorized");
    }
    return res;
  }

  async function json(path, init) {
    const res = await call(path, init);
    const body = await res.json().catch(() => ({}));
    return { res, body };
  }

  function errorText(body) {
    const e = body && body.error;
    if (!e) return T.networkError;
    const where = e.field ? ` (${e.field}${e.detail ? ` : ${e.detail}` : ""})` : e.detail ? ` (${e.detail})` : "";
    return `${T.refused} : ${e.message}${where}`;
  }

  // ------------------------------------------------------------ the token

  const login = $("#login");
  function askForToken(refused) {
    $("#login-error").hidden = !refused;
    stopStream();
    if (!login.open) login.showModal();
    login.querySelector("input").focus();
  }
  $("#login-form").addEventListener("submit", (e) => {
    const input = e.target.elements.token;
    const value = input.value.trim();
    if (!value) {
      e.preventDefault();
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, value);
    input.value = "";
    start();
  });
  login.addEventListener("cancel", (e) => e.preventDefault());
  $("#logout").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    location.reload();
  });

  // ------------------------------------------------------------ headline numbers

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    const s = Math.max(0, Math.round(seconds));
    if (s < 60) return `${s} s`;
    if (s < 3600) return `${Math.round(s / 60)} min`;
    const h = Math.floor(s / 3600);
    const m = Math.round((s % 3600) / 60);
    return `${h} h ${String(m).padStart(2, "0")}`;
  }

  const n = (v) => (v === null || v === undefined ? "—" : number.format(v));

  function setCard(id, text, title) {
    const el = document.querySelector(`[data-metric="${id}"]`);
    if (!el) return;
    if (el.textContent !== text) el.textContent = text;
    if (title !== undefined) el.parentElement.title = title;
  }

  function showHeadline(m) {
    const line = m.line;
    const sub = m.submissions;
    setCard("entered", n(line.entered));
    setCard("waiting", n(line.waiting), line.requeued ? `${n(line.requeued)} ↺` : "");
    setCard("called", n(line.called));
    setCard("admitted", n(line.admitted));
    setCard("active", `${n(line.active)} / ${n(m.settings.maxActive)}`);
    setCard("used", n(line.used));
    setCard("expired", n(line.expired));
    setCard("noShows", n(line.noShows), `${n(line.noShowLapses)}`);
    setCard("left", n(line.left));
    setCard("accepted", `${n(sub.accepted)} / ${n(sub.quota)}`);
    setCard("placesLeft", n(sub.placesLeft));
    setCard("duplicates", n(sub.duplicatesRefused));
    setCard("devices", n(sub.deviceRefusals));
    setCard("arrivalsPerMinute", n(m.perMinute.arrivals));
    setCard("callsPerMinute", n(m.perMinute.calls));
    setCard("submissionsPerMinute", n(m.perMinute.submissions));
    setCard("waitP50", duration(m.wait.p50Seconds));
    setCard("waitP95", duration(m.wait.p95Seconds));
    setCard("eta", duration(m.quotaFillEtaSeconds));
    setCard("oldest", m.oldestWaiting ? `#${n(m.oldestWaiting.number)} · ${duration(m.oldestWaiting.waitingSeconds)}` : "—");
    const d = m.durableObjects;
    setCard("doCalls", n(d.queueRoom.callsPerMinute + d.quotaCounter.callsPerMinute), `QueueRoom ${n(d.queueRoom.callsPerMinute)} · QuotaCounter ${n(d.quotaCounter.callsPerMinute)}`);

    const phase = $("#phase");
    phase.textContent = T[`phase_${m.phase}`] || m.phase;
    phase.className = `badge badge-${m.phase}`;
    $("#paused").hidden = !m.paused;
    $("#pause").hidden = m.paused;
    $("#resume").hidden = !m.paused;
    const closed = m.phase === "closed";
    for (const id of ["#pause", "#resume", "#close"]) $(id).disabled = closed;
    $("#updated").textContent = fmt(T.updated, { t: clock.format(new Date(m.at)) });
  }

  // ------------------------------------------------------------ charts

  const COLORS = { blue: "#095797", green: "#1f7a45", orange: "#c26a00", violet: "#6b4fbb", red: "#b3261e", grey: "#6b7785" };
  const store = { t: [], arrivals: [], calls: [], submissions: [], waiting: [], active: [], maxActive: [], accepted: [], quota: [], p50: [], p95: [] };
  const line = (label, stroke, extra = {}) => ({ label, stroke, width: 2, spanGaps: true, points: { show: false }, ...extra });
  const CHARTS = {
    rates: {
      series: [line(T.seriesArrivals, COLORS.blue), line(T.seriesCalls, COLORS.green), line(T.seriesSubmissions, COLORS.orange)],
      data: () => [store.t, store.arrivals, store.calls, store.submissions],
    },
    waiting: { series: [line(T.seriesWaiting, COLORS.blue, { fill: "rgba(9,87,151,0.08)" })], data: () => [store.t, store.waiting] },
    active: {
      series: [line(T.seriesActive, COLORS.violet), line(T.seriesMaxActive, COLORS.grey, { dash: [6, 4], width: 1 })],
      data: () => [store.t, store.active, store.maxActive],
    },
    quota: {
      series: [line(T.seriesAccepted, COLORS.green, { fill: "rgba(31,122,69,0.08)" }), line(T.seriesQuota, COLORS.red, { dash: [6, 4], width: 1 })],
      data: () => [store.t, store.accepted, store.quota],
    },
    wait: {
      series: [line(T.seriesP50, COLORS.blue), line(T.seriesP95, COLORS.red)],
      data: () => [store.t, store.p50, store.p95],
    },
  };
  const charts = {};


  function makeCharts() {
    if (typeof uPlot !== "function") return;
    for (const [id, spec] of Object.entries(CHARTS)) {
      const el = document.getElementById(`chart-${id}`);
      const opts = {
        width: Math.max(200, el.clientWidth),
        height: 190,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), TZ),
        cursor: { drag: { x: false, y: false } },
        legend: { live: true },
        scales: { x: { time: true }, y: { range: (_u, min, max) => [Math.min(0, min ?? 0), Math.max(1, (max ?? 1) * 1.1)] } },
        axes: [
          {
            stroke: "#5b6570",
            grid: { stroke: "#eef1f4" },
            space: 64,
            // Seconds only when the ticks are less than a minute apart.
            values: (_u, splits, _axis, _space, incr) => splits.map((ts) => (incr < 60 ? hms(ts) : hourMinute.format(new Date(ts * 1000)))),
          },
          { stroke: "#5b6570", grid: { stroke: "#eef1f4" }, size: 56 },
        ],
        series: [{ label: T.time, value: (_u, ts) => (ts === null ? "—" : clock.format(new Date(ts * 1000))) }, ...spec.series],
      };
      charts[id] = new uPlot(opts, spec.data(), el);
    }
    const resize = new ResizeObserver(() => {
      for (const [id, chart] of Object.entries(charts)) {
        const el = document.getElementById(`chart-${id}`);
        if (el.clientWidth && Math.abs(chart.width - el.clientWidth) > 2) chart.setSize({ width: el.clientWidth, height: 190 });
      }
    });
    for (const id of Object.keys(charts)) resize.observe(document.getElementById(`chart-${id}`));
  }


  function push(point) {
    const last = store.t.length ? store.t[store.t.length - 1] : -Infinity;
    if (point.t <= last) return;
    for (const [k, v] of Object.entries(point)) store[k].push(v);
    if (store.t.length > MAX_POINTS) for (const k of Object.keys(store)) store[k].splice(0, store.t.length - MAX_POINTS);
  }

  let redrawPending = false;
  function redraw() {
    if (redrawPending) return;
    redrawPending = true;
    requestAnimationFrame(() => {
      redrawPending = false;
      for (const [id, chart] of Object.entries(charts)) chart.setData(CHARTS[id].data());
    });
  }

  function pointOf(m) {
    return {
      t: Math.floor(Date.parse(m.at) / 1000),
      arrivals: m.perMinute.arrivals,
      calls: m.perMinute.calls,
      submissions: m.perMinute.submissions,
      waiting: m.line.waiting,
      active: m.line.active,
      maxActive: m.settings.maxActive,
      accepted: m.submissions.accepted,
      quota: m.submissions.quota,
      p50: m.wait.p50Seconds === null ? null : m.wait.p50Seconds / 60,
      p95: m.wait.p95Seconds === null ? null : m.wait.p95Seconds / 60,
    };
  }

  /** The per-minute history (D1) before the live points, so a reload starts with the event so far. */
  async function loadHistory(quota) {
    const { res, body } = await json("history");
    if (!res.ok) return;
    let accepted = 0;
    for (const m of body.minutes) {
      accepted += m.submissions;
      push({
        t: m.minute * 60,
        arrivals: m.arrivals,
        calls: m.calls,
        submissions: m.submissions,
        waiting: m.waiting,
        active: m.active,
        maxActive: null,
        accepted,
        quota,
        // Live percentiles are over the whole event; the history's are per minute: they are not drawn together.
        p50: null,
        p95: null,
      });
    }
    redraw();
  }

  // ------------------------------------------------------------ the stream

  let stream = null;
  let lastDataAt = 0;
  let connectingSince = 0;
  let backoffMs = 1_000;
  let retryTimer = null;
  let countdownTimer = null;
  let configVersion = null;

  function setConn(state, text) {
    const el = $("#conn");
    el.className = `conn conn-${state}`;
    el.textContent = text;
    document.body.dataset.stream = state;
  }

  function stopStream() {
    if (stream) stream.abort();
    stream = null;
    clearTimeout(retryTimer);
    clearInterval(countdownTimer);
  }

  function reconnectLater() {
    stopStream();
    const until = Date.now() + backoffMs;
    const show = () => setConn("down", fmt(T.disconnected, { s: Math.max(1, Math.ceil((until - Date.now()) / 1000)) }));
    show();
    countdownTimer = setInterval(show, 500);
    retryTimer = setTimeout(connect, backoffMs);
    backoffMs = Math.min(10_000, backoffMs * 2);
  }

  function onFrame(frame) {
    let event = "message";
    let data = "";
    for (const l of frame.split("\n")) {
      if (l.startsWith(":")) continue;
      const colon = l.indexOf(":");
      const field = colon < 0 ? l : l.slice(0, colon);
      const value = colon < 0 ? "" : l.slice(colon + 1).replace(/^ /, "");
      if (field === "event") event = value;
      else if (field === "data") data += (data ? "\n" : "") + value;
    }
    if (event !== "metrics" || !data) return;
    const m = JSON.parse(data);
    lastDataAt = Date.now();
    backoffMs = 1_000;
    setConn("live", T.live);
    showHeadline(m);
    push(pointOf(m));
    redraw();
    if (configVersion !== null && m.configVersion !== configVersion && !formDirty()) loadEvent().catch(() => {});
  }

  async function connect() {
    stopStream();
    const controller = new AbortController();
    stream = controller;
    connectingSince = Date.now();
    // After a loss the indicator stays red while it tries again: only the first connection is "connecting".
    if (document.body.dataset.stream === "down") setConn("down", T.reconnecting);
    else setConn("wait", T.connecting);
    let received = false;
    try {
      const res = await call("stream", { signal: controller.signal, headers: { Accept: "text/event-stream" } });
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n?/g, "\n");
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          onFrame(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          received = true;
        }
      }
      // The server ends a stream after a while: come straight back.
      if (stream === controller && received) {
        connect();
        return;
      }
      throw new Error("stream ended");
    } catch (e) {
      if (e instanceof AuthError || stream !== controller) return;
      reconnectLater();
    }
  }

  // A stream that goes quiet (a proxy holding it, a laptop waking up) counts as
  // lost, and so does an attempt that gets nothing within CONNECT_TIMEOUT_MS.
  setInterval(() => {
    if (!stream) return;
    const live = document.body.dataset.stream === "live";
    if ((live && Date.now() - lastDataAt > STALE_MS) || (!live && Date.now() - connectingSince > CONNECT_TIMEOUT_MS)) reconnectLater();
  }, 1_000);

  // ------------------------------------------------------------ settings

  const form = $("#settings");
  let loaded = null;

  /** ISO-8601 with Montreal's offset, e.g. 2016-06-13T08:30:00-04:00. */
  function montrealIso(iso) {
    if (!iso) return "";
    const date = new Date(iso);
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat("en-CA", {
        timeZone: TZ, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
        hourCycle: "h23", timeZoneName: "longOffset",
      }).formatToParts(date).map((p) => [p.type, p.value]),
    );
    const offset = parts.timeZoneName === "GMT" ? "Z" : parts.timeZoneName.replace("GMT", "");
    return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${offset}`;
  }

  const lines = (text) => text.split("\n").map((s) => s.trim()).filter(Boolean);

  function formValues() {
    const f = form.elements;
    return {
      quota: f.quota.value,
      admissionSeconds: f.admissionSeconds.value,
      maxActive: f.maxActive.value,
      admitPerMinute: f.admitPerMinute.value,
      overbook: f.overbook.value,
      noShowGraceSeconds: f.noShowGraceSeconds.value,
      opensAt: f.opensAt.value.trim(),
      banner: f.banner.value.trim(),
      routeOpen: f["route-open"].value,
      routeProtected: f["route-protected"].value,
      routeClosed: f["route-closed"].value,
      routeClosedUntil: f["route-closedUntil"].value.trim(),
    };
  }

  function fillForm(s) {
    const f = form.elements;
    for (const k of ["quota", "admissionSeconds", "maxActive", "admitPerMinute", "overbook", "noShowGraceSeconds"]) f[k].value = String(s[k]);
    f.opensAt.value = montrealIso(s.opensAt);
    f.banner.value = s.banner ?? "";
    f["route-open"].value = s.routePolicy.open.join("\n");
    f["route-protected"].value = s.routePolicy.protected.join("\n");
    f["route-closed"].value = s.routePolicy.closed.join("\n");
    f["route-closedUntil"].value = s.routePolicy.closedUntil ?? "";
    for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
    loaded = formValues();
    const preview = $("#banner-preview");
    preview.textContent = s.banner ?? "";
    preview.hidden = !s.banner;
  }

  function formDirty() {
    if (!loaded) return false;
    const now = formValues();
    return Object.keys(now).some((k) => now[k] !== loaded[k]);
  }

  /** Only what changed goes in the PUT: the room validates and audits that. */
  function patchOf() {
    const now = formValues();
    const patch = {};
    for (const k of ["quota", "admissionSeconds", "maxActive", "admitPerMinute", "overbook", "noShowGraceSeconds"]) {
      if (now[k] !== loaded[k]) patch[k] = now[k] === "" ? NaN : Number(now[k]);
    }
    if (now.opensAt !== loaded.opensAt) patch.opensAt = now.opensAt || null;
    if (now.banner !== loaded.banner) patch.banner = now.banner || null;
    if (["routeOpen", "routeProtected", "routeClosed", "routeClosedUntil"].some((k) => now[k] !== loaded[k])) {
      patch.routePolicy = {
        open: lines(now.routeOpen),
        protected: lines(now.routeProtected),
        closed: lines(now.routeClosed),
        closedUntil: now.routeClosedUntil || null,
      };
    }
    return patch;
  }

  const FIELD_INPUT = { "routePolicy.open": "route-open", "routePolicy.protected": "route-protected", "routePolicy.closed": "route-closed", "routePolicy.closedUntil": "route-closedUntil" };

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const out = $("#settings-result");
    out.className = "";
    const patch = patchOf();
    if (Object.keys(patch).length === 0) {
      out.textContent = T.noChange;
      return;
    }
    for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
    try {
      const { res, body } = await json("event", { method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify(patch) });
      if (!res.ok) {
        out.className = "error";
        out.textContent = errorText(body);
        const field = body.error && body.error.field && (FIELD_INPUT[body.error.field] || body.error.field.split(".")[0]);
        const input = field && form.elements[field === "routePolicy" ? "route-open" : field];
        if (input) {
          input.setAttribute("aria-invalid", "true");
          input.focus();
        }
        return;
      }
      out.className = "ok";
      out.textContent = T.applied;
      fillForm(body.settings);
      loadAudit();
    } catch (err) {
      if (!(err instanceof AuthError)) {
        out.className = "error";
        out.textContent = T.networkError;
      }
    }
  });

  async function loadEvent() {
    const { res, body } = await json("event");
    if (!res.ok) throw new Error(errorText(body));
    configVersion = body.event.configVersion;
    if (body.settings && !formDirty()) fillForm(body.settings);
    return body;
  }

  // ------------------------------------------------------------ controls

  async function control(path, done) {
    const out = $("#control-result");
    out.className = "";
    try {
      const { res, body } = await json(`event/${path}`, { method: "POST" });
      out.className = res.ok ? "ok" : "error";
      out.textContent = res.ok ? done : errorText(body);
      loadAudit();
    } catch (err) {
      if (!(err instanceof AuthError)) {
        out.className = "error";
        out.textContent = T.networkError;
      }
    }
  }

  $("#pause").addEventListener("click", () => control("pause", T.pausedDone));
  $("#resume").addEventListener("click", () => control("resume", T.resumedDone));

  const closeDialog = $("#confirm-close");
  const closeInput = closeDialog.querySelector("input");
  $("#close").addEventListener("click", () => {
    closeInput.value = "";
    $("#close-confirm").disabled = true;
    closeDialog.showModal();
    closeInput.focus();
  });
  closeInput.addEventListener("input", () => {
    $("#close-confirm").disabled = closeInput.value.trim() !== EVENT;
  });
  $("#close-cancel").addEventListener("click", () => closeDialog.close());
  $("#close-form").addEventListener("submit", (e) => {
    if (closeInput.value.trim() !== EVENT) {
      e.preventDefault();
      return;
    }
    control("close", T.closedDone);
  });

  // ------------------------------------------------------------ audit and export

  function changeSummary(before, after) {
    if (!before || !after || typeof before !== "object" || typeof after !== "object") return `${JSON.stringify(before)} → ${JSON.stringify(after)}`;
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    const changed = keys.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
    const short = (v, k) => {
      if (k === "opensAt" && typeof v === "number") return stamp.format(new Date(v));
      const s = JSON.stringify(v);
      return s === undefined ? "—" : s.length > 60 ? `${s.slice(0, 57)}…` : s;
    };
    return changed.map((k) => `${k}: ${short(before[k], k)} → ${short(after[k], k)}`).join("\n") || "—";
  }

  async function loadAudit() {
    try {
      const { res, body } = await json("audit");
      if (!res.ok) return;
      const tbody = $("#audit");
      tbody.replaceChildren(
        ...body.audit.slice(0, 100).map((r) => {
          const tr = document.createElement("tr");
          for (const text of [stamp.format(new Date(r.at)), r.actor, T[r.action] || r.action, changeSummary(r.before, r.after)]) {
            const td = document.createElement("td");
            td.textContent = text;
            tr.append(td);
          }
          return tr;
        }),
      );
    } catch {
      // Shown again on the next action or refresh.
    }
  }

  $("#csv").addEventListener("click", async (e) => {
    e.preventDefault();
    try {
      const res = await call("submissions.csv");
      if (!res.ok) return;
      const url = URL.createObjectURL(await res.blob());
      const a = document.createElement("a");
      a.href = url;
      a.download = `${EVENT}-submissions.csv`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch {
      // AuthError asks for the token; a network failure shows on the stream indicator.
    }
  });

  // ------------------------------------------------------------ start

  let started = false;
  async function start() {
    try {
      const view = await loadEvent();
      if (!started) {
        started = true;
        makeCharts();
        await loadHistory(view.settings ? view.settings.quota : null);
        setInterval(loadAudit, 30_000);
      }
      loadAudit();
      connect();
    } catch (e) {
      if (e instanceof AuthError) return;
      setConn("down", `${T.error} : ${e.message}`);
      retryTimer = setTimeout(start, 5_000);
    }
  }

  start();
})();
