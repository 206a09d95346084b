/*
 * The live connection: one graphql-ws client per signed-in tab, every subscription of every
 * page over it. Its state is shown by the connection indicator (data-connection):
 *   live          the socket is up and the service receives the database's changes;
 *   reconnecting  the socket is reconnecting, or the service lost its change feed for a moment
 *                 (liveStatus says so): figures may be stale until it is back;
 *   offline       no socket for OFFLINE_AFTER_MS, or the browser has no network.
 * Whenever it turns live again after a gap, pages re-read everything (onResync): events sent
 * during the gap were not seen.
 */
import { createClient } from './vendor/graphql-ws/client.js';
import { useEffect, useRef, useState } from './lib.js';
import { REFUSED_KEY } from './api.js';
import { signOut } from './session.js';

const OFFLINE_AFTER_MS = 15_000;
const listeners = new Set();
const resyncs = new Set();
let client = null;
let socket = 'connecting';
let flowing = false;
let downSince = Date.now();
let wasLive = false;
let offlineTimer = null;

function state() {
  if (!navigator.onLine) return 'offline';
  if (socket === 'connected' && flowing) return 'live';
  return Date.now() - downSince >= OFFLINE_AFTER_MS ? 'offline' : 'reconnecting';
}

function changed() {
  const now = state();
  if (now === 'live') {
    clearTimeout(offlineTimer);
    if (wasLive === 'gap') for (const fn of resyncs) fn();
    wasLive = true;
  } else {
    if (wasLive === true) {
      wasLive = 'gap';
      downSince = Date.now();
    }
    clearTimeout(offlineTimer);
    offlineTimer = setTimeout(changed, Math.max(0, OFFLINE_AFTER_MS - (Date.now() - downSince)) + 10);
  }
  for (const fn of listeners) fn(now);
}

addEventListener('online', changed);
addEventListener('offline', changed);

/** Opens the connection for a key (at sign-in); closes any previous one. */
export function connect(key) {
  disconnect();
  socket = 'connecting';
  flowing = false;
  wasLive = false;
  downSince = Date.now();
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
  client = createClient({
    url,
    connectionParams: { authorization: `Bearer ${key}` },
    lazy: false,
    keepAlive: 10_000,
    retryAttempts: Infinity,
    retryWait: async (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(5000, 300 * 2 ** retries))),
    // A refused key is not retried: the user is signed out with the reason.
    shouldRetry: (event) => !(event && (event.code === 4401 || event.code === 4403)),
    on: {
      connecting: () => { socket = 'connecting'; changed(); },
      connected: () => { socket = 'connected'; changed(); },
      closed: (event) => {
        socket = 'closed';
        flowing = false; // until the new socket's liveStatus says otherwise
        if (wasLive === true) { wasLive = 'gap'; downSince = Date.now(); }
        if (event && (event.code === 4401 || event.code === 4403)) signOut(REFUSED_KEY);
        changed();
      },
    },
    onNonLazyError: () => {},
  });
  subscribe('subscription { liveStatus { eventsFlowing } }', {}, (data) => {
    flowing = data.liveStatus.eventsFlowing;
    changed();
  });
}

export function disconnect() {
  if (client) client.dispose();
  client = null;
  socket = 'closed';
  flowing = false;
}

/** Runs a subscription until the returned function is called; `onData` gets each result's data. */
export function subscribe(query, variables, onData, onError = () => {}) {
  if (!client) return () => {};
  return client.subscribe({ query, variables }, {
    next: (result) => (result.errors ? onError(result.errors[0]) : onData(result.data)),
    error: (error) => onError(error),
    complete: () => {},
  });
}

export function useConnection() {
  const [value, setValue] = useState(state());
  useEffect(() => {
    listeners.add(setValue);
    setValue(state());
    return () => listeners.delete(setValue);
  }, []);
  return value;
}

/** Calls `fn` whenever the view must be re-read after a gap in the live feed. */
export function useResync(fn) {
  const latest = useRef(fn);
  latest.current = fn;
  useEffect(() => {
    const call = () => latest.current();
    resyncs.add(call);
    return () => resyncs.delete(call);
  }, []);
}

/** A subscription for the life of a component (re-subscribed when `deps` change; none while `enabled` is false). */
export function useSubscription(query, variables, onData, deps = [], enabled = true) {
  const latest = useRef(onData);
  latest.current = onData;
  useEffect(() => (enabled ? subscribe(query, variables, (data) => latest.current(data)) : undefined), [...deps, enabled]);
}
