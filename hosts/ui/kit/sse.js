// Server-sent events read with fetch(), so the token travels in the Authorization header (an
// EventSource cannot send headers, and a token in a URL ends up in logs). After a drop it
// reconnects with backoff and resumes with Last-Event-ID, so nothing sent meanwhile is missed.
import { API, ApiError } from "./api.js";

const MAX_BACKOFF_MS = 15000;

export class EventStream {
  // handlers: {open(), lost(), error(ApiError), <event name>(data, id)}.
  constructor(session, path, handlers, { lastEventId = null } = {}) {
    this.session = session;
    this.path = path;
    this.handlers = handlers;
    this.lastEventId = lastEventId;
    this.retryMs = 1000;
    this.failures = 0;
    this.closed = false;
    this.run();
  }

  close() {
    this.closed = true;
    if (this.controller) this.controller.abort();
  }

  // Drop the connection now (as a network failure would) and resume; for tests and "retry".
  reconnect() {
    if (this.controller) this.controller.abort();
  }

  async run() {
    while (!this.closed) {
      this.controller = new AbortController();
      const headers = { Accept: "text/event-stream" };
      const token = this.session ? this.session.token : null;
      if (token) headers.Authorization = `Bearer ${token}`;
      if (this.lastEventId) headers["Last-Event-ID"] = this.lastEventId;
      try {
        const response = await fetch(API + this.path, { headers, cache: "no-store",
                                                         signal: this.controller.signal });
        if (!response.ok) {
          const error = new ApiError(response.status, await response.json().catch(() => null));
          if ([401, 403, 404, 422].includes(response.status)) {
            this.closed = true;
            if (response.status === 401 && this.session) this.session.expired();
            if (this.handlers.error) this.handlers.error(error);
            return;
          }
          throw error;
        }
        this.failures = 0;
        if (this.handlers.open) this.handlers.open();
        await this.read(response.body.getReader());
      } catch (error) {
        if (this.closed) return;
      }
      if (this.closed) return;
      if (this.handlers.lost) this.handlers.lost();
      this.failures += 1;
      const backoff = Math.min(MAX_BACKOFF_MS, this.retryMs * 2 ** Math.min(this.failures - 1, 4));
      await new Promise((resolve) => setTimeout(resolve, backoff * (0.75 + Math.random() / 2)));
    }
  }

  async read(reader) {
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        this.dispatch(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
  }

  dispatch(block) {
    let name = "message", id = null;
    const data = [];
    for (const line of block.split("\n")) {
      if (!line || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") name = value;
      else if (field === "data") data.push(value);
      else if (field === "id") id = value;
      else if (field === "retry" && /^\d+$/.test(value)) this.retryMs = Number(value);
    }
    if (id !== null) this.lastEventId = id;
    if (!data.length || !this.handlers[name]) return;
    this.handlers[name](JSON.parse(data.join("\n")), id);
  }
}
