import { html, useEffect, useMemo, useState } from '../lib.js';
import { useThrottled } from '../hooks.js';
import { gql } from '../api.js';
import { useResync, useSubscription } from '../live.js';
import { Chart } from '../components/chart.js';
import { Failure } from '../components/failure.js';
import { clock, count, duration, name, QUEUE_LABEL, QUEUES, relative, words } from '../format.js';
import { DUE_CALLBACKS, WALLBOARD, WALLBOARD_SUBSCRIPTIONS } from '../documents.js';

/*
 * The wallboard: what a supervisor leaves on a wall screen. Read once, then kept current by
 * subscriptions (queue figures, lines and agents as snapshots, conversions as events; the
 * callbacks due re-read now and then while work goes on); re-read in full after a gap in the
 * live feed.
 */
function windowVariables() {
  const now = Date.now();
  const dayStart = new Date();
  dayStart.setHours(0, 0, 0, 0);
  // Overdue callbacks still count until they are missed: from two hours back to one ahead.
  return { dayStart: dayStart.toISOString(), dueFrom: new Date(now - 2 * 3_600_000).toISOString(), dueTo: new Date(now + 3_600_000).toISOString() };
}

function Metric({ id, value, label, hint }) {
  return html`<div class="metric"><strong data-metric=${id}>${value}</strong><span>${label}</span>${hint ? html`<small>${hint}</small>` : null}</div>`;
}

function QueueCard({ queue }) {
  return html`<section class="panel queue-card" aria-labelledby=${`q-${queue.type}`}>
    <h2 id=${`q-${queue.type}`}><a href=${`/queues/${queue.type}`}>${QUEUE_LABEL[queue.type]}</a></h2>
    <div class="metrics">
      <div class="metric big"><strong data-metric=${`queue-depth:${queue.type}`}>${queue.depth}</strong><span>waiting</span></div>
      <${Metric} id=${`queue-available:${queue.type}`} value=${queue.availableNow} label="claimable now" />
      <div class="metric"><strong data-metric=${`queue-assigned:${queue.type}`}>${queue.assignedCount}</strong><span>with agents</span></div>
    </div>
    <dl class="facts">
      <div><dt>Oldest waiting</dt><dd title=${queue.oldestPendingSince ?? ''}>${queue.oldestPendingSince ? `since ${relative(queue.oldestPendingSince).replace(' ago', '')}` : 'nobody waiting'}</dd></div>
      <div><dt>Average wait</dt><dd>${duration(queue.averageWaitSeconds)}</dd></div>
    </dl>
  </section>`;
}

function LinesCard({ lines }) {
  const queued = lines.queuedDirect + lines.queuedCampaign;
  return html`<section class="panel" aria-labelledby="lines-title">
    <h2 id="lines-title">Lines</h2>
    <div class="metrics">
      <div class="metric big"><span class="ratio"><strong data-metric="lines-active">${lines.active}</strong> / <strong data-metric="lines-limit">${lines.limit}</strong></span><span>in use</span></div>
      <div class="metric"><strong data-metric="lines-queued">${queued}</strong><span>calls waiting</span></div>
    </div>
    <dl class="facts">
      <div><dt>Direct waiting</dt><dd>${lines.queuedDirect} · next wait ${duration(lines.estimatedDirectWaitSeconds)}</dd></div>
      <div><dt>Campaign waiting</dt><dd>${lines.queuedCampaign} · next wait ${duration(lines.estimatedCampaignWaitSeconds)}</dd></div>
    </dl>
  </section>`;
}

function Agents({ agents }) {
  if (agents.length === 0) return html`<p class="empty">No active agents. Agents are added to the database by the claims platform.</p>`;
  return html`<table><caption class="sr-only">Agents</caption>
    <thead><tr><th scope="col">Agent</th><th scope="col">Status</th><th scope="col">Current claimant</th><th scope="col" class="num">Calls today</th><th scope="col" class="num">Talk time</th></tr></thead>
    <tbody>${agents.map((a) => html`<tr>
      <td>${a.name}</td>
      <td><span class=${`pill ${a.status.toLowerCase()}`}>${words(a.status)}</span></td>
      <td>${a.workload.currentEntry ? html`<a href=${`/claimants/${a.workload.currentEntry.userId}`}>${name(a.workload.currentEntry.claimant)}</a>` : html`<span class="muted">—</span>`}</td>
      <td class="num">${a.workload.callsToday}</td>
      <td class="num">${duration(a.workload.talkTimeSecondsToday)}</td>
    </tr>`)}</tbody></table>`;
}

function Callbacks({ callbacks }) {
  if (callbacks.length === 0) return html`<p class="empty">No callback due in the next hour.</p>`;
  return html`<ul class="list">${callbacks.map((c) => html`<li>
    <span class=${new Date(c.scheduledFor) < new Date() ? 'when overdue' : 'when'} title=${c.scheduledFor}>${relative(c.scheduledFor)}</span>
    <a href=${`/claimants/${c.userId}`}>${name(c.claimant)}</a>
    <span class="muted">${clock(c.scheduledFor, 'local')} yours · ${clock(c.scheduledFor, c.claimant?.timezone ?? 'UTC')} theirs${c.agent ? ` · ${c.agent.name}` : ''}</span>
  </li>`)}</ul>`;
}

