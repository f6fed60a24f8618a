// Sign-in and the token: kept per page (sessionStorage by default, localStorage for a screen that
// must survive a reboot), dropped when it expires. There is no refresh route: when the token's
// `exp` passes (or the server answers 401) the page is told, and asks the person to sign in again.
import { t } from "./i18n.js";

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
    this.watch();
  }

  get token() {
    const token = this.storage.getItem(this.key);
    if (token && this.expiresAt(token) <= Date.now()) {
      this.storage.removeItem(this.key);
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
    this.watch();
    return body;
  }

  signOut() {
    this.storage.removeItem(this.key);
    clearTimeout(this.timer);
  }

  expired() {
    this.signOut();
    this.onExpired(t("session.expired"));
  }

  watch() {
    clearTimeout(this.timer);
    const token = this.storage.getItem(this.key);
    if (!token) return;
    const left = this.expiresAt(token) - Date.now();
    // setTimeout holds at most ~24.8 days; a shift's token is far shorter.
    if (left < 2 ** 31) this.timer = setTimeout(() => this.expired(), Math.max(0, left));
  }
}
