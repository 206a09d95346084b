import { html, useEffect, useState } from '../lib.js';
import { gql } from '../api.js';
import { useResync, useSubscription } from '../live.js';
import { atLeast } from '../session.js';
import { Failure } from '../components/failure.js';
import { ScoreBars } from '../components/score-bars.js';
import { clock, duration, full, name, QUEUE_LABEL, relative, words } from '../format.js';

/*
 * One claimant: the facts, the live entry, why it ranks where it does (the score breakdown),
 * and its history — moves between queues, calls, callbacks, the conversion.
 */
export const CLAIMANT = `query Claimant($u: ID!) {
  claimant(userId: $u) {
    userId claimId firstName lastName phone timezone signatureStatus signatureMissingSince signatureType doNotCall convertedAt
    requirements { id requirementType status deadline receivedAt }
    score { currentScore isActive totalAttempts attemptsToday lastCallAt lastOutcome nextCallAfter }
    queueEntry {
      id queueType priorityScore status availableFrom enqueuedAt assignedAt leaseExpiresAt callbackScheduledFor callbackReason assignedAgent { name }
      ... on OutstandingRequestEntry { escalationLevel documentDeadline }
      ... on UnsignedUserEntry { urgentSignature }
    }
    transitions(first: 50) { id fromQueue toQueue reason actor at }
    callSessions(first: 50) { id callType status outcome startedAt endedAt overrideReason agent { name } }
    callbacks(first: 20) { id scheduledFor reason status claimantRequested agent { name } }
    conversion { conversionType convertedAt finalScore totalCallAttempts previousQueueType primaryAgent { name } }
  }
  scoreBreakdown(userId: $u) { total storedScore computedAt queueType components { name points detail } }
}`;

function Section({ id, title, children }) {
  return html`<section class="panel" aria-labelledby=${id}><h2 id=${id}>${title}</h2>${children}</section>`;
}

function Empty({ text }) {
  return html`<p class="empty">${text}</p>`;
}

function Facts({ c }) {
  const now = new Date().toISOString();
  return html`<dl class="facts wide">
    <div><dt>Phone</dt><dd>${c.phone ?? '—'}</dd></div>
    <div><dt>Their time</dt><dd>${clock(now, c.timezone)} <span class="muted small">(${c.timezone}) · yours ${clock(now, 'local')}</span></dd></div>
    <div><dt>Claim</dt><dd>${c.claimId}</dd></div>
    <div><dt>Signature</dt><dd>${words(c.signatureStatus)}${c.signatureMissingSince ? ` · missing ${relative(c.signatureMissingSince).replace(' ago', '')}` : ''}${c.signatureType ? ` · ${words(c.signatureType)}` : ''}</dd></div>
    <div><dt>Calls</dt><dd>${c.score ? `${c.score.totalAttempts} in all, ${c.score.attemptsToday} today${c.score.lastCallAt ? ` · last ${relative(c.score.lastCallAt)} (${words(c.score.lastOutcome)})` : ''}` : 'no score row'}</dd></div>
    <div><dt>Next call allowed</dt><dd>${c.score?.nextCallAfter && new Date(c.score.nextCallAfter) > new Date() ? `${relative(c.score.nextCallAfter)} (${clock(c.score.nextCallAfter, c.timezone)} theirs)` : 'now'}</dd></div>
  </dl>`;
}

function Entry({ e, timezone }) {
  if (!e) return html`<${Empty} text="Not in a queue now. A repopulation, enqueueUser or a callback puts the claimant back." />`;
  return html`<dl class="facts wide">
    <div><dt>Queue</dt><dd><a href=${`/queues/${e.queueType}`}>${QUEUE_LABEL[e.queueType]}</a></dd></div>
    <div><dt>Status</dt><dd><span class=${`pill ${e.status.toLowerCase()}`}>${words(e.status)}</span>${e.assignedAgent ? ` with ${e.assignedAgent.name} since ${relative(e.assignedAt)}` : ''}</dd></div>
    <div><dt>Priority</dt><dd><strong data-entry-priority>${e.priorityScore}</strong>${e.escalationLevel !== undefined ? ` · escalation ${e.escalationLevel}` : ''}${e.urgentSignature ? ' · urgent signature' : ''}</dd></div>
    <div><dt>Claimable</dt><dd>${new Date(e.availableFrom) <= new Date() ? 'now' : `${relative(e.availableFrom)} (${clock(e.availableFrom, timezone)} theirs)`}</dd></div>
    <div><dt>Waiting since</dt><dd title=${full(e.enqueuedAt)}>${relative(e.enqueuedAt)}</dd></div>
    ${e.callbackScheduledFor ? html`<div><dt>Callback</dt><dd>${relative(e.callbackScheduledFor)} · ${e.callbackReason}</dd></div>` : null}
  </dl>`;
}

function Table({ caption, head, rows, empty }) {
  if (rows.length === 0) return html`<${Empty} text=${empty} />`;
  return html`<div class="table-wrap"><table><caption class="sr-only">${caption}</caption>
    <thead><tr>${head.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
    <tbody>${rows.map((cells) => html`<tr>${cells.map((cell) => html`<td>${cell}</td>`)}</tr>`)}</tbody></table></div>`;
}

