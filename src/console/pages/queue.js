import { html, useEffect, useRef, useState } from '../lib.js';
import { gql } from '../api.js';
import { useResync, useSubscription } from '../live.js';
import { useThrottled } from '../hooks.js';
import { navigate, withQuery } from '../router.js';
import { Failure } from '../components/failure.js';
import { clock, duration, name, QUEUE_LABEL, relative, words } from '../format.js';

/*
 * The queue browser: entries in claim order, searched and filtered by the server, one keyset
 * page at a time. The whole view (search, filters, page) is in the URL.
 */
const ENTRIES = `query Entries($type: QueueType!, $first: Int!, $after: String, $status: EntryStatus, $search: String, $filter: QueueEntryFilter) {
  queue(type: $type) {
    depth
    entries(first: $first, after: $after, status: $status, search: $search, filter: $filter) {
      pageInfo { hasNextPage endCursor }
      nodes {
        id userId priorityScore status availableFrom enqueuedAt callbackScheduledFor
        claimant { userId firstName lastName phone timezone }
        assignedAgent { id name }
        ... on UnsignedUserEntry { urgentSignature signatureType }
        ... on OutstandingRequestEntry { escalationLevel pendingRequirements documentDeadline }
      }
    }
  }
}`;

const PAGE_SIZE = 50;

/** The view's state as the URL carries it. */
function viewOf(query) {
  return {
    search: query.get('search') ?? '',
    status: query.get('status') ?? '',
    hasCallback: query.get('hasCallback') ?? '',
    escalationLevel: query.get('escalationLevel') ?? '',
    urgentSignature: query.get('urgentSignature') ?? '',
    availableNow: query.get('availableNow') ?? '',
    after: query.get('after') ?? '',
  };
}

function variablesOf(type, view) {
  const bool = (v) => (v === '' ? undefined : v === 'true');
  const filter = {
    hasCallback: bool(view.hasCallback),
    availableNow: bool(view.availableNow),
    ...(type === 'OUTSTANDING_REQUESTS' && view.escalationLevel !== '' ? { escalationLevel: Number(view.escalationLevel) } : {}),
    ...(type === 'UNSIGNED_USERS' ? { urgentSignature: bool(view.urgentSignature) } : {}),
  };
  return {
    type, first: PAGE_SIZE, after: view.after || undefined, status: view.status || undefined,
    search: view.search.trim() || undefined, filter,
  };
}

function Select({ id, label, value, options, onChange }) {
  return html`<div class="field"><label for=${id}>${label}</label>
    <select id=${id} value=${value} onChange=${(e) => onChange(e.target.value)}>
      ${options.map(([v, text]) => html`<option value=${v}>${text}</option>`)}
    </select></div>`;
}

const YES_NO = [['', 'Any'], ['true', 'Yes'], ['false', 'No']];

