// The dashboard: a day per unit (on time / late / missing), the missing list, the in-office
// share against the quota, the month's trend, check-ins against their geofences, the unit
// head's verification and the exports. Each panel degrades on its own: if its endpoint is
// missing or fails, the panel is hidden and the rest keeps working.

import { geofenceDial, officeBar, trendChart } from "./charts.js";
import { language, locale, setLanguage, t, translate } from "./i18n.js";
import { loadMissingNow } from "./missing_now.js";

const TOKEN_KEY = "hadir.dashboard.token";
const REFRESH_MS = 30000;
const $ = (id) => document.getElementById(id);
const state = { token: null, claims: null, ctx: null, report: null, units: [], date: null, unit: "", loading: null };

// --- plumbing --------------------------------------------------------------------------

function decodeClaims(token) {
  const part = token.split(".")[1];
  if (!part) throw new Error("not a JWT");
  const base64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))));
}

class HttpError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

async function call(url, init = {}) {
  const response = await fetch(url, { ...init, cache: "no-store",
    headers: { ...(init.headers || {}), Authorization: `Bearer ${state.token}` } });
  if (!response.ok) {
    let detail = `HTTP ${response.status}`;
    try {
      const body = await response.json();
      detail = typeof body.detail === "string" ? body.detail : (body.detail || []).map((e) => e.msg).join("; ");
    } catch { /* not JSON */ }
    if (response.status === 401) say(t("error.auth"), "error");
    throw new HttpError(response.status, detail);
  }
  return response;
}

const getJson = async (url) => (await call(url)).json();

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  return q.toString();
}

function make(tag, className, content) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (content !== undefined) el.textContent = content;
  return el;
}

function cell(content, className = "") {
  const td = make("td", className);
  if (content instanceof Node) td.append(content);
  else td.textContent = content ?? "";
  return td;
}

/** Give every cell its column's name (data-label): phones show tables as stacked cards. */
function labelCells(table) {
  const names = [...table.querySelectorAll("thead th")].map((th) => th.textContent);
  for (const row of table.querySelectorAll("tbody tr")) {
    [...row.children].forEach((td, i) => {
      if (names[i] && td.colSpan === 1) td.dataset.label = names[i];
    });
  }
}

function say(message, tone = "") {
  const el = $("message");
  el.textContent = message;
  el.className = `notice ${tone}`.trim();
  el.hidden = !message;
}

function panel(id, visible) {
  $(id).hidden = !visible;
}

const zone = () => state.ctx?.timezone || "Asia/Jakarta";
const pct = (x) => (x === null || x === undefined ? "—" : `${Math.round(x * 100)}%`);

function clock(iso, withDate = false) {
  const options = { timeZone: zone(), hour: "2-digit", minute: "2-digit" };
  if (withDate) Object.assign(options, { day: "numeric", month: "short" });
  return `${new Intl.DateTimeFormat(locale(), options).format(new Date(iso))} ${state.ctx?.zone || ""}`.trim();
}

function localToday() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: zone(), year: "numeric", month: "2-digit", day: "2-digit" })
    .format(new Date());
}

function formatNip(nip) {
  return /^\d{18}$/.test(nip || "") ? `${nip.slice(0, 8)} ${nip.slice(8, 14)} ${nip.slice(14, 15)} ${nip.slice(15)}`
    : nip || "";
}

const isHead = () => (state.claims?.roles || []).includes("unit_head");
const isAdmin = () => (state.claims?.roles || []).includes("tenant_admin");

// --- sign in ---------------------------------------------------------------------------

function signIn(raw) {
  const token = raw.trim().replace(/^Bearer\s+/i, "");
  const fail = (key) => {
    $("signin-error").textContent = t(key);
    $("signin-error").hidden = false;
    $("signin").hidden = false;
    $("board").hidden = true;
    return false;
  };
  let claims;
  try {
    claims = decodeClaims(token);
  } catch {
    return fail("signin.invalid");
  }
  if (claims.exp && claims.exp * 1000 < Date.now()) return fail("signin.expired");
  if (!(claims.roles || []).some((r) => r === "unit_head" || r === "tenant_admin")) return fail("signin.role");
  state.token = token;
  state.claims = claims;
  localStorage.setItem(TOKEN_KEY, token);
  $("signin").hidden = true;
  $("board").hidden = false;
  $("signout").hidden = false;
  $("who").textContent = [claims.sub, (claims.roles || []).join(", "), claims.unit].filter(Boolean).join(" · ");
  load();
  return true;
}

function signOut() {
  localStorage.removeItem(TOKEN_KEY);
  state.token = state.claims = null;
  $("board").hidden = true;
  $("signout").hidden = true;
  $("signin").hidden = false;
  $("who").textContent = "";
}

// --- loading ---------------------------------------------------------------------------

