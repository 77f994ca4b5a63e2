// Who is signed in to the dashboard: sign-in through the identity provider (the shared
// signin.js: "Masuk" → the provider's form → back here), the pasted token of the development
// login only when /auth/config offers it, "Keluar", and the header in words: the person's name
// (ID token `name`, else the directory's), their role (Kepala unit, BKD …) and their unit's
// name — never a NIP, a role code or a unit id. Roles and unit are what the server understood
// (GET /dashboard/api/context), not what the page guesses from the token.

import * as signin from "./signin.js";
import { getJson } from "./api.js";
import { $ } from "./dom.js";
import { t } from "./i18n.js";

const ROLES = ["tenant_admin", "unit_head"]; // who the dashboard is for, the first found names the role

export const who = { session: null, ctx: null };

export const isAdmin = () => (who.ctx?.roles || []).includes("tenant_admin");
export const isHead = () => (who.ctx?.roles || []).includes("unit_head");
export const ownUnit = () => who.ctx?.unit_id || "";

function showSignIn(errorKey) {
  const cfg = signin.config() || {};
  $("board").hidden = true;
  $("signout").hidden = !who.session;
  $("signin").hidden = false;
  $("signin-provider").hidden = !cfg.issuer;
  $("signin-form").hidden = !cfg.dev_login;
  $("signin-dev-help").hidden = !cfg.dev_login;
  $("signin-error").hidden = !errorKey;
  $("signin-error").textContent = errorKey ? t(errorKey) : "";
  renderWho();
}

/** The header's words for the signed-in person. */
export function renderWho() {
  if (!who.session || !who.ctx) {
    $("who").textContent = "";
    return;
  }
  const name = who.session.claims?.name || who.ctx.name || "";
  const role = ROLES.find((r) => who.ctx.roles.includes(r));
  const place = role === "unit_head" ? who.ctx.unit_name || t("unit.unnamed") : who.ctx.tenant_name;
  $("who").textContent = [name, role ? t(`role.${role}`) : "", place].filter(Boolean).join(" · ");
}

/** Starts the session; calls ``enter()`` once signed in with a dashboard role. */
export async function begin(enter) {
  $("signin-provider").addEventListener("click", () => signin.signIn().catch(() => showSignIn("signin.unreachable")));
  $("signin-form").addEventListener("submit", (e) => {
    e.preventDefault();
    if (!signin.signInWithToken($("token").value)) return showSignIn("signin.invalid");
    who.session = signin.session();
    return admit(enter);
  });
  $("signout").addEventListener("click", async () => {
    who.session = who.ctx = null;
    showSignIn(null);
    await signin.signOut();
  });
  try {
    who.session = await signin.start();
  } catch {
    who.session = null;
    return showSignIn("signin.failed");
  }
  const url = new URL(location.href);
  const pasted = url.searchParams.get("token"); // development login by link (only when offered)
  if (pasted) {
    url.searchParams.delete("token");
    history.replaceState(null, "", url.pathname + url.search + url.hash);
    if (signin.config()?.dev_login) who.session = signin.signInWithToken(pasted) || who.session;
  }
  if (!who.session) return showSignIn(null);
  return admit(enter);
}

async function admit(enter) {
  try {
    who.ctx = await getJson("/dashboard/api/context");
  } catch (error) {
    who.ctx = null;
    if (error.status === 403) return showSignIn("signin.role");
    if (error.status === 401) return showSignIn("signin.expired");
    return showSignIn("signin.context_failed");
  }
  $("signin").hidden = true;
  $("board").hidden = false;
  $("signout").hidden = false;
  renderWho();
  return enter();
}
