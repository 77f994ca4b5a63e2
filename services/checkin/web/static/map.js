// The map before sending a location: the employee's allowed places for today (circles of their
// radius, read from the policy service by places.js) and the phone's fix with its accuracy circle,
// on tiles of the deployment's tile server (HADIR_MAP_TILE_URL, given by /app/api/me), with
// Leaflet served by this service (leaflet/leaflet.js, no CDN). When Leaflet or the tiles cannot
// load, or the deployment has no tile server, the page says the same in words (the fallback
// text); when the places cannot be read, a visible line says so (never a silent gap).

import { t } from "./i18n.js";
import { distanceText } from "./verdict.js";

const ZOOM = 17;
const EARTH_RADIUS_M = 6_371_000;

/** Great-circle distance in metres (for the words beside the map; the verdict is policy's). */
export function metresBetween(a, b) {
  const rad = (deg) => (deg * Math.PI) / 180;
  const dLat = rad(b.latitude - a.latitude);
  const dLon = rad(b.longitude - a.longitude);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.latitude)) * Math.cos(rad(b.latitude)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.sqrt(h));
}

export class FixMap {
  constructor(container, fallback, placesText) {
    this.container = container;
    this.fallback = fallback;
    this.placesText = placesText;
    this.map = null;
    this.layers = [];
    this.tilesFailed = false;
  }

  /** Show the fix {latitude, longitude, accuracy}; ``tiles`` is {url, attribution} or null;
   * ``places`` is {state: "ok" | "failed", list: [{name, latitude, longitude, radius_m}]}. */
  show(fix, tiles, places) {
    this.container.hidden = false;
    this.describe(fix, tiles);
    this.describePlaces(fix, places);
    if (!window.L || !tiles) {
      this.container.dataset.map = "none";
      return;
    }
    if (!this.map) this.create(tiles);
    for (const layer of this.layers) layer.remove();
    const at = [fix.latitude, fix.longitude];
    this.map.setView(at, ZOOM); // a view first: Leaflet draws layers on a map that has one
    const circles = (places?.list || []).map((p) => window.L.circle([p.latitude, p.longitude], {
      radius: p.radius_m, color: "#1b7f3b", weight: 2, fillColor: "#2ea55a", fillOpacity: 0.12,
      className: "allowed-place",
    }).bindTooltip(p.name));
    this.layers = [
      ...circles,
      window.L.circle(at, { radius: Math.max(fix.accuracy, 1), color: "#0b5d4b", weight: 1, fillOpacity: 0.15,
        className: "fix-accuracy" }),
      window.L.circleMarker(at, { radius: 7, color: "#fff", weight: 2, fillColor: "#0b5d4b", fillOpacity: 1,
        className: "fix" }),
    ].map((layer) => layer.addTo(this.map));
    this.map.invalidateSize();
    if (circles.length) {
      const bounds = window.L.latLngBounds([at, at]);
      for (const p of places.list) bounds.extend(window.L.latLng(p.latitude, p.longitude).toBounds(p.radius_m * 2));
      this.map.fitBounds(bounds, { padding: [24, 24], maxZoom: ZOOM });
    }
    this.container.dataset.map = "leaflet";
    this.container.dataset.places = String(circles.length);
  }

  create(tiles) {
    this.map = window.L.map(this.container.querySelector(".map"), { zoomControl: true, attributionControl: true });
    const layer = window.L.tileLayer(tiles.url, { maxZoom: 19, attribution: tiles.attribution });
    layer.on("tileerror", () => {
      if (this.tilesFailed) return;
      this.tilesFailed = true;
      this.container.dataset.tiles = "failed";
      this.describe(this.lastFix, tiles);
    });
    layer.on("tileload", () => {
      this.container.dataset.tiles = "loaded";
    });
    layer.addTo(this.map);
  }

  describe(fix, tiles) {
    this.lastFix = fix;
    const accuracy = Math.round(fix.accuracy);
    const words = [t("map.fix", { accuracy })];
    if (!tiles || !window.L) words.unshift(t("map.none"));
    else if (this.tilesFailed) words.unshift(t("map.failed"));
    words.push(t("map.judged"));
    this.fallback.textContent = words.join(" ");
    this.fallback.dataset.state = !tiles || !window.L ? "none" : this.tilesFailed ? "failed" : "map";
  }

  describePlaces(fix, places) {
    const el = this.placesText;
    const list = places?.list || [];
    if (!places || places.state !== "ok") {
      el.textContent = t("map.placesfailed");
      el.className = "map-places notice warn";
      el.dataset.state = "failed";
      return;
    }
    el.className = "map-places";
    el.dataset.state = list.length ? "shown" : "none";
    el.replaceChildren();
    if (!list.length) {
      el.textContent = t("map.noplaces");
      return;
    }
    for (const p of list) {
      const line = document.createElement("span");
      line.className = "place";
      line.dataset.place = p.kind || "";
      line.textContent = t("map.place", { place: p.name, radius: distanceText(p.radius_m),
        distance: distanceText(metresBetween(fix, p)) });
      el.append(line, document.createElement("br"));
    }
  }

  hide() {
    this.container.hidden = true;
  }
}
