// POSTs that must not be lost when the network drops (a sale at the counter): kept in IndexedDB
// with their Idempotency-Key and sent again, in order, once the server answers. The key makes a
// repeat harmless: the server answers a request it already did with its first answer.
import { api, newKey } from "./api.js";

const DB_NAME = "posmodern-offline";
const STORE = "requests";

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

export class OfflineQueue {
  constructor(session, { onChange = () => {} } = {}) {
    this.session = session;
    this.onChange = onChange;
    this.flushing = false;
    window.addEventListener("online", () => this.flush());
  }

  // Send now if possible; keep it for later if the network (not the server) failed.
  async post(path, body, idempotencyKey = newKey()) {
    try {
      return await api(this.session, path, { method: "POST", body, idempotencyKey });
    } catch (error) {
      if (error.status !== 0) throw error;
      await inStore("readwrite", (store) => store.add({ path, body, idempotencyKey,
                                                         queuedAt: new Date().toISOString() }));
      this.onChange(await this.pending());
      return null;
    }
  }

  async pending() {
    return inStore("readonly", (store) => store.count());
  }

  async list() {
    return inStore("readonly", (store) => store.getAll());
  }

  // Send what waits, oldest first; stop at the first network failure. A request the server
  // refuses (4xx) is dropped from the queue and reported through onChange's second argument.
  async flush() {
    if (this.flushing) return;
    this.flushing = true;
    const refused = [];
    try {
      for (const request of await this.list()) {
        try {
          await api(this.session, request.path, { method: "POST", body: request.body,
                                                  idempotencyKey: request.idempotencyKey });
        } catch (error) {
          if (error.status === 0 || error.status >= 500) break;
          refused.push({ request, error });
        }
        await inStore("readwrite", (store) => store.delete(request.seq));
      }
    } finally {
      this.flushing = false;
      this.onChange(await this.pending(), refused);
    }
  }
}
