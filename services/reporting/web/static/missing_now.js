// The "belum check-in" panel: who has not checked in yet for the window open now
// (GET /dashboard/api/missing-now), unit by unit, with WhatsApp and telephone links where the
// directory has a phone number. Self-contained: its texts (Bahasa Indonesia and English) are
// here, it re-renders itself when the page's language changes, and a failure shows a message in
// the panel (it never disappears).
//
// app.js calls loadMissingNow(getJson, unitId) on every load: getJson(url) resolves to the parsed
// body or throws an Error whose message says why; unitId is "" for every unit of the tenant.

import { language } from "./i18n.js";

const TEXTS = {
  id: {
    title: "Belum check-in",
    titleWindow: "Belum check-in — {window} (s.d. {deadline} {zone})",
    help: "Pegawai yang wajib check-in di jendela yang sedang terbuka dan belum melakukannya (yang cuti atau izin tidak ditampilkan).",
    count: "{n} orang belum check-in",
    partial: "menampilkan {shown} dari {total}",
    allIn: "Semua sudah check-in.",
    noWindow: "Tidak ada jendela yang terbuka sekarang.",
    failed: "Daftar belum check-in tidak dapat dimuat: {detail}",
    whatsapp: "WhatsApp",
    call: "Telepon",
    noPhone: "tanpa nomor telepon",
    whatsappLabel: "Kirim WhatsApp ke {name}",
    callLabel: "Telepon {name}",
  },
  en: {
    title: "Not checked in yet",
    titleWindow: "Not checked in yet — {window} (until {deadline} {zone})",
    help: "Employees expected to check in for the window open now who have not done so (those on leave are not shown).",
    count: "{n} not checked in yet",
    partial: "showing {shown} of {total}",
    allIn: "Everyone has checked in.",
    noWindow: "No window is open right now.",
    failed: "Could not load the list of who has not checked in: {detail}",
    whatsapp: "WhatsApp",
    call: "Call",
    noPhone: "no phone number",
    whatsappLabel: "Send {name} a WhatsApp message",
    callLabel: "Call {name}",
  },
};

const last = { body: null, error: null };

function t(key, vars = {}) {
  const text = (TEXTS[language()] || TEXTS.id)[key] ?? TEXTS.id[key];
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

const $ = (id) => document.getElementById(id);

function make(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

/** HH:MM of an ISO time that carries the tenant's offset (shown as the tenant's clock, whatever the browser's zone). */
const clock = (iso) => (/T(\d\d:\d\d)/.exec(iso || "") || [, ""])[1];

function say(text, tone) {
  const state = $("missing-now-state");
  state.textContent = text;
  state.className = tone === "error" ? "notice error" : "muted";
  state.setAttribute("role", tone === "error" ? "alert" : "status");
  state.hidden = !text;
}

function link(href, text, label, className) {
  const a = make("a", `mn-link ${className}`, text);
  a.href = href;
  a.setAttribute("aria-label", label);
  if (href.startsWith("https:")) {
    a.target = "_blank";
    a.rel = "noopener noreferrer";
  }
  return a;
}

function row(person) {
  const li = make("li", "mn-row");
  li.dataset.employee = person.employee_id;
  const who = make("div", "mn-who");
  who.append(make("strong", "", person.name), make("span", "muted", person.unit_name));
  const contact = make("div", "mn-contact");
  if (person.whatsapp_url) {
    contact.append(link(person.whatsapp_url, t("whatsapp"), t("whatsappLabel", { name: person.name }), "wa"));
  }
  if (person.tel_url) contact.append(link(person.tel_url, t("call"), t("callLabel", { name: person.name }), "tel"));
  if (!person.tel_url) contact.append(make("span", "muted", person.phone || t("noPhone")));
  li.append(who, contact);
  return li;
}

function render() {
  const panel = $("missing-now-panel");
  if (!panel) return;
  panel.hidden = false;
  $("missing-now-help").textContent = t("help");
  const list = $("missing-now");
  list.replaceChildren();
  $("missing-now-count").hidden = true;
  if (last.error) {
    $("missing-now-title").textContent = t("title");
    say(t("failed", { detail: last.error }), "error");
    return;
  }
  const body = last.body;
  if (!body) return;
  const w = body.window;
  $("missing-now-title").textContent = w
    ? t("titleWindow", { window: w.window_name, deadline: clock(w.deadline), zone: body.zone })
    : t("title");
  if (!w) {
    say(t("noWindow"));
    return;
  }
  if (!body.rows.length) {
    say(t("allIn"));
    return;
  }
  say("");
  const count = $("missing-now-count");
  count.textContent = t("count", { n: body.total }) +
    (body.total > body.rows.length ? ` · ${t("partial", { shown: body.rows.length, total: body.total })}` : "");
  count.hidden = false;
  list.append(...body.rows.map(row));
}

/** Load and show the list for one unit ("" for every unit the caller may see). */
export async function loadMissingNow(getJson, unitId = "") {
  const query = unitId ? `?${new URLSearchParams({ unit_id: unitId })}` : "";
  try {
    last.body = await getJson(`/dashboard/api/missing-now${query}`);
    last.error = null;
  } catch (error) {
    last.error = (error && error.message) || String(error);
  }
  render();
}

// The page's language switch sets <html lang>: show the same data in the new language.
new MutationObserver(render).observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });
