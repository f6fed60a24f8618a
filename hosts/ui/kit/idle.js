// A self-service screen goes back to its start when nobody touches it: onIdle() after `seconds`
// without a touch, click or key. watchIdle returns {reset, stop}; change `seconds` with reset(s).
const EVENTS = ["pointerdown", "keydown", "touchstart", "wheel"];

export function watchIdle(seconds, onIdle) {
  let timer = null, limit = seconds;
  const reset = (next) => {
    if (typeof next === "number") limit = next;
    clearTimeout(timer);
    timer = setTimeout(onIdle, limit * 1000);
  };
  const touched = () => reset();
  for (const name of EVENTS) document.addEventListener(name, touched, { passive: true });
  reset();
  return {
    reset,
    stop() {
      clearTimeout(timer);
      for (const name of EVENTS) document.removeEventListener(name, touched);
    },
  };
}
