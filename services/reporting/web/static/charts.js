// Inline SVG drawings of the dashboard: the month's trend, the geofence dial and the
// in-office bar. No library, no tiles: plain elements with presentation attributes.

const NS = "http://www.w3.org/2000/svg";
export const COLORS = { on_time: "#1f8a5b", late: "#d08a00", missing: "#c23b3b", pending: "#b8c2bf",
  inside: "#1f8a5b", outside: "#c23b3b", not_checked: "#8a9894", grid: "#d7dfdc", ink: "#1b2421",
  muted: "#5c6b66" };

export function svg(tag, attrs = {}, children = []) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  }
  for (const child of children) el.append(child);
  return el;
}

function text(x, y, content, attrs = {}) {
  const el = svg("text", { x, y, "font-size": 11, fill: COLORS.muted, ...attrs });
  el.textContent = content;
  return el;
}

function titled(el, content) {
  const title = svg("title");
  title.textContent = content;
  el.append(title);
  return el;
}

/**
 * Stacked bars, one per day of the month: shares of on time / late / missing / pending.
 * days: [{date: "YYYY-MM-DD", expected, on_time, late, missing, pending}], month: "YYYY-MM".
 */
export function trendChart(days, month, selected, label, width = 720) {
  const [year, number] = month.split("-").map(Number);
  const count = new Date(Date.UTC(year, number, 0)).getUTCDate();
  const W = Math.max(300, Math.min(1200, Math.round(width) || 720)), H = W < 500 ? 180 : 230;
  const left = 40, right = 8, top = 12, bottom = 28;
  const plotW = W - left - right, plotH = H - top - bottom;
  const step = plotW / count;
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": label, class: "trend-svg" });
  for (const share of [0, 0.5, 1]) {
    const y = top + plotH * (1 - share);
    root.append(svg("line", { x1: left, x2: W - right, y1: y, y2: y, stroke: COLORS.grid }),
      text(left - 6, y + 4, `${share * 100}%`, { "text-anchor": "end" }));
  }
  const byDay = new Map(days.map((d) => [Number(d.date.slice(8, 10)), d]));
  for (let day = 1; day <= count; day += 1) {
    const x = left + step * (day - 1) + step * 0.15;
    const width = step * 0.7;
    const d = byDay.get(day);
    const iso = `${month}-${String(day).padStart(2, "0")}`;
    if (d && d.expected > 0) {
      const group = svg("g", { "data-date": iso });
      let y = top + plotH;
      for (const part of ["on_time", "late", "missing", "pending"]) {
        const h = plotH * ((d[part] || 0) / d.expected);
        if (h <= 0) continue;
        y -= h;
        group.append(svg("rect", { x, y, width, height: h, fill: COLORS[part] }));
      }
      titled(group, `${iso}: ${d.on_time} / ${d.late} / ${d.missing}${d.pending ? ` / ${d.pending}` : ""}`
        + ` (${d.expected})`);
      root.append(group);
    }
    if (iso === selected) {
      root.append(svg("rect", { x: x - 2, y: top - 4, width: width + 4, height: plotH + 8, fill: "none",
        stroke: COLORS.ink, "stroke-width": 1.5, rx: 2 }));
    }
    if (day === 1 || day % 5 === 0 || day === count) {
      root.append(text(x + width / 2, H - 10, String(day), { "text-anchor": "middle" }));
    }
  }
  return root;
}

function formatMetres(m) {
  return m >= 1000 ? `${Math.round(m / 100) / 10} km` : `${Math.round(m)} m`;
}

/** Minutes since local midnight of an instant in a zone. */
function minutesOfDay(iso, timeZone) {
  const parts = new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
    .formatToParts(new Date(iso));
  const get = (type) => Number(parts.find((p) => p.type === type)?.value || 0);
  return get("hour") * 60 + get("minute");
}

/**
 * The geofence dial: the fence is the circle of the letter's radius around the centre; each
 * location check-in sits at its distance from its nearest place (linear inside the fence,
 * logarithmic beyond, up to 100 radii) and at the angle of its capture time on a 24-hour dial.
 */
