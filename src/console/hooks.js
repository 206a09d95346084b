import { useEffect, useRef } from './lib.js';

/** Runs `fn` at most once per `ms` (the first call at once, the last of a burst at the end): a stream of changes becomes a few re-reads. */
export function useThrottled(fn, ms) {
  const timer = useRef(null);
  const last = useRef(0);
  const latest = useRef(fn);
  latest.current = fn;
  useEffect(() => () => clearTimeout(timer.current), []);
  return () => {
    if (timer.current) return;
    const wait = Math.max(0, last.current + ms - Date.now());
    timer.current = setTimeout(() => { timer.current = null; last.current = Date.now(); latest.current(); }, wait);
  };
}
