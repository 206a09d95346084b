import { html, useEffect, useState } from '../lib.js';
import { gql } from '../api.js';
import { useSubscription } from '../live.js';
import { atLeast } from '../session.js';
import { ActionError, useAction } from '../components/action.js';
import { duration, name, QUEUE_LABEL, words } from '../format.js';

/* The lines: in use and waiting, live (lineStatusChanged carries the lists), and the campaigns. */
const LINES = `limit active available queuedDirect queuedCampaign estimatedDirectWaitSeconds estimatedCampaignWaitSeconds
  sessions { id callType startedAt overrideReason agent { name } claimant { userId firstName lastName } }
  queue { id callType position estimatedWaitSeconds createdAt agent { name } claimant { userId firstName lastName } }`;

function Campaigns({ viewer }) {
  const [campaigns, setCampaigns] = useState(null);
  const action = useAction();
  const load = () => gql('{ campaigns { id name queueType status } }').then((d) => setCampaigns(d.campaigns)).catch(() => setCampaigns([]));
  useEffect(() => { load(); }, []);
  const admin = atLeast(viewer, 'ADMIN');
  async function set(id, status) {
    if (await action.run('mutation($id: ID!, $s: CampaignStatus!) { setCampaignStatus(id: $id, status: $s) { id } }', { id, s: status })) load();
  }
  if (!campaigns) return html`<p class="boot">Loading campaigns…</p>`;
  if (campaigns.length === 0) return html`<p class="empty">No campaign yet (createCampaign).</p>`;
  return html`<table><caption class="sr-only">Campaigns</caption>
    <thead><tr><th scope="col">Campaign</th><th scope="col">Queue</th><th scope="col">Status</th>${admin ? html`<th scope="col">Action</th>` : null}</tr></thead>
    <tbody>${campaigns.map((c) => html`<tr><td>${c.name}</td><td>${QUEUE_LABEL[c.queueType]}</td><td><span class=${`pill ${c.status.toLowerCase()}`}>${words(c.status)}</span></td>
      ${admin ? html`<td><button type="button" class="quiet" data-write="campaign" disabled=${action.busy}
        onClick=${() => set(c.id, c.status === 'ACTIVE' ? 'PAUSED' : 'ACTIVE')}>${c.status === 'ACTIVE' ? `Pause ${c.name}` : `Resume ${c.name}`}</button></td>` : null}</tr>`)}</tbody></table>
    <${ActionError} error=${action.error} />`;
}

export function LinesPage({ viewer }) {
  const [lines, setLines] = useState(null);
  useSubscription(`subscription { lineStatusChanged { ${LINES} } }`, {}, ({ lineStatusChanged }) => setLines(lineStatusChanged));
  useEffect(() => { gql(`{ lineStatus { ${LINES} } }`).then((d) => setLines((l) => l ?? d.lineStatus)).catch(() => {}); }, []);
  if (!lines) return html`<p class="boot">Loading the lines…</p>`;
  const now = Date.now();
  return html`<div class="lines-page">
    <h1>Lines</h1>
    <div class="grid cards">
      <section class="panel"><h2>In use</h2><div class="metrics"><div class="metric big"><span class="ratio"><strong data-metric="lines-active">${lines.active}</strong> / <strong data-metric="lines-limit">${lines.limit}</strong></span><span>lines</span></div></div></section>
      <section class="panel"><h2>Waiting</h2><div class="metrics"><div class="metric big"><strong data-metric="lines-queued">${lines.queuedDirect + lines.queuedCampaign}</strong><span>calls</span></div>
        <div class="metric"><strong>${duration(lines.estimatedDirectWaitSeconds)}</strong><span>next direct wait</span></div></div></section>
    </div>
    <div class="grid two">
      <section class="panel" aria-labelledby="active-calls"><h2 id="active-calls">Calls on the lines</h2>
        ${lines.sessions.length === 0 ? html`<p class="empty">No call on the lines.</p>` : html`<table><caption class="sr-only">Active calls</caption>
          <thead><tr><th scope="col">Agent</th><th scope="col">Claimant</th><th scope="col">Type</th><th scope="col" class="num">For</th></tr></thead>
          <tbody>${lines.sessions.map((s) => html`<tr><td>${s.agent?.name ?? '—'}</td><td><a href=${`/claimants/${s.claimant?.userId}`}>${name(s.claimant)}</a></td>
            <td>${words(s.callType)}${s.overrideReason ? ' · override' : ''}</td><td class="num">${duration((now - Date.parse(s.startedAt)) / 1000)}</td></tr>`)}</tbody></table>`}
      </section>
      <section class="panel" aria-labelledby="queued-calls"><h2 id="queued-calls">Waiting for a line, in dispatch order</h2>
        ${lines.queue.length === 0 ? html`<p class="empty">Nobody waits for a line.</p>` : html`<table><caption class="sr-only">Queued call requests</caption>
          <thead><tr><th scope="col" class="num">#</th><th scope="col">Claimant</th><th scope="col">Agent</th><th scope="col">Type</th><th scope="col" class="num">Estimate</th></tr></thead>
          <tbody>${lines.queue.map((r) => html`<tr><td class="num">${r.position}</td><td><a href=${`/claimants/${r.claimant?.userId}`}>${name(r.claimant)}</a></td>
            <td>${r.agent?.name ?? '—'}</td><td>${words(r.callType)}</td><td class="num">${duration(r.estimatedWaitSeconds)}</td></tr>`)}</tbody></table>`}
      </section>
    </div>
    <section class="panel" aria-labelledby="campaigns"><h2 id="campaigns">Campaigns</h2><${Campaigns} viewer=${viewer} /></section>
  </div>`;
}
