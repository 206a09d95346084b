import { html, useEffect, useRef, useState } from '../lib.js';
import { gql } from '../api.js';
import { useResync, useSubscription } from '../live.js';
import { navigate } from '../router.js';
import { atLeast } from '../session.js';
import { ActionError, NotAllowed, useAction } from '../components/action.js';
import { Failure } from '../components/failure.js';
import { clock, duration, name, QUEUE_LABEL, QUEUES, words } from '../format.js';
import { CLAIMANT, ClaimantSections } from './claimant.js';

/*
 * The agent desk: claim the next claimant, see everything about them, call, record the outcome,
 * promise a callback. An AGENT key works as its own agent; an ADMIN picks one (?agent=ID). The
 * desk renews the assignment's lease while the claimant is open.
 */
const OUTCOMES = ['ANSWERED', 'NO_ANSWER', 'BUSY', 'VOICEMAIL', 'WRONG_NUMBER', 'CALLBACK_REQUESTED', 'REFUSED', 'CONVERTED', 'FAILED'];
const SHORTCUTS = { u: 'claim-next:UNSIGNED_USERS', o: 'claim-next:OUTSTANDING_REQUESTS', a: 'outcome:ANSWERED', n: 'outcome:NO_ANSWER', b: 'outcome:BUSY', v: 'outcome:VOICEMAIL' };
const KEY_OF = Object.fromEntries(Object.entries(SHORTCUTS).map(([k, a]) => [a, k]));
const RENEW_EVERY_MS = 60_000;

const DESK = `query Desk($a: ID!) { agent(id: $a) { id name status workload { callsToday talkTimeSecondsToday
  currentEntry { id userId queueType leaseExpiresAt } } } }`;
const REQUEST_FIELDS = 'id status position estimatedWaitSeconds closedReason session { id startedAt }';

