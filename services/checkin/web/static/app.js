// The check-in page: sign in through the identity provider (signin.js; a pasted token only
// when the service offers the development login), see today's windows (schedule.js) and
// whether today is excused (an approved absence, policy.js), capture check-ins into the offline
// queue (a location after the map has shown the allowed places and the fix: map.js), send them
// — every request with a fresh token from signin.token(), queued ones too — and show today's
// check-ins with their verdicts in plain words (verdict.js).

import { language, setLanguage, t, translate } from "./i18n.js";
import { FixMap } from "./map.js";
import { saveExport } from "./mydata.js";
import { PolicyReads } from "./policy.js";
import { Queue, Sender, newKey } from "./queue.js";
import { advance, cacheKey } from "./schedule.js";
import * as signin from "./signin.js";
import {
  clock, formatNip, localDay, make, now, queuedItems, renderMonth, renderSchedule, renderToday, show, useState,
} from "./views.js";

const DEVICE_KEY = "hadir.device";
const TICK_MS = 2000;
const REFRESH_MS = 10000;

const $ = (id) => document.getElementById(id);
const state = { signedIn: false, claims: null, me: null, queue: null, sender: null, checkins: [], lastLoad: 0,
  today: null, offset: 0, fix: null, map: null, reads: null, places: null, absence: null };

// --- requests ----------------------------------------------------------------------------

function tokenFromUrl() {
  // Development login by link (?token=…): taken out of the address at once.
  const url = new URL(location.href);
  const token = url.searchParams.get("token");
  if (token) {
    url.searchParams.delete("token"); // keep it out of the history and of bookmarks
    history.replaceState(null, "", url.pathname + url.search + url.hash);
  }
  return token;
}

/** fetch with the current token (renewed by signin.js when about to expire); 401 when signed out. */
async function request(path, init = {}) {
  const token = await signin.token();
  if (!token) return new Response(null, { status: 401 });
  const headers = { ...(init.headers || {}), Authorization: `Bearer ${token}` };
  return fetch(path, { ...init, headers, cache: "no-store" });
}

function say(text, tone = "") {
  const el = $("message");
  el.textContent = text;
  el.className = `notice ${tone}`.trim();
  show(el, Boolean(text));
}

// --- sign in ---------------------------------------------------------------------------

function enter(session) {
  const claims = session.claims || {};
  state.signedIn = true;
  state.claims = claims;
  const owner = `${claims.tenant || "-"}.${claims.nip || claims.sub}`;
  if (!state.queue || state.queue.itemsKey !== `hadir.queue.v1.${owner}`) {
    state.queue = new Queue(owner);
    state.sender = new Sender(state.queue, request, onQueueEvent);
  }
  state.reads = new PolicyReads(owner, request);
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
}

function showSignIn(errorKey) {
  const conf = signin.config() || {};
  show($("signed-in"), false);
  show($("person"), false);
  show($("signin"), true);
  show($("signin-provider"), Boolean(conf.issuer));
  show($("signin-none"), !conf.issuer);
  show($("signin-dev"), Boolean(conf.dev_login));
  const error = $("signin-error");
  error.textContent = errorKey ? t(errorKey) : "";
  show(error, Boolean(errorKey));
}

function signInWithToken(token) {
  let session = null;
  try {
    session = signin.signInWithToken(token);
  } catch {
    session = null;
  }
  if (session) enter(session);
  else showSignIn("signin.invalid");
}

async function signOut() {
  for (const key of [state.meKey, state.todayKey]) if (key) localStorage.removeItem(key);
  state.reads?.forget();
  state.signedIn = false;
  state.claims = state.me = state.today = state.places = state.absence = null;
  $("token").value = "";
  showSignIn();
  await signin.signOut(); // at the provider too (it redirects back here)
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
  await Promise.all([loadToday(), loadSchedule(), loadPolicyReads()]);
}

async function loadPolicyReads() {
  if (!state.reads || !state.me) return;
  const day = state.me.today || localDay();
  [state.places, state.absence] = await Promise.all([state.reads.places(state.me, day),
    state.reads.absence(state.me, day)]);
  renderSchedule();
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
    state.map = state.map || new FixMap($("map-card"), $("map-text"), $("map-places"));
    state.map.show({ latitude: pos.coords.latitude, longitude: pos.coords.longitude, accuracy: pos.coords.accuracy },
      state.me?.map || null, state.places);
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
  if (!state.signedIn) return;
  state.lastLoad = Date.now();
  try {
    const response = await request(`/v1/checkins/mine?date=${localDay()}&limit=200`);
    if (response.status === 401) return authLost();
    if (response.ok) state.checkins = (await response.json()).items;
  } catch {
    /* offline: keep what we have */
  }
  renderToday();
}

// --- schedule ------------------------------------------------------------------------------

async function loadSchedule() {
  if (!state.signedIn) return;
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

function renderProfile() {
  const claims = state.claims || {};
  const me = state.me;
  const name = me?.name || claims.name || "";
  $("who").textContent = name;
  $("nip").textContent = formatNip(me?.nip || claims.nip);
  $("person-name").textContent = name;
  $("person-nip").textContent = me?.nip || claims.nip ? `${t("profile.nip")} ${formatNip(me?.nip || claims.nip)}` : "";
  show($("person"), Boolean(name || claims.nip));
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
  if (state.signedIn) {
    renderProfile();
    renderQueue();
    renderToday();
    renderSchedule();
  }
}

// --- month -------------------------------------------------------------------------------

async function loadMonth() {
  try {
    const response = await request("/app/api/month");
    if (response.status === 401) return authLost();
    if (response.ok) renderMonth(await response.json());
  } catch {
    say(t("error.network"), "error");
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

async function main() {
  useState(state);
  show($("insecure"), !window.isSecureContext);
  $("lang").addEventListener("click", () => {
    setLanguage(language() === "id" ? "en" : "id");
    renderAll();
  });
  $("signin-form").addEventListener("submit", (e) => {
    e.preventDefault();
    signInWithToken($("token").value);
  });
  $("signin-provider").addEventListener("click", () => signin.signIn().catch((error) => {
    const el = $("signin-error");
    el.textContent = t("signin.failed", { detail: error.message });
    show(el, true);
  }));
  $("signout").addEventListener("click", () => signOut().catch(console.error));
  $("queue-send").addEventListener("click", () => state.sender?.flush({ force: true }).catch(console.error));
  $("refresh").addEventListener("click", loadProfile);
  $("send-location").addEventListener("click", (e) => withButton(e.currentTarget, sendLocation));
  $("attend").addEventListener("click", (e) => withButton(e.currentTarget, attend));
  $("month-load").addEventListener("click", (e) => withButton(e.currentTarget, loadMonth));
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
  setInterval(() => state.signedIn && renderSchedule(), 1000); // the countdown

  renderAll();
  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register("sw.js", { scope: "./" }).catch(() => {});
  }
  const linked = tokenFromUrl();
  const session = await signin.start();
  if (linked && signin.config()?.dev_login) return signInWithToken(linked);
  if (session) enter(session);
  else showSignIn();
}

main().catch((error) => {
  console.error(error);
  showSignIn();
});