/** Write controls for keys that may use them (INTEGRATOR and above); the API checks again. */
function RemoveFromQueue({ userId, onDone }) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  async function submit(event) {
    event.preventDefault();
    setBusy(true);
    try {
      await gql('mutation($u: ID!, $r: String!) { removeFromQueue(userId: $u, reason: $r) { id } }', { u: userId, r: reason });
      setError(null);
      setReason('');
      onDone();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  return html`<form class="inline-form" onSubmit=${submit}>
    <label for="remove-reason">Reason for removing from the queue</label>
    <input id="remove-reason" value=${reason} onInput=${(e) => setReason(e.target.value)} required maxlength="500" />
    <button type="submit" data-write="remove-from-queue" disabled=${busy}>Remove from queue</button>
    ${error ? html`<p class="error" role="alert">${error.message}</p>` : null}
  </form>`;
}

/** Everything known about one claimant, section by section (the claimant page and the agent desk). */
export function ClaimantSections({ data, viewer, onChanged, compact = false }) {
  const c = data.claimant;
  const b = data.scoreBreakdown;
  return html`
    <div class="grid two">
      <${Section} id="facts" title="Facts"><${Facts} c=${c} /></${Section}>
      <${Section} id="entry" title="In the queue"><${Entry} e=${c.queueEntry} timezone=${c.timezone} />
        ${!compact && c.queueEntry && atLeast(viewer, 'INTEGRATOR') ? html`<${RemoveFromQueue} userId=${c.userId} onDone=${onChanged} />` : null}</${Section}>
    </div>
    <${Section} id="score" title="Why this claimant ranks where it does">
      ${b ? html`<${ScoreBars} breakdown=${b} />` : html`<${Empty} text="No score: the claimant has no score row yet." />`}
    </${Section}>
    <div class="grid two">
      <${Section} id="requirements" title="Requirements"><${Table} caption="Requirements" empty="No documents requested."
        head=${['Document', 'Status', 'Deadline', 'Received']}
        rows=${c.requirements.map((r) => [words(r.requirementType), words(r.status), r.deadline ? relative(r.deadline) : '—', r.receivedAt ? relative(r.receivedAt) : '—'])} /></${Section}>
      <${Section} id="callbacks" title="Callbacks"><${Table} caption="Callbacks" empty="No callback was ever promised."
        head=${['When', 'Status', 'Reason', 'Agent']}
        rows=${c.callbacks.map((cb) => [html`<span title=${full(cb.scheduledFor)}>${relative(cb.scheduledFor)}</span>`, words(cb.status) + (cb.claimantRequested ? ' · their time' : ''), cb.reason, cb.agent?.name ?? 'anyone'])} /></${Section}>
    </div>
    <${Section} id="calls" title="Calls"><${Table} caption="Calls" empty="Never called."
      head=${['Started', 'Type', 'Agent', 'Outcome', 'Length']}
      rows=${c.callSessions.map((s) => [html`<span title=${full(s.startedAt)}>${relative(s.startedAt)}</span>`, words(s.callType) + (s.overrideReason ? ` · override: ${s.overrideReason}` : ''), s.agent?.name ?? '—',
        s.status === 'ACTIVE' ? html`<span class="pill assigned">on the call</span>` : words(s.outcome), s.endedAt ? duration((Date.parse(s.endedAt) - Date.parse(s.startedAt)) / 1000) : '—'])} /></${Section}>
    <${Section} id="history" title="Moves between queues"><${Table} caption="Moves between queues" empty="No moves recorded."
      head=${['When', 'From', 'To', 'Why', 'By']}
      rows=${c.transitions.map((t) => [html`<span title=${full(t.at)}>${relative(t.at)}</span>`, t.fromQueue ? QUEUE_LABEL[t.fromQueue] : '—', t.toQueue ? QUEUE_LABEL[t.toQueue] : 'left the queues', t.reason, t.actor])} /></${Section}>
    ${c.conversion ? html`<${Section} id="conversion" title="Conversion"><dl class="facts wide">
      <div><dt>When</dt><dd>${full(c.conversion.convertedAt)}</dd></div>
      <div><dt>How</dt><dd>${words(c.conversion.conversionType)} from ${c.conversion.previousQueueType ? QUEUE_LABEL[c.conversion.previousQueueType] : '—'}</dd></div>
      <div><dt>Final score</dt><dd>${c.conversion.finalScore ?? '—'} after ${c.conversion.totalCallAttempts} calls</dd></div>
      <div><dt>Primary agent</dt><dd>${c.conversion.primaryAgent?.name ?? '—'}</dd></div></dl></${Section}>` : null}
`;
}

export function ClaimantPage({ userId, viewer }) {
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  async function load() {
    try {
      setData(await gql(CLAIMANT, { u: userId }));
      setError(null);
    } catch (e) {
      setError(e);
    }
  }
  useEffect(() => { setData(null); load(); }, [userId]);
  useResync(load);
  useSubscription('subscription { queueChanged { userId } }', {}, ({ queueChanged }) => {
    if (queueChanged.userId === null || queueChanged.userId === userId) load();
  }, [userId]);

  if (error && !data) return html`<${Failure} error=${error} retry=${load} />`;
  if (!data) return html`<p class="boot">Loading claimant ${userId}…</p>`;
  const c = data.claimant;
  if (!c) return html`<section class="panel empty"><h1>No claimant ${userId}</h1><p>Check the user id, or <a href="/queues/UNSIGNED_USERS">search a queue</a>.</p></section>`;
  return html`<div class="claimant">
    <header class="page-head">
      <h1>${name(c)} <span class="muted">#${c.userId}</span></h1>
      <p>${c.doNotCall ? html`<span class="pill removed">do not call</span> ` : null}${c.convertedAt ? html`<span class="pill completed">converted ${relative(c.convertedAt)}</span> ` : null}</p>
    </header>
    ${error ? html`<${Failure} error=${error} retry=${load} compact />` : null}
    <${ClaimantSections} data=${data} viewer=${viewer} onChanged=${load} />
  </div>`;
}