export function QueueBrowser({ type, query }) {
  const view = viewOf(query);
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  const [stale, setStale] = useState(false);
  const [pages, setPages] = useState([]); // cursors of the pages before this one, for "previous"
  // What is typed is the page's own until submitted (a live re-render must not wipe it); a new URL resets it.
  const [typed, setTyped] = useState(view.search);
  useEffect(() => setTyped(view.search), [view.search]);
  const key = JSON.stringify(variablesOf(type, view));

  async function load() {
    try {
      setResult(await gql(ENTRIES, variablesOf(type, view)));
      setError(null);
      setStale(false);
    } catch (e) {
      setError(e);
    }
  }
  useEffect(() => { load(); }, [key]);
  useResync(load);
  // The first page follows the queue live (re-read at most every 2 s while it changes); a later
  // page says it changed (its place would shift).
  const reload = useThrottled(load, 2000);
  const subscribed = useRef(false); // its first snapshot is the state this page just read
  useSubscription('subscription($t: QueueType!) { queueStats(queueType: $t) { depth } }', { t: type }, () => {
    if (!subscribed.current) { subscribed.current = true; return; }
    if (!view.after) reload(); else setStale(true);
  }, [type, view.after]);

  const go = (changes, { keepPage = false } = {}) => {
    const next = { ...view, ...changes };
    if (!keepPage) { next.after = ''; setPages([]); }
    navigate(withQuery(`/queues/${type}`, next), { replace: !keepPage });
  };

  const entries = result?.queue.entries;
  const position = pages.length * PAGE_SIZE;
  return html`<section class="queue-browser">
    <header class="page-head">
      <h1>${QUEUE_LABEL[type]}</h1>
      ${result ? html`<p class="muted">${result.queue.depth} waiting · claim order: highest priority first, then the earliest available</p>` : null}
    </header>
    <form class="panel filters" role="search" onSubmit=${(e) => { e.preventDefault(); go({ search: typed }); }}>
      <div class="field grow"><label for="search">Search claimants</label>
        <input id="search" type="search" value=${typed} onInput=${(e) => setTyped(e.target.value)} placeholder="User id, name or phone" /></div>
      <button type="submit">Search</button>
      <${Select} id="status" label="Status" value=${view.status} onChange=${(v) => go({ status: v })}
        options=${[['', 'Pending and assigned'], ['PENDING', 'Pending'], ['ASSIGNED', 'Assigned'], ['COMPLETED', 'Completed'], ['REMOVED', 'Removed']]} />
      <${Select} id="available" label="Claimable now" value=${view.availableNow} onChange=${(v) => go({ availableNow: v })} options=${YES_NO} />
      <${Select} id="callback" label="Callback" value=${view.hasCallback} onChange=${(v) => go({ hasCallback: v })} options=${YES_NO} />
      ${type === 'OUTSTANDING_REQUESTS'
        ? html`<${Select} id="escalation" label="Escalation" value=${view.escalationLevel} onChange=${(v) => go({ escalationLevel: v })}
            options=${[['', 'Any'], ['0', '0 · normal'], ['1', '1 · escalated'], ['2', '2 · urgent']]} />`
        : html`<${Select} id="urgent" label="Urgent signature" value=${view.urgentSignature} onChange=${(v) => go({ urgentSignature: v })} options=${YES_NO} />`}
    </form>
    ${error ? html`<${Failure} error=${error} retry=${load} />` : null}
    ${stale ? html`<p class="notice" role="status">The queue changed since this page was read. <button type="button" class="quiet" onClick=${load}>Refresh</button></p>` : null}
    ${!entries ? (error ? null : html`<p class="boot">Loading entries…</p>`) : entries.nodes.length === 0
      ? html`<div class="panel empty"><p>${view.search || query.toString() ? 'No entry matches this search and these filters.' : 'This queue is empty.'}</p>
          ${query.toString() ? html`<p><a href=${`/queues/${type}`}>Clear the search and filters</a></p>` : html`<p class="muted">Claimants enter by enqueueUser, a callback, or the next repopulation.</p>`}</div>`
      : html`<div class="panel table-wrap"><table>
          <caption class="sr-only">${QUEUE_LABEL[type]} entries in claim order</caption>
          <thead><tr><th scope="col" class="num">#</th><th scope="col">Claimant</th><th scope="col" class="num">Priority</th><th scope="col">Status</th>
            <th scope="col">Claimable</th><th scope="col">Waiting</th><th scope="col">${type === 'OUTSTANDING_REQUESTS' ? 'Escalation · deadline' : 'Signature'}</th><th scope="col">Agent</th></tr></thead>
          <tbody>${entries.nodes.map((e, i) => html`<tr>
            <td class="num muted">${position + i + 1}</td>
            <td><a href=${`/claimants/${e.userId}`}>${name(e.claimant)}</a><br /><span class="muted small">#${e.userId} · ${clock(new Date().toISOString(), e.claimant?.timezone ?? 'UTC')} local</span></td>
            <td class="num"><strong>${e.priorityScore}</strong>${e.callbackScheduledFor ? html`<br /><span class="pill callback" title=${e.callbackScheduledFor}>callback ${relative(e.callbackScheduledFor)}</span>` : null}</td>
            <td><span class=${`pill ${e.status.toLowerCase()}`}>${words(e.status)}</span></td>
            <td title=${e.availableFrom}>${new Date(e.availableFrom) <= new Date() ? 'now' : relative(e.availableFrom)}</td>
            <td>${duration((Date.now() - Date.parse(e.enqueuedAt)) / 1000)}</td>
            <td>${type === 'OUTSTANDING_REQUESTS'
              ? html`<span class=${`pill level-${e.escalationLevel}`}>level ${e.escalationLevel}</span> ${e.documentDeadline ? relative(e.documentDeadline) : 'no deadline'}`
              : e.urgentSignature ? html`<span class="pill urgent">urgent</span> ${words(e.signatureType)}` : words(e.signatureType)}</td>
            <td>${e.assignedAgent ? e.assignedAgent.name : html`<span class="muted">—</span>`}</td>
          </tr>`)}</tbody></table></div>
        <nav class="pager" aria-label="Pages">
          <button type="button" disabled=${pages.length === 0} onClick=${() => { const prev = pages.slice(0, -1); setPages(prev); navigate(withQuery(`/queues/${type}`, { ...view, after: pages.at(-1) ?? '' })); }}>Previous page</button>
          <span class="muted">entries ${position + 1}–${position + entries.nodes.length}</span>
          <button type="button" disabled=${!entries.pageInfo.hasNextPage} onClick=${() => { setPages([...pages, view.after]); navigate(withQuery(`/queues/${type}`, { ...view, after: entries.pageInfo.endCursor })); }}>Next page</button>
        </nav>`}
  </section>`;
}
