// The check-in page: sign in with a token, see today's windows (schedule.js), capture
// check-ins into the offline queue (a location after the map has shown the fix: map.js),
// send them, and show today's check-ins with their verdicts in plain words (verdict.js).

import { language, locale, setLanguage, t, translate } from "./i18n.js";
import { FixMap } from "./map.js";
import { saveExport } from "./mydata.js";
import { Queue, Sender, newKey } from "./queue.js";
import { actionLabel, advance, cacheKey, countdown, longDate } from "./schedule.js";
import { explain } from "./verdict.js";

const TOKEN_KEY = "hadir.token";
const DEVICE_KEY = "hadir.device";
const TICK_MS = 2000;
const REFRESH_MS = 10000;

const $ = (id) => document.getElementById(id);
const state = { token: null, claims: null, me: null, queue: null, sender: null, checkins: [], lastLoad: 0,
  today: null, offset: 0, fix: null, map: null };

// --- token ---------------------------------------------------------------------------

function decodeClaims(token) {
  const part = token.split(".")[1];
  if (!part) throw new Error("not a JWT");
  const base64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

function tokenFromUrl() {
  const url = new URL(location.href);
  const token = url.searchParams.get("token");
  if (token) {
    url.searchParams.delete("token"); // keep it out of the history and of bookmarks
    history.replaceState(null, "", url.pathname + url.search + url.hash);
  }
  return token;
}

async function request(path, init = {}) {
  const headers = { ...(init.headers || {}), Authorization: `Bearer ${state.token}` };
  return fetch(path, { ...init, headers, cache: "no-store" });
}

// --- formatting ------------------------------------------------------------------------

function zone() {
  return state.me?.timezone || "Asia/Jakarta";
}

function localDay(date = new Date()) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: zone(), year: "numeric", month: "2-digit", day: "2-digit" })
    .format(date);
}

function clock(iso) {
  const text = new Intl.DateTimeFormat(locale(), { timeZone: zone(), hour: "2-digit", minute: "2-digit" })
    .format(new Date(iso));
  return `${text} ${state.me?.zone || ""}`.trim();
}

function longDay() {
  return new Intl.DateTimeFormat(locale(), { timeZone: zone(), weekday: "long", day: "numeric", month: "long",
    year: "numeric" }).format(new Date());
}

function formatNip(nip) {
  return /^\d{18}$/.test(nip || "") ? `${nip.slice(0, 8)} ${nip.slice(8, 14)} ${nip.slice(14, 15)} ${nip.slice(15)}`
    : nip || "—";
}

function show(el, visible) {
  el.hidden = !visible;
}

function say(text, tone = "") {
  const el = $("message");
  el.textContent = text;
  el.className = `notice ${tone}`.trim();
  show(el, Boolean(text));
}

function make(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

// --- sign in ---------------------------------------------------------------------------

function signIn(token) {
  token = token.trim().replace(/^Bearer\s+/i, "");
  let claims;
  try {
    claims = decodeClaims(token);
  } catch {
    return fail("signin.invalid");
  }
  if (claims.exp && claims.exp * 1000 < Date.now()) return fail("signin.expired");
  state.token = token;
  state.claims = claims;
  localStorage.setItem(TOKEN_KEY, token);
  const owner = `${claims.tenant || "-"}.${claims.nip || claims.sub}`;
  if (!state.queue || state.queue.itemsKey !== `hadir.queue.v1.${owner}`) {
    state.queue = new Queue(owner);
    state.sender = new Sender(state.queue, request, onQueueEvent);
  }
  state.meKey = `hadir.me.v1.${owner}`;
  state.todayKey = cacheKey(owner);
  try {
    state.me = JSON.parse(localStorage.getItem(state.meKey) || "null"); // last known profile, for offline use
    state.today = JSON.parse(localStorage.getItem(state.todayKey) || "null"); // last known schedule
  } catch {
    state.me = state.today = null;
  }
  show($("signin"), false);
  show($("signed-in"), true);
  renderProfile();
  renderQueue();
  loadProfile();
  state.sender.flush({ force: true }).catch(console.error);
  return true;

  function fail(key) {
    const el = $("signin-error");
    el.textContent = t(key);
    show(el, true);
    show($("signin"), true);
    show($("signed-in"), false);
    return false;
  }
}

function signOut() {
  localStorage.removeItem(TOKEN_KEY);
  if (state.meKey) localStorage.removeItem(state.meKey);
  if (state.todayKey) localStorage.removeItem(state.todayKey);
  state.token = state.claims = state.me = state.today = null;
  show($("signed-in"), false);
  show($("signin"), true);
  $("token").value = "";
}

async function loadProfile() {
  try {
    const response = await request("/app/api/me");
    if (response.status === 401) return authLost();
    if (response.ok) {
      state.me = await response.json();
      localStorage.setItem(state.meKey, JSON.stringify(state.me));
    }
  } catch {
    /* offline: the claims are enough to work */
  }
  renderProfile();
  await Promise.all([loadToday(), loadSchedule()]);
}

function authLost() {
  say(t("error.auth"), "error");
}

// --- capture ---------------------------------------------------------------------------

function deviceId() {
  let id = localStorage.getItem(DEVICE_KEY);
  if (!id) {
    id = `web-${newKey()}`;
    localStorage.setItem(DEVICE_KEY, id);
  }
  return id;
}

function position(timeoutMs) {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) return reject(new Error("Geolocation API"));
    navigator.geolocation.getCurrentPosition(resolve, reject,
      { enableHighAccuracy: true, timeout: timeoutMs, maximumAge: 0 });
  });
}

