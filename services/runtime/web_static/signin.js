// Sign-in for Hadir's web pages, shared by every page (served by each page-serving service,
// services/runtime/web_assets.py). OpenID Connect authorization code flow with PKCE through the
// vendored oidc-client-ts (oidc-client-ts.min.js, loaded only when a provider is configured):
// the provider named by GET /auth/config (services/runtime/signin.py), the page's own URL as the
// redirect URI, tokens kept in localStorage so the page opens signed in (and offline), renewed
// with the refresh token before they expire, else by signing in again. Without a provider (or in
// development) the development login stays: a pasted token (signInWithToken).
//
//   import * as signin from "./signin.js";
//   const session = await signin.start();   // handles the provider's redirect back; null: signed out
//   if (!session) show a button calling signin.signIn()        (and, if signin.config().dev_login,
//                                                              a token field → signin.signInWithToken)
//   fetch(url, { headers: { Authorization: `Bearer ${await signin.token()}` } })
//   signin.signOut()
//
// session / signin.session(): { token, claims, via: "oidc" | "dev" }; claims are the ID token's
// (name, nip, unit, tenant, roles as the provider sends them) or the pasted token's.

const CONFIG_KEY = "hadir.signin.config";
const DEV_KEY = "hadir.signin.devtoken";
const CLIENT_SCRIPT = "oidc-client-ts.min.js";
const RENEW_MARGIN_SECONDS = 60;

let cfg = null;
let manager = null;
let current = null;
let renewing = null;

function configUrl() {
  // /auth/config sits at the service's root, whatever folder the page is served from.
  return `${location.origin}/auth/config`;
}

async function loadConfig() {
  try {
    const answer = await fetch(configUrl(), { headers: { Accept: "application/json" }, cache: "no-store" });
    if (!answer.ok) throw new Error(`auth config: ${answer.status}`);
    const fresh = await answer.json();
    localStorage.setItem(CONFIG_KEY, JSON.stringify(fresh));
    return fresh;
  } catch (error) {
    const kept = localStorage.getItem(CONFIG_KEY); // offline: the last configuration seen
    if (kept) return JSON.parse(kept);
    return { issuer: null, client_id: "", scope: "", dev_login: true };
  }
}

function loadClient() {
  if (globalThis.oidc) return Promise.resolve(globalThis.oidc);
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = new URL(CLIENT_SCRIPT, import.meta.url).href;
    script.onload = () => resolve(globalThis.oidc);
    script.onerror = () => reject(new Error("oidc-client-ts could not be loaded"));
    document.head.append(script);
  });
}

function redirectUri() {
  return `${location.origin}${location.pathname}`;
}

function decodeClaims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(decodeURIComponent(escape(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "=")))));
  } catch {
    return null;
  }
}

function fromUser(user) {
  if (!user || user.expired || !user.access_token) return null;
  return { token: user.access_token, claims: user.profile || {}, via: "oidc", expiresAt: user.expires_at };
}

function storedUser(conf) {
  // Where oidc-client-ts keeps the user (its WebStorageStateStore on localStorage, below).
  try {
    const user = JSON.parse(localStorage.getItem(`oidc.user:${conf.issuer}:${conf.client_id}`));
    return user && { ...user, expired: user.expires_at && user.expires_at * 1000 < Date.now() };
  } catch {
    return null;
  }
}

function fromDevToken(token) {
  const claims = token && decodeClaims(token);
  if (!claims || (claims.exp && claims.exp * 1000 < Date.now())) return null;
  return { token, claims, via: "dev", expiresAt: claims.exp };
}

/** The sign-in configuration (after start()). */
export function config() {
  return cfg;
}

/** Reads the configuration, finishes a sign-in the provider redirected back from, and answers
 * the current session (or null). Call once when the page loads. */
export async function start() {
  cfg = await loadConfig();
  if (cfg.issuer) {
    let oidc;
    try {
      oidc = await loadClient();
    } catch {
      // Offline before the client was ever cached: the stored session still serves (no renewal).
      current = fromUser(storedUser(cfg));
      return current;
    }
    manager = new oidc.UserManager({
      authority: cfg.issuer,
      client_id: cfg.client_id,
      scope: cfg.scope,
      redirect_uri: redirectUri(),
      post_logout_redirect_uri: redirectUri(),
      response_type: "code",
      userStore: new oidc.WebStorageStateStore({ store: window.localStorage }),
      automaticSilentRenew: false, // renewed in token(), with the refresh token: no hidden iframe
      loadUserInfo: false,
    });
    const params = new URLSearchParams(location.search);
    if (params.has("state") && (params.has("code") || params.has("error"))) {
      try {
        await manager.signinRedirectCallback();
      } finally {
        history.replaceState(history.state, "", redirectUri()); // the code never stays in the history
      }
    }
    current = fromUser(await manager.getUser());
  }
  if (!current && cfg.dev_login) current = fromDevToken(localStorage.getItem(DEV_KEY));
  return current;
}

/** The current session: { token, claims, via } or null. */
export function session() {
  return current;
}

/** Goes to the provider's sign-in page; the page opens again signed in. */
export async function signIn() {
  if (!manager) throw new Error("no identity provider configured");
  await manager.signinRedirect();
}

/** Development login: a pasted token (only when /auth/config allows it). */
export function signInWithToken(token) {
  if (!cfg || !cfg.dev_login) throw new Error("development login is not offered");
  const next = fromDevToken(token.trim().replace(/^Bearer\s+/i, ""));
  if (!next) return null;
  localStorage.setItem(DEV_KEY, next.token);
  current = next;
  return current;
}

/** A valid access token for the API, renewed with the refresh token when it is about to expire;
 * null when signed out or when renewing failed (then call signIn()). */
export async function token() {
  if (!current) return null;
  const left = (current.expiresAt || Infinity) - Date.now() / 1000;
  if (current.via === "oidc" && left < RENEW_MARGIN_SECONDS) {
    // One renewal at a time: calls made meanwhile wait for it (a refresh token is used once).
    renewing = renewing || renew().finally(() => { renewing = null; });
    await renewing;
  } else if (left <= 0) {
    current = null;
  }
  return current ? current.token : null;
}

async function renew() {
  try {
    current = fromUser(await manager.signinSilent());
  } catch {
    // Offline, or the session ended at the provider: the token serves while it lasts.
    if (current && (current.expiresAt || Infinity) <= Date.now() / 1000) current = null;
  }
}

/** Signs out here and, for a provider's session, at the provider too. */
export async function signOut() {
  localStorage.removeItem(DEV_KEY);
  const via = current && current.via;
  current = null;
  if (!manager) return;
  if (via === "oidc" && navigator.onLine) {
    await manager.signoutRedirect(); // with the ID token as hint; forgets the user here too
  } else {
    await manager.removeUser();
  }
}
