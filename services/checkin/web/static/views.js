// What the check-in page shows of the signed-in employee's day: formatting in the tenant's
// zone, today's schedule (schedule.js) with its countdown and main action, the verdict of the
// check-in just sent, and the list of today's check-ins — verdicts in plain words (verdict.js).
// app.js owns the state and hands it over once (useState).

import { language, locale, t } from "./i18n.js";
import { actionLabel, advance, countdown, longDate } from "./schedule.js";
import { explain } from "./verdict.js";

const $ = (id) => document.getElementById(id);
let state = null;

export function useState(pageState) {
  state = pageState;
}

// --- formatting --------------------------------------------------------------------------

export function zone() {
  return state.me?.timezone || "Asia/Jakarta";
}

export function localDay(date = new Date()) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: zone(), year: "numeric", month: "2-digit", day: "2-digit" })
    .format(date);
}

export function clock(iso) {
  const text = new Intl.DateTimeFormat(locale(), { timeZone: zone(), hour: "2-digit", minute: "2-digit" })
    .format(new Date(iso));
  return `${text} ${state.me?.zone || ""}`.trim();
}

export function longDay() {
  return new Intl.DateTimeFormat(locale(), { timeZone: zone(), weekday: "long", day: "numeric", month: "long",
    year: "numeric" }).format(new Date());
}

export function formatNip(nip) {
  return /^\d{18}$/.test(nip || "") ? `${nip.slice(0, 8)} ${nip.slice(8, 14)} ${nip.slice(14, 15)} ${nip.slice(15)}`
    : nip || "—";
}

export function show(el, visible) {
  el.hidden = !visible;
}

