// The UI kit in one module: pages import Session, api, EventStream … from /ui/kit/index.js.
export { api, ApiError, newKey, API, download } from "./api.js";
export { el, $, table } from "./dom.js";
export { money, quantity, dateTime, clock, elapsed, day } from "./format.js";
export { t, addTexts, ROLES } from "./i18n.js";
export { OfflineQueue } from "./offline.js";
export { Session } from "./session.js";
export { signInForm } from "./signin.js";
export { EventStream } from "./sse.js";
