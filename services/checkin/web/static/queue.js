// The offline queue. Every check-in is first written here, with an idempotency key made at
// capture time, and only then sent; it leaves the queue once the server has answered for it
// (stored, or a retry of what it stored). A lost answer is harmless: the retry carries the
// same key and the server replays the stored check-in instead of storing a second one.

const RETRY_SECONDS = [2, 5, 10, 30, 60];
const CHUNK = 100; // items per batch request (the API takes up to 500)

export function newKey() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Check-ins waiting to be sent, per tenant and employee, in localStorage. */
export class Queue {
  constructor(owner) {
    this.itemsKey = `hadir.queue.v1.${owner}`;
    this.rejectedKey = `hadir.rejected.v1.${owner}`;
  }

  #read(key) {
    try {
      const value = JSON.parse(localStorage.getItem(key) || "[]");
      return Array.isArray(value) ? value : [];
    } catch {
      return [];
    }
  }

  #write(key, value) {
    localStorage.setItem(key, JSON.stringify(value));
  }

  items() {
    return this.#read(this.itemsKey);
  }

  add(body) {
    const item = { key: newKey(), body, queued_at: new Date().toISOString() };
    this.#write(this.itemsKey, [...this.items(), item]);
    return item;
  }

  remove(keys) {
    const gone = new Set(keys);
    this.#write(this.itemsKey, this.items().filter((i) => !gone.has(i.key)));
  }

  reject(item, reason) {
    this.remove([item.key]);
    this.#write(this.rejectedKey, [...this.rejected(), { ...item, reason }]);
  }

  rejected() {
    return this.#read(this.rejectedKey);
  }

  dismiss(key) {
    this.#write(this.rejectedKey, this.rejected().filter((i) => i.key !== key));
  }
}

/** Sends the queue: one batch request per chunk, single requests if the batch route is missing. */
export class Sender {
  constructor(queue, request, onEvent) {
    this.queue = queue;
    this.request = request; // (path, init) => fetch Response; throws when the network fails
    this.onEvent = onEvent; // ({type, ...}) => void
    this.busy = false;
    this.failures = 0;
    this.nextAt = 0;
    this.blocked = false; // 401: wait for a new token
    this.single = false;
  }

  due(now = Date.now()) {
    return !this.busy && !this.blocked && this.queue.items().length > 0 && now >= this.nextAt;
  }

  /** Send everything queued; a call during a flush joins it (the running flush picks up new items). */
  flush({ force = false } = {}) {
    if (this.busy) return this.running;
    if (this.blocked && !force) return Promise.resolve();
    this.running = this.#run();
    return this.running;
  }

  async #run() {
    this.busy = true;
    this.blocked = false;
    try {
      for (;;) {
        const chunk = this.queue.items().slice(0, this.single ? 1 : CHUNK);
        if (chunk.length === 0) break;
        const outcome = this.single ? await this.#sendOne(chunk[0]) : await this.#sendBatch(chunk);
        if (outcome === "again") continue;
        if (outcome !== "ok") {
          this.#later(outcome);
          return;
        }
      }
      this.failures = 0;
      this.nextAt = 0;
    } finally {
      this.busy = false;
      this.onEvent({ type: "changed" });
    }
  }

  #later(reason) {
    if (reason === "auth") {
      this.blocked = true;
    } else {
      const wait = RETRY_SECONDS[Math.min(this.failures, RETRY_SECONDS.length - 1)];
      this.failures += 1;
      this.nextAt = Date.now() + wait * 1000;
    }
    this.onEvent({ type: "failed", reason, retryAt: this.nextAt });
  }

  async #call(path, init) {
    try {
      return await this.request(path, init);
    } catch {
      return null; // no connection
    }
  }

  async #trouble(response) {
    if (response === null) return "network";
    if (response.status === 401) return "auth";
    if (response.status === 403) {
      this.onEvent({ type: "forbidden", detail: await detailOf(response) });
      return "forbidden";
    }
    return "server";
  }

  async #sendBatch(chunk) {
    const items = chunk.map((i) => ({ ...i.body, idempotency_key: i.key }));
    const response = await this.#call("/v1/checkins/batch", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ items }),
    });
    if (response && (response.status === 404 || response.status === 405)) {
      this.single = true; // an older check-in service: one request per check-in
      return "again";
    }
    if (response === null || !response.ok) return this.#trouble(response);
    const body = await response.json();
    const done = [];
    for (const result of body.results) {
      const item = chunk[result.index];
      if (!item) continue;
      if (result.status === 201) {
        done.push(item.key);
        this.onEvent({ type: "sent", item, checkin: result.checkin });
      } else {
        this.queue.reject(item, describe(result.errors));
        this.onEvent({ type: "rejected", item });
      }
    }
    this.queue.remove(done);
    return "ok";
  }

  async #sendOne(item) {
    const response = await this.#call("/v1/checkins", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Idempotency-Key": item.key },
      body: JSON.stringify(item.body),
    });
    if (response && (response.status === 201 || response.status === 200)) {
      this.queue.remove([item.key]);
      this.onEvent({ type: "sent", item, checkin: await response.json() });
      return "ok";
    }
    if (response && (response.status === 409 || response.status === 422)) {
      this.queue.reject(item, await detailOf(response));
      this.onEvent({ type: "rejected", item });
      return "ok";
    }
    return this.#trouble(response);
  }
}

async function detailOf(response) {
  try {
    const body = await response.json();
    return typeof body.detail === "string" ? body.detail : describe(body.detail);
  } catch {
    return `HTTP ${response.status}`;
  }
}

function describe(errors) {
  if (!Array.isArray(errors)) return String(errors ?? "");
  return errors.map((e) => e.msg || e.type).join("; ");
}
