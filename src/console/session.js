/*
 * The signed-in key: kept for this tab only (sessionStorage), never in a URL or a log. Pages
 * read it through useSession(); a key the API stops accepting signs the user out with a message.
 */
import { useEffect, useState } from './lib.js';

const STORAGE = 'callqueue.apiKey';
const listeners = new Set();
let state = { key: sessionStorage.getItem(STORAGE), viewer: null, message: null };

function set(next) {
  state = { ...state, ...next };
  for (const listener of listeners) listener(state);
}

export function currentKey() {
  return state.key;
}

export function signIn(key, viewer) {
  sessionStorage.setItem(STORAGE, key);
  set({ key, viewer, message: null });
}

/** Also when the key is refused mid-session (revoked, expired): the message says why. */
export function signOut(message = null) {
  sessionStorage.removeItem(STORAGE);
  set({ key: null, viewer: null, message });
}

export function setViewer(viewer) {
  set({ viewer });
}

export function useSession() {
  const [value, setValue] = useState(state);
  useEffect(() => {
    listeners.add(setValue);
    setValue(state);
    return () => listeners.delete(setValue);
  }, []);
  return value;
}

/** What a role may do (the API refuses anyway; the console only hides what would be refused). */
const RANK = { VIEWER: 0, INTEGRATOR: 1, AGENT: 2, ADMIN: 3 };
export function atLeast(viewer, role) {
  return viewer !== null && RANK[viewer.role] >= RANK[role];
}
