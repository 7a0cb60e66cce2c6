// The event's settings form: filled from the API (and again when another
// operator changes them, unless this one is typing), and only what changed
// goes in the PUT, which the room validates and audits.
import { AuthError, errorText, json } from "./api.js";
import { loadAudit } from "./audit.js";
import { $, T, TZ } from "./page.js";

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
