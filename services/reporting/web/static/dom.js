// Small DOM helpers of the dashboard, and how a panel says that its data failed (never silently).

import { t } from "./i18n.js";

export const $ = (id) => document.getElementById(id);

export function make(tag, className, content) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (content !== undefined) el.textContent = content;
  return el;
}

export function cell(content, className = "") {
  const td = make("td", className);
  if (content instanceof Node) td.append(content);
  else td.textContent = content ?? "";
  return td;
}

/** Give every cell its column's name (data-label): phones show tables as stacked cards. */
export function labelCells(table) {
  const names = [...table.querySelectorAll("thead th")].map((th) => th.textContent);
  for (const row of table.querySelectorAll("tbody tr")) {
    [...row.children].forEach((td, i) => {
      if (names[i] && td.colSpan === 1) td.dataset.label = names[i];
    });
  }
}

/** A panel whose data failed stays on the page and says what failed; ok() clears it. */
export function failed(id, what, error) {
  const section = $(id);
  section.hidden = false;
  let note = section.querySelector(":scope > .panel-error");
  if (!note) {
    note = make("p", "notice error panel-error");
    note.setAttribute("role", "alert");
    note.dataset.testid = "panel-error";
    section.querySelector("h2")?.after(note);
  }
  const detail = error?.status === 0 ? t("error.network") : error?.message || "";
  note.textContent = t("error.panel", { what: t(what), detail });
  section.dataset.failed = "true";
}

export function ok(id) {
  const section = $(id);
  section.querySelector(":scope > .panel-error")?.remove();
  delete section.dataset.failed;
}
