// Language of Hadir's web pages: Bahasa Indonesia first, English on request (kept in
// localStorage). Each page registers its own texts with useTexts(); this module is
// served by every service that has pages (services/runtime/web_assets.py).

const KEY = "hadir.lang";
let lang = localStorage.getItem(KEY) === "en" ? "en" : "id";
let texts = { id: {}, en: {} };

export function useTexts(table) {
  texts = table;
}

export function language() {
  return lang;
}

export function locale() {
  return lang === "en" ? "en-GB" : "id-ID";
}

export function t(key, vars = {}) {
  const text = texts[lang][key] ?? texts.id[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

export function setLanguage(next) {
  lang = next === "en" ? "en" : "id";
  localStorage.setItem(KEY, lang);
  document.documentElement.lang = lang;
}

/** Fill every element carrying data-i18n with its text in the current language. */
export function translate(root = document) {
  document.documentElement.lang = lang;
  for (const el of root.querySelectorAll("[data-i18n]")) {
    el.textContent = t(el.dataset.i18n);
  }
}