async function loadContext() {
  try {
    state.ctx = await getJson(`/dashboard/api/context?${query({ date: state.date })}`);
  } catch {
    state.ctx = { checkin_url: `${location.protocol}//${location.hostname}:8001`, geofence_radius_m: null,
      timezone: state.report?.timezone || "Asia/Jakarta", zone: state.report?.zone || "" };
  }
}

async function load() {
  if (state.loading) return state.loading;
  state.loading = (async () => {
    try {
      await loadContext();
      state.date = state.date || state.ctx.today || localToday();
      $("date").value = state.date;
      const unit = isAdmin() ? state.unit : state.claims.unit;
      try {
        state.report = await getJson(`/v1/reports/daily?${query({ date: state.date, unit_id: isAdmin() ? unit : "" })}`);
      } catch (error) {
        if (error.status !== 401) say(t("error.load", { detail: error.message }), "error");
        return;
      }
      if (!unit || !isAdmin()) state.units = state.report.units.map((u) => ({ id: u.unit_id, name: u.name }));
      renderReport();
      await Promise.all([loadMissing(unit), loadTrend(unit), loadGeofence(unit),
        loadMissingNow(getJson, isAdmin() ? unit : "")]);
      document.body.dataset.loadedAt = new Date().toISOString();
    } finally {
      state.loading = null;
    }
  })();
  return state.loading;
}

async function loadMissing(unit) {
  try {
    const rows = await getJson(`/v1/reports/overdue?${query({ date: state.date, unit_id: isAdmin() ? unit : "" })}`);
    renderMissing(rows);
    panel("missing-panel", true);
  } catch {
    panel("missing-panel", false);
  }
}

async function loadTrend(unit) {
  const month = state.date.slice(0, 7);
  try {
    const trend = await getJson(`/dashboard/api/trend?${query({ month, unit_id: isAdmin() ? unit : "" })}`);
    renderTrend(trend.days, month);
    panel("trend-panel", true);
  } catch {
    panel("trend-panel", false);
  }
}

async function loadGeofence(unit) {
  const base = new URL(location.href).searchParams.get("checkin") || state.ctx.checkin_url;
  try {
    const rows = await getJson(`${base}/app/api/unit-checkins?${query({ date: state.date, unit_id: unit })}`);
    renderGeofence(rows);
    panel("geofence-panel", true);
  } catch {
    panel("geofence-panel", false); // the check-in service is unreachable or too old
  }
}

// --- rendering -------------------------------------------------------------------------

function renderReport() {
  const r = state.report;
  $("tenant").textContent = `${r.tenant_name} · ${new Intl.DateTimeFormat(locale(), { dateStyle: "full",
    timeZone: "UTC" }).format(new Date(`${r.date}T00:00:00Z`))}`;
  $("policy").textContent = (r.policy_number ? t("policy", { number: r.policy_number, zone: r.zone })
    : t("policy.none", { zone: r.zone })) + (r.policy_number && !r.working_day ? ` · ${t("nonworking")}` : "");
  renderUnitFilter();
  renderTotals(r);
  renderUnits(r);
  renderWindows(r);
}

function renderUnitFilter() {
  const select = $("unit");
  select.replaceChildren();
  if (isAdmin()) {
    select.append(new Option(t("unit.all"), ""));
    for (const u of state.units) select.append(new Option(u.name, u.id));
    select.value = state.unit;
    select.disabled = false;
  } else {
    const own = state.units.find((u) => u.id === state.claims.unit);
    select.append(new Option(own?.name || state.claims.unit || "", state.claims.unit || ""));
    select.disabled = true;
  }
}

function renderTotals(r) {
  const tiles = $("totals");
  tiles.replaceChildren();
  for (const key of ["expected", "on_time", "late", "missing", "pending", "outside_geofence", "suspicious"]) {
    const tile = make("div", `tile ${key}`);
    tile.dataset.count = key;
    tile.append(make("strong", "", String(r.totals[key] ?? 0)), make("span", "", t(`c.${key}`)));
    tiles.append(tile);
  }
  const office = r.in_office || {};
  const tile = make("div", `tile office ${office.meets_quota === false ? "below" : ""}`);
  tile.append(make("strong", "", pct(office.ratio)),
    make("span", "", office.headcount ? t("office.text", { wfo: office.wfo, headcount: office.headcount,
      ratio: pct(office.ratio), quota: office.quota_pct ?? "—" }) : t("units.office")));
  tiles.append(tile);
}

