// Sign-in and the token: kept per page (sessionStorage by default, localStorage for a screen that
// must survive a reboot). Before it expires (at four fifths of its life) the token is exchanged
// for a new one (`POST /api/v1/auth/refresh`, same sign-in), so a screen left signed in keeps
// working; when the server refuses (the user was deactivated, the sign-in is older than
// POS_SESSION_MAX_HOURS) or the token's `exp` passes, the page is told, and asks the person to
// sign in again. A sign-in is also kept for the browser tab (SHARED): a page opened from the
// start page `/` uses it when it has no token of its own, so one sign-in opens every app of the
// tab.
import { t } from "./i18n.js";

const SHARED = "posmodern.token";

// A token's claims (client, store, roles…), read without verifying (the server verifies).
export function tokenClaims(token) {
  try {
    return JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
  } catch {
    return null;
  }
}

// A token for these credentials, kept nowhere (a manager approving one act on a cashier's
// screen); Session.signIn keeps it.
export async function requestToken({ client_id, username, password }) {
  const response = await fetch("/api/v1/auth/token", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ client_id, username, password }),
  });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    throw new Error((body && body.error && body.error.message) || t("signin.failed"));
  }
  return body;
}

export class Session {
  constructor(app, { persistent = false, onExpired = () => {} } = {}) {
    this.key = `posmodern.${app}.token`;
    this.storage = persistent ? localStorage : sessionStorage;
    this.onExpired = onExpired;
    this.timer = null;
    this.refreshTimer = null;
    this.watch();
  }

  get token() {
    return this.stored(this.storage, this.key) || this.stored(sessionStorage, SHARED);
  }

  stored(storage, key) {
    const token = storage.getItem(key);
    if (token && this.expiresAt(token) <= Date.now()) {
      storage.removeItem(key);
      return null;
    }
    return token;
  }

  // The token's claims (client, store, roles…), read without verifying (the server verifies).
  get claims() {
    const token = this.token;
    return token ? tokenClaims(token) : null;
  }

  expiresAt(token) {
    const claims = tokenClaims(token);
    if (!claims) return 0;
    return claims.exp ? claims.exp * 1000 : Infinity;
  }

  async signIn(credentials) {
    const body = await requestToken(credentials);
    this.storage.setItem(this.key, body.access_token);
    sessionStorage.setItem(SHARED, body.access_token);
    this.watch();
    return body;
  }

  signOut() {
    this.storage.removeItem(this.key);
    sessionStorage.removeItem(SHARED);
    clearTimeout(this.timer);
    clearTimeout(this.refreshTimer);
  }

  expired() {
    this.signOut();
    this.onExpired(t("session.expired"));
  }

  watch() {
    clearTimeout(this.timer);
    clearTimeout(this.refreshTimer);
    const token = this.token;
    if (!token) return;
    const left = this.expiresAt(token) - Date.now();
    // setTimeout holds at most ~24.8 days; a shift's token is far shorter.
    if (left >= 2 ** 31) return;
    this.timer = setTimeout(() => this.expired(), Math.max(0, left));
    this.refreshTimer = setTimeout(() => this.refresh(), Math.max(0, left * 0.8));
  }

  // Exchange the token for a fresh one; a server out of reach is asked again in 30 s (until the
  // token expires), a refusal ends the session.
  async refresh() {
    const token = this.token;
    if (!token) return;
    let response;
    try {
      response = await fetch("/api/v1/auth/refresh", {
        method: "POST", headers: { Authorization: `Bearer ${token}` },
      });
    } catch {
      this.refreshTimer = setTimeout(() => this.refresh(), 30_000);
      return;
    }
    if (response.status === 401 || response.status === 403) return this.expired();
    const body = response.ok ? await response.json().catch(() => null) : null;
    if (!body || !body.access_token) {
      this.refreshTimer = setTimeout(() => this.refresh(), 30_000);
      return;
    }
    this.storage.setItem(this.key, body.access_token);
    if (sessionStorage.getItem(SHARED) === token) sessionStorage.setItem(SHARED, body.access_token);
    this.watch();
  }
}
