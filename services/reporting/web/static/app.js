// The dashboard: a day per unit (units worst first, tiles and the list of who is missing or late
// from the same facts: GET /dashboard/api/day), the in-office share against the quota, the
// month's trend, the day's check-ins with the head's map of one (checkins.js), the unit head's
// verification and the exports. Every call goes to this service (api.js) with the session's
// token (session.js). A panel whose data fails stays and says what failed (dom.failed).

import { call, getJson, query } from "./api.js";
import { officeBar, trendChart } from "./charts.js";
import { closeMap, loadCheckins, rerender as rerenderCheckins } from "./checkins.js";
import { $, cell, failed, labelCells, make, ok } from "./dom.js";
import { language, locale, setLanguage, t, translate } from "./i18n.js";
import { loadMissingNow } from "./missing_now.js";
import { begin, isAdmin, isHead, ownUnit, renderWho, who } from "./session.js";

const REFRESH_MS = 30000;
const state = { report: null, attention: [], units: [], date: null, unit: "", loading: null, trend: null };

// --- plumbing --------------------------------------------------------------------------

function say(message, tone = "") {
  const el = $("message");
  el.textContent = message;
  el.className = `notice ${tone}`.trim();
  el.hidden = !message;
}

const zone = () => state.report?.timezone || who.ctx?.timezone || "Asia/Jakarta";
const pct = (x) => (x === null || x === undefined ? "—" : `${Math.round(x * 100)}%`);

function clock(iso, withDate = false) {
  const options = { timeZone: zone(), hour: "2-digit", minute: "2-digit" };
  if (withDate) Object.assign(options, { day: "numeric", month: "short" });
  return `${new Intl.DateTimeFormat(locale(), options).format(new Date(iso))} ${state.report?.zone || ""}`.trim();
}

function localToday() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: zone(), year: "numeric", month: "2-digit", day: "2-digit" })
    .format(new Date());
}

const scopeUnit = () => (isAdmin() ? state.unit : "");

// --- loading ---------------------------------------------------------------------------

async function load() {
  if (state.loading) return state.loading;
  state.loading = (async () => {
    try {
      state.date = state.date || who.ctx?.today || localToday();
      $("date").value = state.date;
      const unit = scopeUnit(); // "" for a head: the server answers for their own unit
      try {
        const board = await getJson(`/dashboard/api/day?${query({ date: state.date, unit_id: unit })}`);
        state.report = board.report;
        state.attention = board.attention;
        ok("units-panel");
        ok("missing-panel");
        if ($("message").classList.contains("error")) say(""); // an earlier failure is over
      } catch (error) {
        if (error.status === 401) say(t("error.auth"), "error");
        else say(t("error.load", { detail: error.message }), "error");
        failed("units-panel", "units.title", error);
        failed("missing-panel", "missing.title", error);
        return;
      }
      if (!state.unit || !isAdmin()) state.units = state.report.units.map((u) => ({ id: u.unit_id, name: u.name }));
      renderReport();
      await Promise.all([loadTrend(unit), loadCheckins(state.date, unit), loadMissingNow(getJson, unit)]);
      document.body.dataset.loadedAt = new Date().toISOString();
    } finally {
      state.loading = null;
    }
  })();
  return state.loading;
}

async function loadTrend(unit) {
  const month = state.date.slice(0, 7);
  try {
    const trend = await getJson(`/dashboard/api/trend?${query({ month, unit_id: unit })}`);
    ok("trend-panel");
    renderTrend(trend.days, month);
  } catch (error) {
    $("trend").replaceChildren();
    failed("trend-panel", "trend.title", error);
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
  renderMissing(state.attention);
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
    select.append(new Option(who.ctx?.unit_name || t("unit.unnamed"), ownUnit()));
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
  if (isHead() && ownUnit() === u.unit_id) {
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
  if (!r.windows.length) {
    const tr = make("tr");
    tr.append(cell(t("windows.none"), "muted"));
    tr.firstChild.colSpan = 6;
    body.append(tr);
  }
  labelCells(body.closest("table"));
}

function renderMissing(rows) {
  const list = $("missing");
  list.replaceChildren();
  for (const row of rows) {
    const li = make("li");
    li.dataset.nip = row.nip;
    li.dataset.status = row.status;
    const who = make("div");
    const late = row.status === "late" && row.checkin_at
      ? t("missing.late_at", { time: clock(row.checkin_at), minutes: row.late_minutes }) : "";
    who.append(make("strong", "", row.name || t("geo.unknown")),
      make("div", "muted", [row.unit_name, row.window_name, late].filter(Boolean).join(" · ")));
    li.append(who, make("span", `badge ${row.status}`, t(`status.${row.status}`)));
    list.append(li);
  }
  const counted = (status) => rows.filter((r) => r.status === status).length;
  $("missing-summary").textContent = t("missing.summary", { missing: counted("missing"), late: counted("late") });
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

// --- exports -----------------------------------------------------------------------------

async function download(kind, format) {
  const unit = scopeUnit();
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
    say(t("export.failed", { detail: error.message }), "error");
  }
}

// --- wiring ------------------------------------------------------------------------------

function renderAll() {
  translate();
  $("lang").textContent = language() === "id" ? "EN" : "ID";
  renderWho();
  if (state.report) renderReport();
  rerenderCheckins();
}

function main() {
  translate();
  $("lang").textContent = language() === "id" ? "EN" : "ID";
  $("lang").addEventListener("click", () => {
    setLanguage(language() === "id" ? "en" : "id");
    renderAll();
  });
  $("refresh").addEventListener("click", () => load());
  $("date").addEventListener("change", (e) => {
    state.date = e.target.value || null;
    load();
  });
  $("unit").addEventListener("change", (e) => {
    state.unit = e.target.value;
    load();
  });
  $("checkin-map-close").addEventListener("click", closeMap);
  for (const button of document.querySelectorAll("[data-export]")) {
    button.addEventListener("click", () => download(button.dataset.export, button.dataset.format));
  }
  let resizing;
  window.addEventListener("resize", () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => {
      if (!state.trend || $("trend-panel").dataset.failed) return;
      const chart = $("trend");
      chart.querySelector("svg")?.replaceWith(trendChart(state.trend.rows, state.trend.month, state.report.date,
        t("trend.title"), chart.clientWidth));
    }, 200);
  });
  setInterval(() => {
    if (who.ctx && !$("board").hidden && document.visibilityState === "visible" && state.date === localToday()) load();
  }, REFRESH_MS);
  begin(load).catch((error) => say(t("error.load", { detail: error.message }), "error"));
}

main();