/** The depth chart's series from the per-minute samples, with the live figure as the newest point. */
function depthSeries(history, queues) {
  const minutes = [...new Set(history.map((s) => s.at))].sort();
  const at = new Map(history.map((s) => [`${s.at}|${s.queueType}`, s.depth]));
  const times = minutes.map((m) => Date.parse(m) / 1000);
  const columns = QUEUES.map((q) => minutes.map((m) => at.get(`${m}|${q}`) ?? null));
  const now = Math.floor(Date.now() / 60_000) * 60;
  if (times.at(-1) !== now) {
    times.push(now);
    columns.forEach((c) => c.push(null));
  }
  QUEUES.forEach((q, i) => { columns[i][columns[i].length - 1] = queues.find((x) => x.type === q)?.depth ?? null; });
  return [times, ...columns];
}

export function Wallboard() {
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);

  async function load() {
    try {
      setData(await gql(WALLBOARD, windowVariables()));
      setError(null);
    } catch (e) {
      setError(e);
    }
  }
  // Callbacks due change rarely (a callback scheduled, made or missed): re-read at most every
  // 15 s while the agents' snapshots show work going on.
  const reloadCallbacks = useThrottled(async () => {
    try {
      const { callbacks } = await gql(DUE_CALLBACKS, windowVariables());
      setData((d) => d && { ...d, callbacks });
    } catch (e) {
      setError(e);
    }
  }, 15_000);
  useEffect(() => { load(); }, []);
  useResync(load);

  const [queueStats, lines, agents, conversions] = WALLBOARD_SUBSCRIPTIONS;
  for (const type of QUEUES) {
    useSubscription(queueStats.query, { t: type }, ({ queueStats: stats }) =>
      setData((d) => d && { ...d, queues: d.queues.map((q) => (q.type === stats.type ? stats : q)) }));
  }
  useSubscription(lines.query, {}, ({ lineStatusChanged }) => setData((d) => d && { ...d, lineStatus: lineStatusChanged }));
  useSubscription(agents.query, {}, ({ agentsChanged }) => {
    setData((d) => d && { ...d, agents: agentsChanged });
    reloadCallbacks();
  });
  useSubscription(conversions.query, {}, ({ conversionRecorded }) => setData((d) => {
    if (!d) return d;
    const bucket = Math.floor(Date.parse(conversionRecorded.convertedAt) / 300_000) * 300_000;
    const activity = d.activity.map((b) => (Date.parse(b.from) === bucket ? { ...b, conversions: b.conversions + 1 } : b));
    return { ...d, activity, conversionStats: { total: d.conversionStats.total + 1 } };
  }));

  const depth = useMemo(() => (data ? depthSeries(data.queueHistory, data.queues) : null), [data?.queueHistory, data?.queues]);
  const activity = useMemo(() => (data ? [data.activity.map((b) => Date.parse(b.from) / 1000), data.activity.map((b) => b.claims), data.activity.map((b) => b.conversions)] : null), [data?.activity]);

  if (error && !data) return html`<${Failure} error=${error} retry=${load} />`;
  if (!data) return html`<p class="boot">Loading the wallboard…</p>`;
  const totals = data.activity.reduce((t, b) => ({ claims: t.claims + b.claims, conversions: t.conversions + b.conversions }), { claims: 0, conversions: 0 });
  return html`<div class="wallboard">
    <h1 class="sr-only">Wallboard</h1>
    ${error ? html`<${Failure} error=${error} retry=${load} compact />` : null}
    <div class="grid cards">
      ${data.queues.map((q) => html`<${QueueCard} queue=${q} />`)}
      <${LinesCard} lines=${data.lineStatus} />
      <section class="panel" aria-labelledby="conv-title">
        <h2 id="conv-title">Conversions</h2>
        <div class="metrics"><div class="metric big"><strong data-metric="conversions-today">${data.conversionStats.total}</strong><span>today</span></div>
          <${Metric} id="claims-24h" value=${count(totals.claims)} label="claims, 24 h" /></div>
      </section>
    </div>
    <div class="grid charts">
      <section class="panel"><${Chart} title="Waiting per queue, last 24 hours" data=${depth}
        summary=${`Queue depth over the last 24 hours; now ${data.queues.map((q) => `${QUEUE_LABEL[q.type]} ${q.depth}`).join(', ')}`}
        series=${[{ label: QUEUE_LABEL.UNSIGNED_USERS, color: '#2563eb' }, { label: QUEUE_LABEL.OUTSTANDING_REQUESTS, color: '#d97706' }]} /></section>
      <section class="panel"><${Chart} title="Claims and conversions per 5 minutes, last 24 hours" data=${activity} bars
        summary=${`${totals.claims} claims and ${totals.conversions} conversions in the last 24 hours`}
        series=${[{ label: 'Claims', color: '#64748b' }, { label: 'Conversions', color: '#16a34a' }]} /></section>
    </div>
    <div class="grid two">
      <section class="panel" aria-labelledby="agents-title"><h2 id="agents-title">Agents</h2><${Agents} agents=${data.agents} /></section>
      <section class="panel" aria-labelledby="due-title"><h2 id="due-title">Callbacks due in the next hour</h2><${Callbacks} callbacks=${data.callbacks.nodes} /></section>
    </div>
  </div>`;
}
