// A check-in on a map, as a unit head may see it (docs/privacy.md: distances, never where anyone
// was): a schematic Leaflet map (L.CRS.Simple, one unit = one metre, no tiles) with the allowed
// place's circle (the letter's radius) at the centre and the check-in drawn at its distance on a
// dashed ring — the direction is unknown, and the map says so. The label ("7,8 km dari Rumah · di
// luar batas 150 m") is also the text shown when Leaflet cannot draw.

import { language, locale, t } from "./i18n.js";

const COLORS = { inside: "#1f8a5b", outside: "#c23b3b", not_checked: "#5c6b66", place: "#123c5a" };

export function distanceText(metres) {
  if (metres >= 1000) {
    return `${new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 }).format(metres / 1000)} km`;
  }
  return `${Math.round(metres)} m`;
}

function placeName(row) {
  if (row.place_name) return row.place_name;
  return t(`place.${row.place_kind || "other"}`);
}

/** "7,8 km dari Rumah · di luar batas 150 m" (or its English), from the check-in's facts. */
export function label(row, radius) {
  if (row.distance_m === null || row.distance_m === undefined) return t("map.no_distance");
  const where = t("map.from", { distance: distanceText(row.distance_m), place: placeName(row) });
  const limit = radius ? Math.round(radius) : null;
  if (row.geofence === "inside") return limit ? `${where} · ${t("map.inside", { radius: limit })}` : where;
  if (row.geofence === "outside") return limit ? `${where} · ${t("map.outside", { radius: limit })}` : where;
  return `${where} · ${t("map.not_checked")}`;
}

/** Draws ``row`` in ``container`` (replacing what was there); answers "leaflet" or "text". */
export function draw(container, row, radius) {
  container.hadirMap?.remove();
  container.hadirMap = null;
  container.replaceChildren();
  const L = window.L;
  const distance = row.distance_m;
  if (!L || distance === null || distance === undefined) return "text";
  const r = radius || 0;
  const far = Math.max(distance, r, 1);
  try {
    const canvas = document.createElement("div");
    canvas.className = "map-canvas";
    container.append(canvas);
    const map = L.map(canvas, { crs: L.CRS.Simple, attributionControl: false, zoomSnap: 0,
      minZoom: -20, maxZoom: 10, scrollWheelZoom: false });
    const colour = COLORS[row.geofence] || COLORS.not_checked;
    const centre = [0, 0];
    if (r) L.circle(centre, { radius: r, color: COLORS.place, weight: 2, fillOpacity: 0.15 }).addTo(map);
    const place = r ? t("map.place", { place: placeName(row), radius: Math.round(r) }) : placeName(row);
    L.circleMarker(centre, { radius: 5, color: "#fff", weight: 2, fillColor: COLORS.place, fillOpacity: 1 })
      .bindTooltip(place, { permanent: true, direction: "left", className: "map-tip" }).addTo(map);
    L.circle(centre, { radius: distance, color: colour, weight: 1, dashArray: "4 6", fill: false }).addTo(map);
    const at = [0, distance]; // east by convention: only the distance is known
    L.polyline([centre, at], { color: colour, weight: 1.5, dashArray: "2 4" }).addTo(map);
    L.circleMarker(at, { radius: 8, color: "#fff", weight: 2, fillColor: colour, fillOpacity: 1 })
      .bindTooltip(distanceText(distance), { permanent: true, direction: "top", className: "map-tip" }).addTo(map);
    const pad = far * 1.25;
    map.fitBounds([[-pad, -pad], [pad, pad]]);
    container.hadirMap = map;
    container.dataset.lang = language();
    return "leaflet";
  } catch {
    container.replaceChildren();
    return "text";
  }
}
