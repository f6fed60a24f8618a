// Calls to /api/v1 with the session's token; errors arrive in the SPEC's shape
// {"error": {"code", "message", "details"}} and are thrown as ApiError.
import { t } from "./i18n.js";

export const API = "/api/v1";

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || (status ? `HTTP ${status}` : t("error.network")));
    this.status = status;
    this.code = error.code || (status ? "http_error" : "network_error");
    this.details = error.details ?? null;
  }
}

export function newKey() {
  return crypto.randomUUID ? crypto.randomUUID()
    : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

// api(session, "/kds/tickets", {method: "POST", body: {...}, idempotencyKey: "…"}).
export async function api(session, path, { method = "GET", body, idempotencyKey, headers = {},
                                           signal } = {}) {
  const request = { method, signal, headers: { Accept: "application/json", ...headers } };
  if (session && session.token) request.headers.Authorization = `Bearer ${session.token}`;
  if (idempotencyKey) request.headers["Idempotency-Key"] = idempotencyKey;
  if (body !== undefined) {
    request.headers["Content-Type"] = "application/json";
    request.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(API + path, request);
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, null);
  }
  const answer = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const error = new ApiError(response.status, answer);
    if (response.status === 401 && session) session.expired();
    throw error;
  }
  return answer;
}

// A file the API answers (a CSV report), downloaded under `filename`: a link cannot carry the
// token, so the file is fetched and handed to the browser as a blob.
export async function download(session, path, filename) {
  const response = await fetch(API + path, {
    headers: session && session.token ? { Authorization: `Bearer ${session.token}` } : {},
  }).catch(() => { throw new ApiError(0, null); });
  if (!response.ok) {
    throw new ApiError(response.status, await response.json().catch(() => null));
  }
  const url = URL.createObjectURL(await response.blob());
  const link = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// The plugins this server runs (from /health), so a page shows only what works here: no request
// to a route that is not there.
let loaded = null;
export function loadedPlugins() {
  loaded ??= fetch("/health", { headers: { Accept: "application/json" } })
    .then((response) => response.json()).then((body) => new Set(body.plugins || []))
    .catch(() => { loaded = null; return new Set(); });
  return loaded;
}
