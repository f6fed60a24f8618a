// The UI kit in one module: pages import Session, api, EventStream … from /ui/kit/index.js.
export { api, ApiError, newKey, API } from "./api.js";
export { el, $ } from "./dom.js";
export { money, quantity, dateTime, clock, elapsed } from "./format.js";
export { t, addTexts } from "./i18n.js";
export { watchIdle } from "./idle.js";
export { OfflineQueue } from "./offline.js";
export { Session } from "./session.js";
export { signInForm } from "./signin.js";
export { EventStream } from "./sse.js";