function showFix(pos) {
  const c = pos.coords;
  const el = $("fix");
  el.textContent = t("location.fix", { accuracy: Math.round(c.accuracy) }); // no raw coordinates
  el.dataset.accuracy = String(Math.round(c.accuracy));
  show(el, true);
}

function locationOf(pos) {
  return { latitude: pos.coords.latitude, longitude: pos.coords.longitude,
    accuracy_m: Math.min(Math.max(pos.coords.accuracy, 0), 100000) };
}

async function capture(kind, fields) {
  const body = { kind, captured_at: new Date().toISOString(), device_id: deviceId(), ...fields };
  const item = state.queue.add(body);
  renderQueue();
  renderToday();
  await state.sender.flush({ force: true }).catch(console.error);
  const sent = !state.queue.items().some((i) => i.key === item.key);
  const rejected = state.queue.rejected().some((i) => i.key === item.key);
  if (!rejected) say(t(sent ? "sent" : "queued", { kind: t(`kind.${kind}`) }), sent ? "ok" : "warn");
  state.verdictFor = sent ? body : null;
  renderSchedule();
  if (sent) loadProfile();
  return sent;
}

async function withButton(button, work) {
  button.disabled = true;
  try {
    await work();
  } finally {
    button.disabled = false;
  }
}

async function locate() {
  say(t("location.locating"));
  try {
    const pos = await position(20000);
    showFix(pos);
    state.fix = pos;
    state.map = state.map || new FixMap($("map-card"), $("map-text"));
    state.map.show({ latitude: pos.coords.latitude, longitude: pos.coords.longitude, accuracy: pos.coords.accuracy },
      state.me?.map || null);
    say("");
    return pos;
  } catch (error) {
    say(error.code === 1 ? t("location.denied") : t("location.unavailable", { error: error.message }), "error");
    return null;
  }
}

async function sendLocation() {
  const pos = await locate();
  if (pos) await capture("location", { location: locationOf(pos) });
}

async function confirmLocation() {
  const pos = state.fix;
  if (!pos) return;
  state.fix = null;
  state.map?.hide();
  await capture("location", { location: locationOf(pos) });
}

async function dueAction() {
  const view = state.today && advance(state.today, now(), queuedItems());
  const kind = view?.due?.kinds[0];
  if (kind === "location") {
    if (await locate()) $("confirm-location").focus();
  } else if (kind === "attendance") {
    await attend();
  } else if (kind === "activity_report") {
    $("activity").focus();
  } else if (kind === "video_conference") {
    $("meeting").focus();
  }
}

async function attend() {
  let location;
  try {
    const pos = await position(8000);
    showFix(pos);
    location = locationOf(pos);
  } catch {
    location = undefined; // attendance may go without a location
  }
  await capture("attendance", location ? { location } : {});
}

// --- queue events ------------------------------------------------------------------------

