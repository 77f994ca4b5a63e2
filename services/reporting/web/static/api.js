// Calls of the dashboard to its own service (same origin, nothing else): every request carries
// the session's access token from signin.token() (renewed there when it is about to expire).

import * as signin from "./signin.js";

export class HttpError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

export async function call(url, init = {}) {
  const token = await signin.token();
  if (!token) throw new HttpError(401, "signed out");
  let response;
  try {
    response = await fetch(url, { ...init, cache: "no-store",
      headers: { ...(init.headers || {}), Authorization: `Bearer ${token}` } });
  } catch (error) {
    throw new HttpError(0, error.message || "network");
  }
  if (!response.ok) {
    let detail = `HTTP ${response.status}`;
    try {
      const body = await response.json();
      const said = typeof body.detail === "string" ? body.detail : (body.detail || []).map((e) => e.msg).join("; ");
      detail = said || detail;
    } catch { /* not JSON */ }
    throw new HttpError(response.status, detail);
  }
  return response;
}

export const getJson = async (url) => (await call(url)).json();

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  return q.toString();
}
