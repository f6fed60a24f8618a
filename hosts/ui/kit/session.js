// Sign-in and the token: kept per page (sessionStorage by default, localStorage for a screen that
// must survive a reboot), dropped when it expires. There is no refresh route: when the token's
// `exp` passes (or the server answers 401) the page is told, and asks the person to sign in again.
// A sign-in is also kept for the browser tab (SHARED): a page opened from the start page `/`
// uses it when it has no token of its own, so one sign-in opens every app of the tab.
import { t } from "./i18n.js";

const SHARED = "posmodern.token";

function claimsOf(token) {
  return JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
}

export class Session {
  constructor(app, { persistent = false, onExpired = () => {} } = {}) {
    this.key = `posmodern.${app}.token`;
    this.storage = persistent ? localStorage : sessionStorage;
    this.onExpired = onExpired;
    this.timer = null;
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
    if (!token) return null;
    try {
      return claimsOf(token);
    } catch {
      return null;
    }
  }

  expiresAt(token) {
    try {
      const claims = claimsOf(token);
      return claims.exp ? claims.exp * 1000 : Infinity;
    } catch {
      return 0;
    }
  }

  async signIn({ client_id, username, password }) {
    const response = await fetch("/api/v1/auth/token", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ client_id, username, password }),
    });
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      throw new Error((body && body.error && body.error.message) || t("signin.failed"));
    }
    this.storage.setItem(this.key, body.access_token);
    sessionStorage.setItem(SHARED, body.access_token);
    this.watch();
    return body;
  }

  signOut() {
    this.storage.removeItem(this.key);
    sessionStorage.removeItem(SHARED);
    clearTimeout(this.timer);
  }

  expired() {
    this.signOut();
    this.onExpired(t("session.expired"));
  }

  watch() {
    clearTimeout(this.timer);
    const token = this.token;
    if (!token) return;
    const left = this.expiresAt(token) - Date.now();
    // setTimeout holds at most ~24.8 days; a shift's token is far shorter.
    if (left < 2 ** 31) this.timer = setTimeout(() => this.expired(), Math.max(0, left));
  }
}
