// The event's settings form: filled from the API (and again when another
// operator changes them, unless this one is typing), and only what changed
// goes in the PUT, which the room validates and audits. A change the server
// says would close the intake (409 confirmation_required) is sent again only
// once the operator has typed the event's id, as Close asks.
import { AuthError, errorText, json } from "./api.js";
import { loadAuditSoon } from "./audit.js";
import { $, EVENT, T, TZ } from "./page.js";

const form = $("#settings");
const NUMBERS = ["quota", "admissionSeconds", "maxActive", "admitPerMinute", "overbook", "noShowGraceSeconds"];
const FIELD_INPUT = { "routePolicy.open": "route-open", "routePolicy.protected": "route-protected", "routePolicy.closed": "route-closed", "routePolicy.closedUntil": "route-closedUntil" };
let loaded = null;
let configVersion = null;

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
  for (const k of NUMBERS) f[k].value = String(s[k]);
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

function patchOf() {
  const now = formValues();
  const patch = {};
  for (const k of NUMBERS) {
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

const confirmDialog = $("#confirm-change");
const confirmInput = confirmDialog.querySelector("input");
let awaitingConfirmation = null;

/** Asks for the event's id before a change that closes the intake; resolves with whether it was typed. */
function askConfirmation(message) {
  $("#confirm-change-reason").textContent = message;
  confirmInput.value = "";
  $("#change-confirm").disabled = true;
  confirmDialog.returnValue = "";
  confirmDialog.showModal();
  confirmInput.focus();
  return new Promise((resolve) => {
    awaitingConfirmation = resolve;
  });
}
confirmInput.addEventListener("input", () => {
  $("#change-confirm").disabled = confirmInput.value.trim() !== EVENT;
});
$("#change-cancel").addEventListener("click", () => confirmDialog.close());
confirmDialog.addEventListener("close", () => {
  const resolve = awaitingConfirmation;
  awaitingConfirmation = null;
  if (resolve) resolve(confirmDialog.returnValue === "confirmed");
});
$("#change-form").addEventListener("submit", (e) => {
  e.preventDefault();
  if (confirmInput.value.trim() !== EVENT) return;
  confirmDialog.close("confirmed");
});

function putEvent(body) {
  return json("event", { method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
}

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
    let { res, body } = await putEvent(patch);
    if (res.status === 409 && body.error && body.error.code === "confirmation_required") {
      if (!(await askConfirmation(body.error.message))) {
        out.className = "error";
        out.textContent = errorText(body);
        loadAuditSoon();
        return;
      }
      ({ res, body } = await putEvent({ ...patch, confirmClose: EVENT }));
    }
    if (!res.ok) {
      out.className = "error";
      out.textContent = errorText(body);
      loadAuditSoon();
      const field = body.error && body.error.field && (FIELD_INPUT[body.error.field] || body.error.field.split(".")[0]);
      const input = field && form.elements[field === "routePolicy" ? "route-open" : field];
      if (input) {
        input.setAttribute("aria-invalid", "true");
        input.focus();
      }
      return;
    }
    out.className = "ok";
    out.textContent = body.closed ? T.closedByChange : T.applied;
    fillForm(body.settings);
    loadAuditSoon();
  } catch (err) {
    if (!(err instanceof AuthError)) {
      out.className = "error";
      out.textContent = T.networkError;
    }
  }
});

export async function loadEvent() {
  const { res, body } = await json("event");
  if (!res.ok) throw new Error(errorText(body));
  configVersion = body.event.configVersion;
  if (body.settings && !formDirty()) fillForm(body.settings);
  return body;
}

/** After a live snapshot: the settings again if someone changed them, unless this operator is editing. */
export function followConfig(m) {
  if (configVersion !== null && m.configVersion !== configVersion && !formDirty()) loadEvent().catch(() => {});
}