export function geofenceDial(points, radius, timeZone, label) {
  const S = 320, c = S / 2, fence = 80, edge = 146;
  const scale = (d) => (d <= radius ? (d / radius) * fence
    : fence + (edge - fence) * Math.min(1, Math.log10(d / radius) / 2));
  const root = svg("svg", { viewBox: `0 0 ${S} ${S}`, role: "img", "aria-label": label, class: "dial-svg" });
  // ring labels sit towards 21:00, where few check-ins fall
  const at = (r, dy = 0) => [c - (r - 4) * Math.SQRT1_2, c - (r - 4) * Math.SQRT1_2 + dy];
  root.append(svg("circle", { cx: c, cy: c, r: edge, fill: "#fbfcfc", stroke: COLORS.grid }));
  for (const [r, name] of [[scale(radius * 10), `${formatMetres(radius * 10)}`], [edge, `${formatMetres(radius * 100)}`]]) {
    root.append(svg("circle", { cx: c, cy: c, r, fill: "none", stroke: COLORS.grid, "stroke-dasharray": "3 4" }),
      text(...at(r, 10), name, { "text-anchor": "start" }));
  }
  root.append(svg("circle", { cx: c, cy: c, r: fence, fill: "#e3f1ec", stroke: COLORS.inside, "stroke-width": 2,
    "data-role": "fence" }), text(...at(fence, 10), formatMetres(radius), { fill: COLORS.inside, "text-anchor": "start" }));
  for (let hour = 0; hour < 24; hour += 3) {
    const a = (hour / 24) * 2 * Math.PI - Math.PI / 2;
    const [x1, y1] = [c + Math.cos(a) * (edge - 4), c + Math.sin(a) * (edge - 4)];
    const [x2, y2] = [c + Math.cos(a) * (edge + 4), c + Math.sin(a) * (edge + 4)];
    root.append(svg("line", { x1, y1, x2, y2, stroke: COLORS.muted }));
    if (hour % 6 === 0) {
      const [tx, ty] = [c + Math.cos(a) * (edge - 16), c + Math.sin(a) * (edge - 16) + 4];
      root.append(text(tx, ty, String(hour).padStart(2, "0"), { "text-anchor": "middle" }));
    }
  }
  root.append(svg("circle", { cx: c, cy: c, r: 2.5, fill: COLORS.ink }));
  for (const p of points) {
    const a = (minutesOfDay(p.captured_at, timeZone) / 1440) * 2 * Math.PI - Math.PI / 2;
    const r = scale(Math.max(0, p.distance_m));
    const verdict = p.status === "pending" ? "pending" : p.geofence || "not_checked";
    const dot = svg("circle", {
      cx: c + Math.cos(a) * r, cy: c + Math.sin(a) * r, r: 5.5,
      fill: verdict === "pending" ? "#fff" : COLORS[verdict] || COLORS.not_checked,
      stroke: p.suspicious ? COLORS.ink : "#fff", "stroke-width": p.suspicious ? 2.5 : 1.5,
      "data-employee": p.employee_id, "data-geofence": verdict,
    });
    if (verdict === "pending") dot.setAttribute("stroke", COLORS.muted);
    root.append(titled(dot, p.tooltip));
  }
  return root;
}

/** In-office share against the quota: a bar with a marker at the quota. */
export function officeBar(office, label) {
  const W = 120, H = 12;
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", "aria-label": label,
    class: "office-svg" });
  root.append(svg("rect", { x: 0, y: 0, width: W, height: H, rx: 3, fill: "#eef1f0" }));
  if (office.ratio !== null && office.ratio !== undefined) {
    root.append(svg("rect", { x: 0, y: 0, width: W * Math.min(1, office.ratio), height: H, rx: 3,
      fill: office.meets_quota === false ? COLORS.missing : COLORS.on_time }));
  }
  if (office.quota_pct !== null && office.quota_pct !== undefined) {
    const x = Math.min(W - 1, (W * office.quota_pct) / 100);
    root.append(svg("line", { x1: x, x2: x, y1: -2, y2: H + 2, stroke: COLORS.ink, "stroke-width": 2 }));
  }
  return root;
}
