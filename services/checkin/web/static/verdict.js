// A verdict told in plain words: what it is, why, and what to do next. Built from what the
// check-in service returns of the employee's own check-in (status, minutes late, geofence,
// distance to and name of the nearest allowed place, suspicion reasons) — never coordinates.

import { locale, t } from "./i18n.js";

/** "35 m" or "7,8 km", in the page's language. */
export function distanceText(metres) {
  if (metres < 1000) return `${Math.round(metres)}\u00a0m`;
  const km = new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 }).format(metres / 1000);
  return `${km}\u00a0km`;
}

function placeName(c) {
  return c.place_name || t("verdict.place");
}

/**
 * { tone: "ok" | "warn" | "error" | "", title, lines: [reason…], next: step or "" } for a
 * check-in (a queued one too: status "queued").
 */
export function explain(c) {
  const lines = [];
  let tone = "ok";
  let next = "";
  let title = t(`status.${c.status}`);
  if (c.status === "late") {
    title = c.late_minutes ? t("verdict.late", { minutes: c.late_minutes }) : t("status.late");
    tone = "warn";
  } else if (c.status === "pending" || c.status === "queued") {
    tone = "";
  } else if (c.status === "outside_window") {
    tone = "warn";
    next = t("verdict.next.window");
  }
  const far = c.distance_m !== null && c.distance_m !== undefined;
  if (c.geofence === "outside") {
    tone = "error";
    lines.push(far ? t("verdict.outside", { distance: distanceText(c.distance_m), place: placeName(c) })
      : t("geofence.outside"));
    next = t("verdict.next.outside", { place: placeName(c) });
  } else if (c.geofence === "inside" && far) {
    lines.push(t("verdict.inside", { distance: distanceText(c.distance_m), place: placeName(c) }));
  } else if (c.geofence === "not_checked") {
    lines.push(t("geofence.not_checked"));
  }
  if (c.suspicious) {
    tone = "error";
    const reasons = (c.reasons || []).map((r) => t(`reason.${r}`));
    lines.push(reasons.length ? t("verdict.suspicious", { reasons: reasons.join("; ") }) : t("suspicious"));
    next = next || t("verdict.next.suspicious");
  }
  return { tone, title, lines, next };
}
