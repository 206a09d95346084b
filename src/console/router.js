/* Client-side routes: every view has a URL (filters included), so what a supervisor sees can be shared. */
import { useEffect, useState } from './lib.js';

const listeners = new Set();

function current() {
  return { path: location.pathname, query: new URLSearchParams(location.search) };
}

export function navigate(href, { replace = false } = {}) {
  if (href === location.pathname + location.search) return;
  history[replace ? 'replaceState' : 'pushState'](null, '', href);
  for (const fn of listeners) fn(current());
}

addEventListener('popstate', () => { for (const fn of listeners) fn(current()); });

// Links inside the console navigate without a reload (a modified click still opens a new tab).
addEventListener('click', (event) => {
  const link = event.target.closest?.('a[href^="/"]');
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || link.target) return;
  if (link.getAttribute('href').startsWith('/graphql')) return;
  event.preventDefault();
  navigate(link.getAttribute('href'));
});

export function useRoute() {
  const [route, setRoute] = useState(current());
  useEffect(() => {
    listeners.add(setRoute);
    return () => listeners.delete(setRoute);
  }, []);
  return route;
}

/** The query string of a view: empty values left out, so URLs stay short. */
export function withQuery(path, params) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== ''));
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}
