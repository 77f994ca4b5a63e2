// What the page reads of the employee's own records at the policy service, from the browser
// (CORS: services/runtime/page_cors.py; address: /app/api/me's policy_url, HADIR_POLICY_PUBLIC_URL):
// today's allowed places (GET /v1/me/places — every version; the ones valid today are kept, each
// with its radius or the letter's) and the absence that excuses today, if any (GET /v1/me/absences).
// Both are kept on the phone for offline use, under the signed-in person's key; signing out
// removes them.

/** Places valid on ``day`` (YYYY-MM-DD) with a radius: [{name, kind, latitude, longitude, radius_m}]. */
export function placesOn(answer, day, defaultRadius) {
  return (answer.places || [])
    .filter((p) => (!p.valid_from || p.valid_from <= day) && (!p.valid_until || day <= p.valid_until))
    .map((p) => ({ name: p.name, kind: p.kind, latitude: p.latitude, longitude: p.longitude,
      radius_m: p.radius_m || defaultRadius || 150 }));
}

/** The absence excusing ``day``, or null. */
export function absenceOn(items, day) {
  // Which days an absence excuses is policy's rule (contracts.rules.absence.excused_span): it sends them.
  return items.find((a) => a.excused && a.excused.start <= day && day <= a.excused.end) || null;
}

export class PolicyReads {
  constructor(owner, request) {
    this.key = `hadir.policy.v1.${owner}`;
    this.request = request; // (url) => fetch Response, with the current token
    try {
      this.kept = JSON.parse(localStorage.getItem(this.key) || "null") || {};
    } catch {
      this.kept = {};
    }
  }

  /** {state: "ok" | "failed", list} for ``day``: fresh when the policy service answers, else the last kept. */
  async places(me, day) {
    const fresh = await this.#read(me, "/v1/me/places");
    if (fresh) this.#keep("places", fresh);
    const answer = fresh || this.kept.places;
    if (!answer) return { state: "failed", list: [] };
    return { state: "ok", list: placesOn(answer, day, me.policy?.geofence_radius_m), stale: !fresh };
  }

  /** {state: "ok" | "failed", absence} for ``day``. */
  async absence(me, day) {
    const fresh = await this.#read(me, "/v1/me/absences?limit=100");
    if (fresh) this.#keep("absences", fresh.items || []);
    const items = fresh ? fresh.items || [] : this.kept.absences;
    if (!items) return { state: "failed", absence: null };
    return { state: "ok", absence: absenceOn(items, day) };
  }

  forget() {
    localStorage.removeItem(this.key);
  }

  async #read(me, path) {
    if (!me?.policy_url) return null;
    try {
      const response = await this.request(`${me.policy_url}${path}`);
      return response.ok ? await response.json() : null;
    } catch {
      return null; // offline or unreachable
    }
  }

  #keep(name, value) {
    this.kept[name] = value;
    localStorage.setItem(this.key, JSON.stringify(this.kept));
  }
}