function onQueueEvent(event) {
  if (event.type === "failed" && event.reason === "auth") authLost();
  if (event.type === "forbidden") say(t("error.forbidden", { detail: event.detail }), "error");
  if (event.type === "rejected" || event.type === "changed") {
    renderQueue();
    renderToday();
    renderSchedule();
  }
}

function renderQueue() {
  if (!state.queue) return;
  const count = state.queue.items().length;
  $("queue-count").textContent = String(count);
  let text = t("queue.empty");
  if (count) {
    const at = state.sender?.nextAt;
    text = at && at > Date.now() ? t("queue.retry", { time: clock(new Date(at).toISOString()) })
      : t("queue.waiting");
  }
  $("queue-text").textContent = text;
  show($("queue-send"), count > 0);
  const list = $("rejected");
  list.replaceChildren();
  for (const item of state.queue.rejected()) {
    const li = make("li", "notice error");
    li.append(make("strong", "", `${t("queue.rejected")}: ${t(`kind.${item.body.kind}`)} ${clock(item.body.captured_at)}`),
      make("span", "", ` — ${item.reason}`));
    const dismiss = make("button", "link", t("queue.dismiss"));
    dismiss.type = "button";
    dismiss.addEventListener("click", () => {
      state.queue.dismiss(item.key);
      renderQueue();
    });
    li.append(dismiss);
    list.append(li);
  }
}

// --- today -----------------------------------------------------------------------------

async function loadToday() {
  if (!state.token) return;
  state.lastLoad = Date.now();
  try {
    const response = await request(`/v1/checkins/mine?date=${localDay()}&limit=200`);
    if (response.status === 401) return authLost();
    if (response.ok) state.checkins = await response.json();
  } catch {
    /* offline: keep what we have */
  }
  renderToday();
}

function badge(status) {
  return make("span", `badge ${status}`, t(`status.${status}`));
}

function badges(c) {
  const out = [badge(c.status)];
  if (c.geofence === "outside") out.push(make("span", "badge outside", t("badge.outside")));
  if (c.review && c.review.state !== "pending") {
    out.push(make("span", `badge review-${c.review.state}`, t(`review.${c.review.state}`)));
  }
  return out;
}

// --- schedule ------------------------------------------------------------------------------

function now() {
  return Date.now() + state.offset; // the service's clock, as of the last answer
}

function queuedItems() {
  return state.queue ? state.queue.items().map((i) => i.body) : [];
}

async function loadSchedule() {
  if (!state.token) return;
  try {
    const response = await request("/app/api/today");
    if (response.status === 401) return authLost();
    if (response.ok) {
      state.today = await response.json();
      state.offset = Date.parse(state.today.now) - Date.now();
      localStorage.setItem(state.todayKey, JSON.stringify(state.today));
    }
  } catch {
    /* offline: the last known schedule, with time passing on it */
  }
  renderSchedule();
}

function windowName(id) {
  return state.today?.windows.find((w) => w.id === id)?.name || id;
}

function stateText(w) {
  if (w.state === "done") return t(`status.${w.checkin?.status || "pending"}`);
  if (w.state === "open" && w.late) return t("window.late");
  if (w.state === "not_required") return t(`window.reason.${w.reason || "non_working_day"}`);
  return t(`window.${w.state}`);
}

