// Today's windows on the page: names and local times (WIB/WITA/WIT), which one is open now
// with a countdown to its close, what is done and what is next, and the one main action.
//
// The service decides each window's state (GET /app/api/today, services.checkin.domain.schedule);
// the page keeps the last answer for offline use and only lets time pass on it: between two
// answers an open window whose deadline passes becomes missed and an upcoming one whose start
// passes becomes open, and a check-in still in the phone's queue marks the window it was made in.

import { locale, t } from "./i18n.js";

const SECOND = 1000;

export function cacheKey(owner) {
  return `hadir.today.v1.${owner}`;
}

/** The schedule as of ``now`` (ms, the service's clock): states advanced, queued check-ins applied. */
export function advance(today, now, queued) {
  const windows = today.windows.map((w) => {
    const start = Date.parse(w.start_at);
    const end = Date.parse(w.end_at);
    const deadline = Date.parse(w.deadline_at);
    if (w.state === "done" || w.state === "not_required") return w;
    const item = queued.find((q) => w.kinds.includes(q.kind) && Date.parse(q.captured_at) >= start
      && Date.parse(q.captured_at) < deadline);
    if (item) return { ...w, state: "done", checkin: { ...item, status: "queued" } };
    if (now < start) return { ...w, state: "upcoming", late: false };
    if (now < deadline) return { ...w, state: "open", late: now >= end };
    return { ...w, state: "missed", late: false };
  });
  const open = windows.filter((w) => w.state === "open").sort((a, b) => Date.parse(a.deadline_at) - Date.parse(b.deadline_at));
  const upcoming = windows.filter((w) => w.state === "upcoming").sort((a, b) => Date.parse(a.start_at) - Date.parse(b.start_at));
  return { ...today, windows, due: open[0] || null, next: upcoming[0] || null };
}

/** "1 jam 5 menit", "4 menit", "30 detik". */
export function span(ms) {
  const seconds = Math.max(0, Math.round(ms / SECOND));
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  if (hours) return t("time.hm", { h: hours, m: minutes });
  if (minutes) return t("time.m", { m: minutes });
  return t("time.s", { s: seconds });
}

export function longDate(today) {
  return new Intl.DateTimeFormat(locale(), { timeZone: today.timezone, weekday: "long", day: "numeric",
    month: "long", year: "numeric" }).format(new Date(`${today.date}T12:00:00Z`));
}

/** The countdown line of the window due now, or of the next one. */
export function countdown(view, now) {
  const due = view.due;
  if (due) {
    const zone = view.zone;
    if (!due.late) return t("countdown.open", { name: due.name, left: span(Date.parse(due.end_at) - now), end: due.end, zone });
    return t("countdown.late", { name: due.name, end: due.end, deadline: due.deadline, zone,
      left: span(Date.parse(due.deadline_at) - now) });
  }
  if (view.next) {
    return t("countdown.next", { name: view.next.name, start: view.next.start, end: view.next.end, zone: view.zone,
      left: span(Date.parse(view.next.start_at) - now) });
  }
  return view.windows.length ? t("countdown.none") : "";
}

/** The main action's label for the window due now (by the first kind it accepts). */
export function actionLabel(window) {
  return t(`action.${window.kinds[0]}`, { name: window.name });
}