function renderUnits(r) {
  const body = $("units-panel").querySelector("tbody");
  body.replaceChildren();
  $("verified-summary").textContent = t("units.summary", { verified: r.units_verified, total: r.units_total });
  if (!r.units.length) {
    const tr = make("tr");
    tr.append(cell(t("units.none"), "muted"));
    tr.firstChild.colSpan = 8;
    body.append(tr);
  }
  for (const u of r.units) {
    const tr = make("tr");
    tr.dataset.unit = u.unit_id;
    const name = make("div");
    name.append(make("strong", "", u.name), make("div", "muted", t(`sector.${u.sector}`)));
    tr.append(cell(name));
    for (const key of ["expected", "on_time", "late", "missing", "pending"]) {
      const td = cell(String(u.totals[key] ?? 0), `num ${key}`);
      td.dataset.count = key;
      tr.append(td);
    }
    const office = make("div", "office-cell");
    const o = u.in_office;
    const label = o.headcount ? `${t("office.text", { wfo: o.wfo, headcount: o.headcount, ratio: pct(o.ratio),
      quota: o.quota_pct ?? "—" })} · ${t(o.meets_quota ? "office.meets" : "office.below")}` : t("office.none");
    office.append(officeBar(o, label), make("span", "muted", label));
    tr.append(cell(office));
    tr.append(cell(verification(u)));
    body.append(tr);
  }
  labelCells(body.closest("table"));
}

function verification(u) {
  if (u.verified) {
    const done = make("span", "badge on_time", t("units.verified", { when: u.verified_at ? clock(u.verified_at, true) : "" }));
    done.title = u.verified_by || "";
    done.dataset.testid = "verified";
    return done;
  }
  if (isHead() && state.claims.unit === u.unit_id) {
    const button = make("button", "secondary", t("units.verify"));
    button.type = "button";
    button.dataset.testid = "verify";
    button.addEventListener("click", () => verify(u, button));
    return button;
  }
  return make("span", "muted", t("units.unverified"));
}

async function verify(unit, button) {
  button.disabled = true;
  try {
    await call("/v1/reports/verifications", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ date: state.date, unit_id: unit.unit_id }) });
    say(t("units.verify_done", { unit: unit.name, date: state.date }), "ok");
    await load();
  } catch (error) {
    say(error.message, error.status === 409 ? "warn" : "error");
    button.disabled = false;
  }
}

function renderWindows(r) {
  const body = $("windows-panel").querySelector("tbody");
  body.replaceChildren();
  for (const w of r.windows) {
    const tr = make("tr");
    tr.dataset.window = w.window_id;
    const name = make("div");
    name.append(make("strong", "", w.window_name),
      make("div", "muted", `${clock(w.start)}–${clock(w.end)} · ${t(w.closed ? "windows.closed" : "windows.open")}`));
    tr.append(cell(name), cell(clock(w.deadline)));
    for (const key of ["on_time", "late", "missing", "pending"]) tr.append(cell(String(w[key] ?? 0), `num ${key}`));
    body.append(tr);
  }
  labelCells(body.closest("table"));
  panel("windows-panel", r.windows.length > 0);
}

function renderMissing(rows) {
  const units = new Map(state.report.units.map((u) => [u.unit_id, u.name]));
  const windows = new Map(state.report.windows.map((w) => [w.window_id, w.window_name]));
  const list = $("missing");
  list.replaceChildren();
  for (const row of rows) {
    const li = make("li");
    li.dataset.nip = row.nip;
    li.dataset.status = row.status;
    const who = make("div");
    who.append(make("strong", "", row.name || formatNip(row.nip)),
      make("div", "muted", [row.name ? formatNip(row.nip) : "", units.get(row.unit_id) || row.unit_id,
        windows.get(row.window_id) || row.window_id].filter(Boolean).join(" · ")));
    const status = make("span", `badge ${row.status}`, row.status === "missing" ? t("status.missing")
      : t("missing.late_after"));
    li.append(who, status);
    list.append(li);
  }
  $("missing-empty").hidden = rows.length > 0;
}

function renderTrend(days, month) {
  const merged = new Map(days.map((d) => [d.date, { ...d, pending: 0 }]));
  const r = state.report;
  if (r.date.startsWith(month) && r.totals.expected > (merged.get(r.date)?.expected || 0)) {
    merged.set(r.date, { date: r.date, ...r.totals }); // the selected day, open windows included
  }
  const chart = $("trend");
  chart.replaceChildren();
  const rows = [...merged.values()];
  if (!rows.length) {
    chart.append(make("p", "muted", t("trend.empty")));
    return;
  }
  state.trend = { rows, month };
  chart.append(trendChart(rows, month, r.date, t("trend.title"), chart.clientWidth));
  const legend = make("p", "legend");
  for (const key of ["on_time", "late", "missing", "pending"]) {
    const item = make("span", `key ${key}`, t(`c.${key}`));
    legend.append(item);
  }
  chart.append(legend);
}