export function make(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

export function badge(status) {
  return make("span", `badge ${status}`, t(`status.${status}`));
}

export function badges(c) {
  const out = [badge(c.status)];
  if (c.geofence === "outside") out.push(make("span", "badge outside", t("badge.outside")));
  if (c.review && c.review.state !== "pending") {
    out.push(make("span", `badge review-${c.review.state}`, t(`review.${c.review.state}`)));
  }
  return out;
}

export function now() {
  return Date.now() + state.offset; // the service's clock, as of the last answer
}

export function queuedItems() {
  return state.queue ? state.queue.items().map((i) => i.body) : [];
}

export function windowName(id) {
  return state.today?.windows.find((w) => w.id === id)?.name || id;
}

export function stateText(w) {
  if (w.state === "done") return t(`status.${w.checkin?.status || "pending"}`);
  if (w.state === "open" && w.late) return t("window.late");
  if (w.state === "not_required") return t(`window.reason.${w.reason || "non_working_day"}`);
  return t(`window.${w.state}`);
}

export function renderSchedule() {
  const today = state.today;
  show($("schedule"), Boolean(today));
  if (!today) return;
  const view = advance(today, now(), queuedItems());
  $("schedule-zone").textContent = `${today.zone} · ${today.timezone}`;
  $("schedule-date").textContent = longDate(today) + (today.policy ? ` · SE ${today.policy}` : "");
  const nonWorking = !today.holiday && view.windows.length > 0
    && view.windows.every((w) => w.state === "not_required" && w.reason === "non_working_day");
  const dayOff = today.holiday ? t("schedule.holiday", { name: today.holiday })
    : nonWorking ? t("schedule.nonworking") : "";
  $("schedule-holiday").textContent = dayOff;
  show($("schedule-holiday"), Boolean(dayOff));
  const excused = renderAbsence(today);
  $("schedule-empty").textContent = today.policy ? "" : t("profile.nopolicy");
  show($("schedule-empty"), !view.windows.length);
  $("countdown").textContent = excused ? "" : countdown(view, now());
  show($("countdown"), !excused);
  const action = $("due-action");
  show(action, Boolean(view.due) && !excused);
  if (view.due) {
    action.textContent = actionLabel(view.due);
    action.dataset.window = view.due.id;
  }
  const list = $("windows");
  list.replaceChildren();
  for (const w of view.windows) {
    const li = make("li");
    Object.assign(li.dataset, { window: w.id, state: w.state, late: String(Boolean(w.late)) });
    if (view.due && w.id === view.due.id) li.setAttribute("aria-current", "time");
    const head = make("div", "what");
    head.append(make("span", "name", w.name), make("span", "state", stateText(w)));
    const when = make("div", "when", `${w.start}–${w.end} ${today.zone}` +
      (w.deadline !== w.end ? ` · ${t("window.deadline", { deadline: w.deadline })}` : "") +
      ` · ${w.kinds.map((k) => t(`kind.${k}`)).join(", ")}`);
    li.append(head, when);
    if (w.state === "done" && w.checkin && w.checkin.status !== "queued") {
      const v = explain(w.checkin);
      const text = [...v.lines, v.next].filter(Boolean).join(" ");
      if (text) li.append(make("p", `detail ${v.tone}`, text));
    }
    list.append(li);
  }
  renderVerdict();
}

/** "Hari ini Anda cuti (disetujui) — tidak perlu check-in" when an approved absence covers the
 * schedule's day (read from the policy service by policy.js); true then. */
function renderAbsence(today) {
  const read = state.absence;
  const absence = read?.state === "ok" && read.absence && read.absence.start <= today.date ? read.absence : null;
  const el = $("schedule-absence");
  if (absence) {
    const kind = (language() === "id" ? absence.kind_name?.id : absence.kind_name?.en) || absence.kind;
    el.textContent = t("schedule.absent", { kind: kind.toLowerCase() });
    el.dataset.kind = absence.kind;
  }
  show(el, Boolean(absence));
  show($("schedule-absence-unknown"), read?.state === "failed");
  $("schedule-absence-unknown").textContent = read?.state === "failed" ? t("schedule.absent.unknown") : "";
  return Boolean(absence);
}

/** The verdict of the check-in just sent, in plain words, once it has come back. */
export function renderVerdict() {
  const el = $("verdict");
  const sent = state.verdictFor;
  const c = sent && state.checkins.find((x) => x.kind === sent.kind
    && Date.parse(x.captured_at) === Date.parse(sent.captured_at));
  show(el, Boolean(c));
  if (!c) return;
  const v = explain(c);
  el.className = `notice verdict ${v.tone}`.trim();
  el.dataset.status = c.status;
  const name = c.window_id ? windowName(c.window_id) : t(`kind.${c.kind}`);
  el.replaceChildren(make("strong", "", `${name}: ${v.title}`), ...v.lines.map((line) => make("span", "", line)));
  if (v.next) el.append(make("span", "next", v.next));
}

export function renderToday() {
  if (!state.queue) return;
  $("today-date").textContent = longDay();
  const list = $("today");
  list.replaceChildren();
  const queued = state.queue.items().map((i) => ({ ...i.body, status: "queued", id: i.key }));
  const rows = [...queued, ...state.checkins];
  for (const c of rows) {
    const li = make("li", "entry");
    li.dataset.status = c.status;
    li.dataset.kind = c.kind;
    const head = make("div", "entry-head");
    head.append(make("span", "time", clock(c.captured_at)), make("span", "kind", t(`kind.${c.kind}`)), ...badges(c));
    const v = explain(c);
    const details = [];
    if (c.window_id) details.push(windowName(c.window_id));
    if (c.status === "late" && c.late_minutes) details.push(v.title);
    details.push(...v.lines);
    li.append(head);
    if (details.length) li.append(make("p", "muted", details.join(" · ")));
    if (v.next) li.append(make("p", `detail ${v.tone}`, v.next));
    if (c.review) li.dataset.review = c.review.state;
    if (c.review?.note) li.append(make("p", "review-note", t("review.note", { note: c.review.note })));
    if (c.review?.state === "returned") li.append(make("p", "muted", t("review.again")));
    list.append(li);
  }
  show($("today-empty"), rows.length === 0);
  for (const el of document.querySelectorAll("[data-last]")) {
    const last = rows.find((c) => c.kind === el.dataset.last);
    el.replaceChildren();
    if (last) el.append(make("span", "", `${clock(last.captured_at)} `), ...badges(last));
  }
}

// --- month -------------------------------------------------------------------------------

function dayState(d) {
  if (d.asked === 0) return "free";
  if (d.open) return "today";
  if (d.missed) return d.filled ? "partial" : "missed";
  return d.late || d.outside ? "flagged" : "complete";
}

/** The employee's month so far (GET /app/api/month), newest day first. */
export function renderMonth(month) {
  const list = $("month-days");
  list.replaceChildren();
  if (!month) return;
  const totals = month.days.reduce((sum, d) => ({ asked: sum.asked + d.asked, filled: sum.filled + d.filled,
    missed: sum.missed + d.missed, late: sum.late + d.late, outside: sum.outside + d.outside }),
  { asked: 0, filled: 0, missed: 0, late: 0, outside: 0 });
  $("month-summary").textContent = t("month.summary", totals);
  const format = new Intl.DateTimeFormat(locale(), { timeZone: "UTC", weekday: "short", day: "numeric", month: "short" });
  for (const d of [...month.days].reverse()) {
    const li = make("li");
    const kind = dayState(d);
    Object.assign(li.dataset, { date: d.date, state: kind });
    const what = d.asked === 0 ? (d.holiday || t("month.free"))
      : t("month.day", d) + (d.late ? ` · ${t("month.late", d)}` : "") + (d.outside ? ` · ${t("month.outside", d)}` : "");
    li.append(make("span", "when", format.format(new Date(`${d.date}T00:00:00Z`))), make("span", "", what),
      make("span", "state", t(`month.state.${kind}`)));
    list.append(li);
  }
}
