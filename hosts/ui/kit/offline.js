// POSTs that must not be lost when the network or the server drops (a sale at the counter): kept
// in IndexedDB with their Idempotency-Key and sent again, in order, once the server answers. The
// key makes a repeat harmless: the server answers a request it already did with its first answer.
// A request may carry follow-ups (`then`): sent after it, their paths filled from its answer
// ("/orders/{order_id}/payments"), each with its own key — a sale and its cash tender.
import { api, newKey } from "./api.js";

const DB_NAME = "posmodern-offline";
const STORE = "requests";
const RETRY_MS = 3000;
// The server did not answer, or a gateway in front of it said it is gone: worth another try.
const UNREACHED = new Set([0, 502, 503, 504]);

export function unreached(error) {
  return Boolean(error) && UNREACHED.has(error.status);
}

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore(STORE, { keyPath: "seq", autoIncrement: true });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function inStore(mode, work) {
  return open().then((db) => new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const result = work(tx.objectStore(STORE));
    tx.oncomplete = () => { db.close(); resolve(result.result ?? result); };
    tx.onerror = () => { db.close(); reject(tx.error); };
  }));
}

// "/orders/{order_id}/payments" with {order_id: "…"} → "/orders/…/payments".
function fill(path, answer) {
  return path.replace(/\{(\w+)\}/g, (_, name) => encodeURIComponent(answer?.[name] ?? ""));
}

export class OfflineQueue {
  // onChange(pending, refused, sent): after every change; `sent` lists {request, answer}.
  constructor(session, { onChange = () => {}, retryMs = RETRY_MS } = {}) {
    this.session = session;
    this.onChange = onChange;
    this.flushing = false;
    this.retryMs = retryMs;
    this.timer = null;
    window.addEventListener("online", () => this.flush());
  }

  // Send now if possible; keep it for later if the server was not reached. Returns the answer,
  // or null when the request was queued. `extra` ({then, meta}) travels with a queued request.
  async post(path, body, idempotencyKey = newKey(), extra = {}) {
    try {
      return await api(this.session, path, { method: "POST", body, idempotencyKey });
    } catch (error) {
      if (!unreached(error)) throw error;
      await this.enqueue({ path, body, idempotencyKey, ...extra });
      return null;
    }
  }

  // Keep a request (and its follow-ups) for later, and try again every few seconds.
  async enqueue({ path, body, idempotencyKey = newKey(), then = [], meta = null }) {
    await inStore("readwrite", (store) => store.add({
      path, body, idempotencyKey, then, meta, queuedAt: new Date().toISOString() }));
    this.onChange(await this.pending(), [], []);
    this.retrySoon();
  }

  retrySoon() {
    if (this.timer) return;
    this.timer = setTimeout(() => { this.timer = null; this.flush(); }, this.retryMs);
  }

  async pending() {
    return inStore("readonly", (store) => store.count());
  }

  async list() {
    return inStore("readonly", (store) => store.getAll());
  }

  // Send what waits, oldest first; stop at the first request the server does not answer. A
  // request the server refuses (4xx) is dropped and reported; a request answered makes its first
  // follow-up the queue's next request, in the same place.
  async flush() {
    if (this.flushing) return;
    this.flushing = true;
    const refused = [], sent = [];
    let stalled = false;
    try {
      for (let request of await this.list()) {
        while (request) {
          let answer = null;
          try {
            answer = await api(this.session, request.path, {
              method: "POST", body: request.body, idempotencyKey: request.idempotencyKey });
          } catch (error) {
            if (unreached(error) || error.status >= 500) { stalled = true; break; }
            refused.push({ request, error });
          }
          if (answer) sent.push({ request, answer });
          request = await this.advance(request, answer);
        }
        if (stalled) break;
      }
    } finally {
      this.flushing = false;
      const pending = await this.pending();
      if (pending) this.retrySoon();
      this.onChange(pending, refused, sent);
    }
  }

  // Replace a sent request by its next follow-up (paths filled from the answer), or drop it.
  async advance(request, answer) {
    const [next, ...rest] = answer ? request.then || [] : [];
    if (!next) {
      await inStore("readwrite", (store) => store.delete(request.seq));
      return null;
    }
    const following = { ...request, ...next, path: fill(next.path, answer), then: rest,
                        idempotencyKey: next.idempotencyKey || newKey(),
                        meta: { ...request.meta, ...next.meta, answer } };
    await inStore("readwrite", (store) => store.put(following));
    return following;
  }
}
