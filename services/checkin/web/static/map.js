// The map before sending a location: the phone's fix and its accuracy circle on tiles of the
// deployment's tile server (HADIR_MAP_TILE_URL, given by /app/api/me), with Leaflet served by
// this service (leaflet/leaflet.js, no CDN). When Leaflet or the tiles cannot load, or the
// deployment has no tile server, the page says the same in words (the fallback text).

import { t } from "./i18n.js";

const ZOOM = 17;

export class FixMap {
  constructor(container, fallback) {
    this.container = container;
    this.fallback = fallback;
    this.map = null;
    this.layers = [];
    this.tilesFailed = false;
  }

  /** Show the fix {latitude, longitude, accuracy}; ``tiles`` is {url, attribution} or null. */
  show(fix, tiles) {
    this.container.hidden = false;
    this.describe(fix, tiles);
    if (!window.L || !tiles) {
      this.container.dataset.map = "none";
      return;
    }
    if (!this.map) this.create(tiles);
    for (const layer of this.layers) layer.remove();
    const at = [fix.latitude, fix.longitude];
    this.layers = [
      window.L.circle(at, { radius: Math.max(fix.accuracy, 1), color: "#0b5d4b", weight: 1, fillOpacity: 0.15 }),
      window.L.circleMarker(at, { radius: 7, color: "#fff", weight: 2, fillColor: "#0b5d4b", fillOpacity: 1 }),
    ].map((layer) => layer.addTo(this.map));
    this.map.setView(at, ZOOM);
    this.map.invalidateSize();
    this.container.dataset.map = "leaflet";
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

  hide() {
    this.container.hidden = true;
  }
}