function renderSchedule() {
  const today = state.today;
  show($("schedule"), Boolean(today));
  if (!today) return;
  const view = advance(today, now(), queuedItems());
  $("schedule-zone").textContent = `${today.zone} · ${today.timezone}`;
  $("schedule-date").textContent = longDate(today) + (today.policy ? ` · SE ${today.policy}` : "");
  $("schedule-holiday").textContent = today.holiday ? t("schedule.holiday", { name: today.holiday }) : "";
  show($("schedule-holiday"), Boolean(today.holiday));
  $("schedule-empty").textContent = today.policy ? "" : t("profile.nopolicy");
  show($("schedule-empty"), !view.windows.length);
  $("countdown").textContent = countdown(view, now());
  const action = $("due-action");
  show(action, Boolean(view.due));
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

/** The verdict of the check-in just sent, in plain words, once it has come back. */
function renderVerdict() {
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

function renderToday() {
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

function renderProfile() {
  const claims = state.claims || {};
  const me = state.me;
  $("who").textContent = me?.name || claims.name || claims.sub || "";
  $("nip").textContent = formatNip(me?.nip || claims.nip);
  const unit = me?.unit_id || claims.unit;
  $("unit").textContent = unit ? t("profile.unit", { unit }) : "";
  $("policy").textContent = me ? (me.policy ? t("profile.policy", me.policy) : t("profile.nopolicy")) : "";
  const warning = $("profile-warning");
  const problem = me && !me.known ? "profile.unknown" : me && me.active === false ? "profile.inactive" : null;
  warning.textContent = problem ? t(problem) : "";
  show(warning, Boolean(problem));
}

function renderNetwork() {
  const online = navigator.onLine;
  const el = $("net");
  el.textContent = t(online ? "net.online" : "net.offline");
  el.className = `net ${online ? "online" : "offline"}`;
}

function renderAll() {
  translate();
  $("lang").textContent = language() === "id" ? "EN" : "ID";
  renderNetwork();
  if (state.token) {
    renderProfile();
    renderQueue();
    renderToday();
    renderSchedule();
  }
}

// --- my data -----------------------------------------------------------------------------

async function downloadMyData(format) {
  say(t("mydata.preparing"));
  try {
    say(t("mydata.saved", { file: await saveExport(request, format) }), "ok");
  } catch (error) {
    if (error.status === 401) return authLost();
    say(t("mydata.failed", { detail: error.status ? error.message : t("error.network") }), "error");
  }
}

// --- wiring ------------------------------------------------------------------------------

function tick() {
  if (!state.sender) return;
  if (navigator.onLine && state.sender.due()) state.sender.flush().catch(console.error);
  else renderQueue();
  const waitingVerdict = state.checkins.some((c) => c.status === "pending");
  const stale = Date.now() - state.lastLoad > REFRESH_MS;
  const boundary = state.today && advance(state.today, now(), []).windows
    .some((w, i) => w.state !== state.today.windows[i].state); // a window opened or closed since the answer
  if (navigator.onLine && stale && (waitingVerdict || boundary || (state.me && !state.me.known))) loadProfile();
}

function main() {
  show($("insecure"), !window.isSecureContext);
  $("lang").addEventListener("click", () => {
    setLanguage(language() === "id" ? "en" : "id");
    renderAll();
  });
  $("signin-form").addEventListener("submit", (e) => {
    e.preventDefault();
    signIn($("token").value);
  });
  $("signout").addEventListener("click", signOut);
  $("queue-send").addEventListener("click", () => state.sender?.flush({ force: true }).catch(console.error));
  $("refresh").addEventListener("click", loadProfile);
  $("send-location").addEventListener("click", (e) => withButton(e.currentTarget, sendLocation));
  $("attend").addEventListener("click", (e) => withButton(e.currentTarget, attend));
  $("due-action").addEventListener("click", (e) => withButton(e.currentTarget, dueAction));
  $("confirm-location").addEventListener("click", (e) => withButton(e.currentTarget, confirmLocation));
  $("cancel-location").addEventListener("click", () => {
    state.fix = null;
    state.map?.hide();
  });
  for (const format of ["json", "csv"]) {
    $(`export-${format}`).addEventListener("click", (e) => withButton(e.currentTarget, () => downloadMyData(format)));
  }
  $("activity-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = $("activity").value.trim();
    if (!text) return;
    const attachment = $("attachment").value.trim();
    withButton(e.submitter || e.currentTarget, async () => {
      await capture("activity_report", { activity_text: text, ...(attachment ? { attachment_ref: attachment } : {}) });
      $("activity").value = "";
      $("attachment").value = "";
    });
  });
  $("meeting-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const ref = $("meeting").value.trim();
    if (ref) withButton(e.submitter || e.currentTarget, () => capture("video_conference", { meeting_ref: ref }));
  });
  window.addEventListener("online", () => {
    renderNetwork();
    if (state.sender) {
      state.sender.nextAt = 0;
      state.sender.flush().catch(console.error);
    }
  });
  window.addEventListener("offline", renderNetwork);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") tick();
  });
  setInterval(tick, TICK_MS);
  setInterval(() => state.token && renderSchedule(), 1000); // the countdown

  renderAll();
  const token = tokenFromUrl() || localStorage.getItem(TOKEN_KEY);
  if (!token || !signIn(token)) show($("signin"), true);
  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register("sw.js", { scope: "./" }).catch(() => {});
  }
}

main();