function AgentPicker({ agentId }) {
  const [agents, setAgents] = useState([]);
  useEffect(() => { gql('{ agents { id name } }').then((d) => setAgents(d.agents)).catch(() => {}); }, []);
  return html`<div class="field"><label for="agent-pick">Work as agent</label>
    <select id="agent-pick" value=${agentId ?? ''} onChange=${(e) => navigate(`/agent?agent=${e.target.value}`)}>
      <option value="">Choose an agent…</option>
      ${agents.map((a) => html`<option value=${a.id}>${a.name} (#${a.id})</option>`)}
    </select></div>`;
}

/** A call on the desk: start it, follow it while it waits for a line, end it with the outcome buttons. */
function CallControls({ userId, agentId, call, setCall, onStarted }) {
  const action = useAction();
  const [override, setOverride] = useState('');
  useSubscription(`subscription($id: ID!) { callRequestUpdated(id: $id) { ${REQUEST_FIELDS} } }`, { id: call?.request?.id }, ({ callRequestUpdated: r }) => {
    if (r.status === 'DISPATCHED') { setCall({ session: r.session }); onStarted(); }
    else if (r.status === 'QUEUED') setCall({ request: r });
    else setCall({ closed: r });
  }, [call?.request?.id], Boolean(call?.request?.id));
  async function start() {
    const data = await action.run(`mutation($i: InitiateCallInput!) { initiateCall(input: $i) { status session { id startedAt } request { ${REQUEST_FIELDS} } } }`,
      { i: { userId, agentId, callType: 'DIRECT', ...(override.trim() ? { overrideReason: override.trim() } : {}) } });
    if (!data) return;
    const r = data.initiateCall;
    setCall(r.status === 'STARTED' ? { session: r.session } : { request: r.request });
    if (r.status === 'STARTED') onStarted(); // the claimant's calls now show it
  }
  async function cancel() {
    if (await action.run(`mutation($id: ID!) { cancelCallRequest(id: $id) { id } }`, { id: call.request.id })) setCall(null);
  }
  if (call?.session) return html`<p class="call live" data-call="started" role="status">On the call since ${clock(call.session.startedAt, 'local')} — end it with an outcome below.</p>`;
  if (call?.request) {
    return html`<div class="call" data-call="queued" role="status">
      <p><strong>Queued</strong> for a line: position <strong data-call-position>${call.request.position}</strong>, about ${duration(call.request.estimatedWaitSeconds)}.</p>
      <button type="button" class="quiet" onClick=${cancel} disabled=${action.busy}>Cancel the call</button><${ActionError} error=${action.error} /></div>`;
  }
  return html`<div class="call">
    ${call?.closed ? html`<p class="notice">The call request ended: ${words(call.closed.status)}${call.closed.closedReason ? ` — ${call.closed.closedReason}` : ''}.</p>` : null}
    <button type="button" data-write="start-call" onClick=${start} disabled=${action.busy}>Start call</button>
    <label for="override">Override reason (outside the contact policy)</label>
    <input id="override" value=${override} onInput=${(e) => setOverride(e.target.value)} placeholder="e.g. the claimant asked to be called now" />
    <${ActionError} error=${action.error} /></div>`;
}

function CallbackForm({ userId, agentId, timezone, onDone }) {
  const action = useAction();
  const [when, setWhen] = useState('');
  const [reason, setReason] = useState('');
  const [asked, setAsked] = useState(false);
  const local = (d) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  const min = local(new Date(Date.now() + 60_000));
  const max = local(new Date(Date.now() + 30 * 86_400_000));
  const at = when ? new Date(when) : null;
  async function submit(event) {
    event.preventDefault();
    const ok = await action.run(`mutation($i: CallbackInput!) { scheduleCallback(input: $i) { callback { id } } }`,
      { i: { userId, agentId, scheduledFor: at.toISOString(), reason, claimantRequested: asked } });
    if (ok) { setWhen(''); setReason(''); onDone(); }
  }
  return html`<form class="inline-form" onSubmit=${submit} aria-label="Schedule a callback">
    <label for="cb-when">Callback at (your time)</label>
    <input id="cb-when" type="datetime-local" required min=${min} max=${max} value=${when} onInput=${(e) => setWhen(e.target.value)} />
    ${at ? html`<span class="muted small">${clock(at.toISOString(), timezone)} their time (${timezone})</span>` : null}
    <label for="cb-reason">Reason</label>
    <input id="cb-reason" required maxlength="500" value=${reason} onInput=${(e) => setReason(e.target.value)} />
    <label class="check"><input type="checkbox" checked=${asked} onChange=${(e) => setAsked(e.target.checked)} /> The claimant asked for this time</label>
    <button type="submit" data-write="schedule-callback" disabled=${action.busy}>Schedule callback</button>
    <${ActionError} error=${action.error} /></form>`;
}

export function AgentDesk({ viewer, query }) {
  if (!atLeast(viewer, 'AGENT')) return html`<${NotAllowed} what="The agent desk" needs="AGENT or ADMIN" />`;
  return html`<${Desk} viewer=${viewer} query=${query} />`;
}

function Desk({ viewer, query }) {
  const agentId = viewer.role === 'AGENT' ? String(viewer.agentId) : query.get('agent');
  const [desk, setDesk] = useState(null);
  const [claimant, setClaimant] = useState(null);
  const [error, setError] = useState(null);
  const [empty, setEmpty] = useState(null);
  const [call, setCall] = useState(null);
  const [due, setDue] = useState([]);
  const [notes, setNotes] = useState('');
  const [dnc, setDnc] = useState(false);
  const action = useAction();
  const entry = desk?.agent?.workload.currentEntry ?? null;

  async function load() {
    if (!agentId) return;
    try {
      const d = await gql(DESK, { a: agentId });
      setDesk(d);
      const current = d.agent?.workload.currentEntry;
      setClaimant(current ? await gql(CLAIMANT, { u: String(current.userId) }) : null);
      setError(null);
    } catch (e) {
      setError(e);
    }
  }
  useEffect(() => { setCall(null); load(); }, [agentId]);
  useResync(load);
  useSubscription('subscription($a: ID) { callbackDue(agentId: $a) { id userId scheduledFor reason claimant { firstName lastName userId } } }',
    { a: agentId }, ({ callbackDue }) => setDue((list) => [callbackDue, ...list].slice(0, 5)), [agentId]);
  // The lease: renewed while the claimant is open on this desk.
  const timer = useRef(null);
  useEffect(() => {
    clearInterval(timer.current);
    if (entry) timer.current = setInterval(() => { gql('mutation($e: ID!) { renewAssignment(entryId: $e) { id } }', { e: entry.id }).catch(() => load()); }, RENEW_EVERY_MS);
    return () => clearInterval(timer.current);
  }, [entry?.id]);

  async function claim(queueType) {
    setEmpty(null);
    const data = await action.run(`mutation($a: ID!, $q: QueueType!) { assignNextUser(agentId: $a, queueType: $q) { id } }`, { a: agentId, q: queueType });
    if (!data) return;
    if (!data.assignNextUser) {
      const { queueDiagnostics: d } = await gql(`query($q: QueueType!) { queueDiagnostics(queueType: $q) { pending claimableNow nextClaimableAt notClaimable { reason count } } }`, { q: queueType });
      setEmpty({ queueType, ...d });
    }
    setCall(null);
    await load();
  }
  async function outcome(value) {
    if (!entry) return;
    const ok = call?.session
      ? await action.run(`mutation($s: ID!, $o: CallOutcome!) { endCall(sessionId: $s, outcome: $o) { id } }`, { s: call.session.id, o: value })
      : await action.run(`mutation($i: CallOutcomeInput!) { recordCallOutcome(input: $i) { entry { id } } }`,
        { i: { entryId: entry.id, outcome: value, doNotCall: dnc, ...(notes.trim() ? { notes: notes.trim() } : {}) } });
    if (ok) { setCall(null); setNotes(''); setDnc(false); await load(); }
  }
  // Keyboard: the shortcuts of the buttons, unless typing in a field.
  useEffect(() => {
    const onKey = (e) => {
      if (e.ctrlKey || e.metaKey || e.altKey || /INPUT|TEXTAREA|SELECT/.test(e.target.tagName)) return;
      const target = SHORTCUTS[e.key];
      const button = target && document.querySelector(`[data-action="${target}"]:not([disabled])`);
      if (button) { e.preventDefault(); button.click(); }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);

  if (error && !desk) return html`<${Failure} error=${error} retry=${load} />`;
  const c = claimant?.claimant;
  return html`<div class="desk">
    <header class="page-head"><h1>Agent desk${desk?.agent ? ` — ${desk.agent.name}` : ''}</h1>
      ${viewer.role === 'ADMIN' ? html`<${AgentPicker} agentId=${agentId} />` : null}
      ${desk?.agent ? html`<p class="muted">${desk.agent.workload.callsToday} call${desk.agent.workload.callsToday === 1 ? '' : 's'} today · ${duration(desk.agent.workload.talkTimeSecondsToday)} talking</p>` : null}</header>
    ${!agentId ? html`<p class="panel empty">Choose the agent to work as.</p>` : html`
    ${due.length ? html`<div class="notice" role="alert"><strong>Callback due:</strong> ${due.map((d) => html` <a href=${`/claimants/${d.userId}`}>${name(d.claimant)}</a> (${clock(d.scheduledFor, 'local')}: ${d.reason})`)}</div>` : null}
    <section class="panel claim-bar" aria-label="Claim">
      ${QUEUES.map((q) => html`<button type="button" data-action=${`claim-next:${q}`} aria-keyshortcuts=${KEY_OF[`claim-next:${q}`]} disabled=${action.busy || entry !== null}
        onClick=${() => claim(q)}>Claim next — ${QUEUE_LABEL[q]} <kbd>${KEY_OF[`claim-next:${q}`]}</kbd></button>`)}
      <span class="muted">Holding: <strong data-metric="agent-current-user">${entry ? entry.userId : ''}</strong></span>
      ${entry?.leaseExpiresAt ? html`<span class="muted small">lease until ${clock(entry.leaseExpiresAt, 'local')} (renewed while open)</span>` : null}
      <${ActionError} error=${action.error} />
      ${empty ? html`<p class="notice" role="status">Nobody was handed out from ${QUEUE_LABEL[empty.queueType]}: ${empty.pending} waiting, ${empty.claimableNow} claimable now${
        empty.claimableNow > 0 ? ' (the claim passed over the ones it deferred: claim again)' : ''}; not now: ${empty.notClaimable.map((r) => `${r.count} ${r.reason}`).join(', ') || 'none'}${
        empty.nextClaimableAt && empty.claimableNow === 0 ? `; next at ${clock(empty.nextClaimableAt, 'local')}` : ''}.</p>` : null}
    </section>
    ${c ? html`
      <section class="panel" aria-labelledby="on-desk"><h2 id="on-desk">${name(c)} <span class="muted">#${c.userId} · ${c.phone ?? 'no phone'} · ${clock(new Date().toISOString(), c.timezone)} their time</span></h2>
        <${CallControls} userId=${String(c.userId)} agentId=${agentId} call=${call} setCall=${setCall} onStarted=${load} />
        <div class="outcomes" role="group" aria-label="Outcome of the call">
          ${OUTCOMES.map((o) => html`<button type="button" class=${o === 'ANSWERED' || o === 'CONVERTED' ? '' : 'quiet'} data-action=${`outcome:${o}`}
            aria-keyshortcuts=${KEY_OF[`outcome:${o}`]} disabled=${action.busy} onClick=${() => outcome(o)}>${words(o)}${KEY_OF[`outcome:${o}`] ? html` <kbd>${KEY_OF[`outcome:${o}`]}</kbd>` : null}</button>`)}
        </div>
        <div class="inline-form">
          <label class="check"><input type="checkbox" checked=${dnc} onChange=${(e) => setDnc(e.target.checked)} /> The claimant asked not to be called again</label>
          <label for="notes">Notes</label><textarea id="notes" maxlength="2000" value=${notes} onInput=${(e) => setNotes(e.target.value)}></textarea>
        </div>
        <${CallbackForm} userId=${String(c.userId)} agentId=${agentId} timezone=${c.timezone} onDone=${load} />
      </section>
      <${ClaimantSections} data=${claimant} viewer=${viewer} onChanged=${load} compact />`
    : html`<p class="panel empty">No claimant on the desk. Claim the next one (<kbd>u</kbd> unsigned, <kbd>o</kbd> outstanding).</p>`}`}
  </div>`;
}
