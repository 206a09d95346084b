import { html, useEffect, useState } from '../lib.js';
import { gql } from '../api.js';
import { atLeast } from '../session.js';
import { ActionError, useAction } from '../components/action.js';
import { Failure } from '../components/failure.js';
import { clock, duration, QUEUE_LABEL, relative, words } from '../format.js';

/* Repopulation: the runs, "run now", and a dry run's diff before anything changes (ADMIN acts, VIEWER sees). */
const QUEUE_RESULT = 'queueType added removed kept reprioritised durationMs error';
const RUN = `id trigger status startedAt finishedAt added removed kept error queues { ${QUEUE_RESULT} sample { entering leaving reprioritised { userId from to } } }`;

function Diff({ run }) {
  return html`<section class="panel" aria-labelledby="diff"><h2 id="diff">Dry run: what a repopulation would change now</h2>
    <p class="muted">Nothing was changed. ${clock(run.startedAt, 'local')}.</p>
    <div class="grid two">${run.queues.map((q) => html`<div data-dry-run=${q.queueType}>
      <h3>${QUEUE_LABEL[q.queueType]}</h3>
      <p><strong data-dry="added">${q.added}</strong> enter · <strong data-dry="removed">${q.removed}</strong> leave · <strong data-dry="kept">${q.kept}</strong> stay · <strong data-dry="reprioritised">${q.reprioritised}</strong> move</p>
      ${q.sample ? html`<dl class="facts wide">
        <div><dt>Entering (first)</dt><dd>${q.sample.entering.map((u) => html`<a href=${`/claimants/${u}`}>#${u}</a> `)}${q.sample.entering.length ? '' : '—'}</dd></div>
        <div><dt>Leaving (first)</dt><dd>${q.sample.leaving.map((u) => html`<a href=${`/claimants/${u}`}>#${u}</a> `)}${q.sample.leaving.length ? '' : '—'}</dd></div>
        <div><dt>Moving most</dt><dd>${q.sample.reprioritised.map((m) => html`<span><a href=${`/claimants/${m.userId}`}>#${m.userId}</a> ${m.from} → ${m.to}; </span>`)}${q.sample.reprioritised.length ? '' : '—'}</dd></div>
      </dl>` : null}</div>`)}</div></section>`;
}

export function RepopulationPage({ viewer }) {
  const [runs, setRuns] = useState(null);
  const [error, setError] = useState(null);
  const [dry, setDry] = useState(null);
  const action = useAction();
  const load = () => gql(`{ populationRuns(last: 20) { ${RUN} } }`).then((d) => { setRuns(d.populationRuns); setError(null); }).catch(setError);
  useEffect(() => { load(); }, []);
  const admin = atLeast(viewer, 'ADMIN');
  async function run(dryRun) {
    const data = await action.run(`mutation($d: Boolean) { repopulateQueues(dryRun: $d) { ${RUN} } }`, { d: dryRun });
    if (!data) return;
    if (dryRun) setDry(data.repopulateQueues);
    else setDry(null);
    load();
  }
  if (error && !runs) return html`<${Failure} error=${error} retry=${load} />`;
  return html`<div class="repopulation">
    <header class="page-head"><h1>Repopulation</h1><p class="muted">Rebuilds each queue from the scores: the top claimants by the score policy now.</p></header>
    ${admin ? html`<section class="panel inline-form" aria-label="Run">
      <button type="button" data-write="dry-run" onClick=${() => run(true)} disabled=${action.busy}>Dry run (change nothing)</button>
      <button type="button" data-write="repopulate" onClick=${() => run(false)} disabled=${action.busy}>Run now</button>
      ${action.busy ? html`<span role="status">Working…</span>` : null}<${ActionError} error=${action.error} /></section>` : null}
    ${dry ? html`<${Diff} run=${dry} />` : null}
    <section class="panel" aria-labelledby="runs"><h2 id="runs">Runs</h2>
      ${!runs ? html`<p class="boot">Loading…</p>` : runs.length === 0 ? html`<p class="empty">No run yet: the job runs on REPOPULATE_CRON.</p>` : html`<table>
        <caption class="sr-only">Repopulation runs</caption>
        <thead><tr><th scope="col">Started</th><th scope="col">Trigger</th><th scope="col">Status</th><th scope="col" class="num">Entered</th><th scope="col" class="num">Left</th><th scope="col" class="num">Stayed</th><th scope="col" class="num">Took</th><th scope="col">Per queue</th></tr></thead>
        <tbody>${runs.map((r) => html`<tr><td title=${r.startedAt}>${relative(r.startedAt)}</td><td>${words(r.trigger)}</td><td><span class=${`pill ${r.status === 'SUCCEEDED' ? 'completed' : r.status === 'FAILED' ? 'removed' : 'assigned'}`}>${words(r.status)}</span>${r.error ? html` <span class="error">${r.error}</span>` : null}</td>
          <td class="num">${r.added}</td><td class="num">${r.removed}</td><td class="num">${r.kept}</td>
          <td class="num">${r.finishedAt ? duration((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000) : '—'}</td>
          <td class="small">${r.queues.map((q) => `${QUEUE_LABEL[q.queueType]}: +${q.added} −${q.removed} ~${q.reprioritised}`).join(' · ')}</td></tr>`)}</tbody></table>`}
    </section></div>`;
}
