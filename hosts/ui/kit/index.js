// The UI kit in one module: pages import Session, api, EventStream … from /ui/kit/index.js.
export { api, ApiError, newKey, API, download, loadedPlugins } from "./api.js";
export { el, $, table } from "./dom.js";
export { money, quantity, dateTime, clock, elapsed, day, parseMoney, cents, fromCents }
  from "./format.js";
export { t, addTexts, ROLES } from "./i18n.js";
export { watchIdle } from "./idle.js";
export { OfflineQueue, unreached } from "./offline.js";
export { chooseOptions, groupsOf, modifiersOf, optionLabel, optionsCents, optionsText,
         sameOptions, unitCents } from "./options.js";
export { Session, requestToken, tokenClaims } from "./session.js";
export { signInForm } from "./signin.js";
export { EventStream } from "./sse.js";
