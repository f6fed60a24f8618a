// The UI kit in one module: pages import Session, api, EventStream … from /ui/kit/index.js.
export { api, ApiError, newKey, API, loadedPlugins } from "./api.js";
export { el, $ } from "./dom.js";
export { money, quantity, dateTime, clock, elapsed, parseMoney, cents, fromCents }
  from "./format.js";
export { t, addTexts } from "./i18n.js";
export { OfflineQueue, unreached } from "./offline.js";
export { Session, requestToken, tokenClaims } from "./session.js";
export { signInForm } from "./signin.js";
export { EventStream } from "./sse.js";
