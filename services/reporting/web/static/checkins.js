// The day's check-ins panel: distances to the nearest allowed place on a dial (charts.js) and in
// a list, from this service (GET /dashboard/api/checkins: names, verdicts, distances, never
// coordinates). A row opens the check-in on the schematic map (headmap.js).

import { getJson, query } from "./api.js";
import { geofenceDial } from "./charts.js";
import { $, cell, failed, labelCells, make, ok } from "./dom.js";
import * as headmap from "./headmap.js";
import { locale, t } from "./i18n.js";

let day = null; // the last answer: { date, zone, timezone, geofence_radius_m, checkins }
let opened = null; // the check-in shown on the map

function clock(iso) {
  return `${new Intl.DateTimeFormat(locale(), { timeZone: day.timezone, hour: "2-digit", minute: "2-digit" })
    .format(new Date(iso))} ${day.zone}`;
}

export async function loadCheckins(date, unit) {
  try {
    day = await getJson(`/dashboard/api/checkins?${query({ date, unit_id: unit })}`);
    ok("geofence-panel");
    render();
  } catch (error) {
    failed("geofence-panel", "geo.title", error);
  }
}

function render() {
  const radius = day.geofence_radius_m || 150;
  $("geo-help").textContent = day.geofence_radius_m ? t("geo.help", { radius: Math.round(radius) })
    : t("geo.help_noradius");
  const rows = day.checkins;
  const points = rows.filter((r) => r.distance_m !== null && r.distance_m !== undefined)
    .map((r) => ({ ...r, employee_id: r.nip, tooltip: `${r.name || t("geo.unknown")} · ${clock(r.captured_at)} · `
      + `${headmap.label(r, day.geofence_radius_m)} · ${t(`status.${r.status}`)}` }));
  const chart = $("geofence");
  chart.replaceChildren(geofenceDial(points, radius, day.timezone, t("geo.title")));
  const legend = make("p", "legend");
  for (const key of ["inside", "outside", "not_checked"]) legend.append(make("span", `key ${key}`, t(`geo.${key}`)));
  chart.append(legend);

  const body = $("geofence-panel").querySelector("tbody");
  body.replaceChildren();
  for (const r of rows) {
    const tr = make("tr", "clickable");
    tr.dataset.employee = r.nip;
    tr.dataset.checkin = r.checkin_id;
    const who = make("div");
    who.append(make("strong", "", r.name || t("geo.unknown")), make("div", "muted", r.unit_name || ""));
    const verdict = r.geofence || "not_checked";
    const badge = make("span", `badge ${verdict === "inside" ? "on_time" : verdict === "outside" ? "missing" : ""}`,
      t(`geo.${verdict}`));
    const distance = r.distance_m === null || r.distance_m === undefined ? "—" : headmap.distanceText(r.distance_m);
    const open = make("button", "link", t("map.open"));
    open.type = "button";
    open.dataset.testid = "open-map";
    open.disabled = r.distance_m === null || r.distance_m === undefined;
    open.addEventListener("click", () => show(r));
    tr.append(cell(who), cell(clock(r.captured_at)), cell(badge), cell(distance, "num"), cell(open));
    body.append(tr);
  }
  if (!rows.length) {
    const tr = make("tr");
    tr.append(cell(t("geo.empty"), "muted"));
    tr.firstChild.colSpan = 5;
    body.append(tr);
  }
  if (day.truncated) $("geo-help").textContent += ` ${t("geo.truncated", { n: rows.length })}`;
  labelCells(body.closest("table"));
  const still = opened && rows.find((r) => r.checkin_id === opened);
  if (still) show(still);
  else $("checkin-map").hidden = true;
}

function show(row) {
  opened = row.checkin_id;
  const box = $("checkin-map");
  box.hidden = false;
  box.dataset.checkin = row.checkin_id;
  const text = headmap.label(row, day.geofence_radius_m);
  $("checkin-map-title").textContent = `${row.name || t("geo.unknown")} · ${clock(row.captured_at)}`;
  $("checkin-map-label").textContent = text;
  const how = headmap.draw($("checkin-map-canvas"), row, day.geofence_radius_m);
  box.dataset.map = how;
  $("checkin-map-fallback").hidden = how === "leaflet";
  $("checkin-map-fallback").textContent = text;
  $("checkin-map-note").textContent = t("map.direction_unknown");
  box.scrollIntoView({ block: "nearest" });
}

export function closeMap() {
  opened = null;
  $("checkin-map").hidden = true;
}

/** Language changed: redraw with the new words. */
export function rerender() {
  if (day) render();
}