function renderGeofence(rows) {
  const radius = state.ctx?.geofence_radius_m || 150;
  $("geo-help").textContent = state.ctx?.geofence_radius_m ? t("geo.help", { radius: Math.round(radius) })
    : t("geo.help_noradius");
  const points = rows.filter((r) => r.distance_m !== null && r.distance_m !== undefined)
    .map((r) => ({ ...r, tooltip: `${r.name || formatNip(r.employee_id)} · ${clock(r.captured_at)} · `
      + `${Math.round(r.distance_m)} m · ${t(`geo.${r.geofence || "not_checked"}`)} · ${t(`status.${r.status}`)}` }));
  const waiting = rows.filter((r) => r.status === "pending" && r.kind === "location");
  const chart = $("geofence");
  chart.replaceChildren(geofenceDial(points, radius, zone(), t("geo.title")));
  const legend = make("p", "legend");
  for (const key of ["inside", "outside", "not_checked"]) legend.append(make("span", `key ${key}`, t(`geo.${key}`)));
  chart.append(legend);

  const body = $("geofence-panel").querySelector("tbody");
  body.replaceChildren();
  const shown = [...points, ...waiting.filter((w) => !points.includes(w))]
    .sort((a, b) => (b.geofence === "outside") - (a.geofence === "outside") || b.captured_at.localeCompare(a.captured_at));
  for (const p of shown) {
    const tr = make("tr");
    tr.dataset.employee = p.employee_id;
    const who = make("div");
    who.append(make("strong", "", p.name || formatNip(p.employee_id)),
      make("div", "muted", formatNip(p.employee_id)));
    const verdict = p.status === "pending" ? "pending" : p.geofence || "not_checked";
    const badge = make("span", `badge ${verdict === "inside" ? "on_time" : verdict === "outside" ? "missing" : ""}`,
      t(`geo.${verdict}`));
    const distance = p.distance_m === null || p.distance_m === undefined ? "—" : String(Math.round(p.distance_m));
    tr.append(cell(who), cell(clock(p.captured_at)), cell(badge), cell(distance, "num"));
    body.append(tr);
  }
  if (!shown.length) {
    const tr = make("tr");
    tr.append(cell(t("geo.empty"), "muted"));
    tr.firstChild.colSpan = 4;
    body.append(tr);
  }
  labelCells(body.closest("table"));
}

// --- exports -----------------------------------------------------------------------------

async function download(kind, format) {
  const unit = isAdmin() ? state.unit : "";
  const url = kind === "daily"
    ? `/v1/reports/daily/export?${query({ date: state.date, format, sheet: format === "csv" ? "rincian" : "",
      unit_id: unit })}`
    : `/v1/reports/monthly/export?${query({ month: state.date.slice(0, 7), format, unit_id: unit })}`;
  try {
    const response = await call(url);
    const blob = await response.blob();
    const disposition = response.headers.get("content-disposition") || "";
    const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] || `hadir-${kind}.${format}`;
    const link = make("a");
    link.href = URL.createObjectURL(blob);
    link.download = name;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  } catch (error) {
    if (error.status === 404 || error.status === 405) panel("exports-panel", false);
    say(t("export.failed", { detail: error.message }), "error");
  }
}

// --- wiring ------------------------------------------------------------------------------

function renderAll() {
  translate();
  $("lang").textContent = language() === "id" ? "EN" : "ID";
  if (state.report) {
    renderReport();
    load();
  }
}

function main() {
  translate();
  $("lang").textContent = language() === "id" ? "EN" : "ID";
  $("lang").addEventListener("click", () => {
    setLanguage(language() === "id" ? "en" : "id");
    renderAll();
  });
  $("signin-form").addEventListener("submit", (e) => {
    e.preventDefault();
    signIn($("token").value);
  });
  $("signout").addEventListener("click", signOut);
  $("refresh").addEventListener("click", () => load());
  $("date").addEventListener("change", (e) => {
    state.date = e.target.value || null;
    load();
  });
  $("unit").addEventListener("change", (e) => {
    state.unit = e.target.value;
    load();
  });
  for (const button of document.querySelectorAll("[data-export]")) {
    button.addEventListener("click", () => download(button.dataset.export, button.dataset.format));
  }
  let resizing;
  window.addEventListener("resize", () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => {
      if (!state.trend || $("trend-panel").hidden) return;
      const chart = $("trend");
      chart.querySelector("svg")?.replaceWith(trendChart(state.trend.rows, state.trend.month, state.report.date,
        t("trend.title"), chart.clientWidth));
    }, 200);
  });
  setInterval(() => {
    if (state.token && document.visibilityState === "visible" && state.date === localToday()) load();
  }, REFRESH_MS);

  const url = new URL(location.href);
  const fromUrl = url.searchParams.get("token");
  if (fromUrl) {
    url.searchParams.delete("token");
    history.replaceState(null, "", url.pathname + url.search + url.hash);
  }
  const token = fromUrl || localStorage.getItem(TOKEN_KEY);
  if (!token || !signIn(token)) $("signin").hidden = false;
}

main();
