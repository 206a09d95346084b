import { html, useEffect, useState } from '../lib.js';
import { gql } from '../api.js';
import { useResync, useSubscription } from '../live.js';
import { atLeast } from '../session.js';
import { ActionError, NotAllowed, useAction } from '../components/action.js';
import { Failure } from '../components/failure.js';
import { count, relative, words } from '../format.js';

/*
 * The migration console (ADMIN): a company on the legacy call_queue taken through the phases —
 * preview, apply (followed live), validate, next phase — and rolled back with a reason. Every
 * step is the API's; its refusals are shown as the API words them.
 */
const PHASES = ['PRE_MIGRATION', 'DUAL_WRITE', 'BACKFILLED', 'READ_NEW', 'NEW_ONLY', 'LEGACY_DEPRECATED'];
const RUN = 'id kind status totalRows processedRows progress startedAt finishedAt error actor';
const STATUS = `migrationStatus { phase changedAt changedBy reason nextPhase blockers readFallbacks
  flags { writesLegacy writesSeparated readsFrom fallbackToLegacy legacyReadOnly }
  counts { queueType legacyRows legacyLive separatedRows separatedLive }
  history(last: 20) { from to actor reason at } lastRuns(last: 5) { ${RUN} } }`;

function Stepper({ status }) {
  const at = PHASES.indexOf(status.phase);
  return html`<ol class="stepper" aria-label="Migration phases">${PHASES.map((p, i) => html`<li class=${i < at ? 'done' : i === at ? 'current' : ''}
    aria-current=${i === at ? 'step' : undefined}>${words(p)}</li>`)}</ol>
    <p>Phase <strong data-metric="migration-phase">${status.phase}</strong> since ${relative(status.changedAt)} (${status.changedBy}${status.reason ? `: ${status.reason}` : ''}).
      Writes go to ${[status.flags.writesLegacy ? 'call_queue' : null, status.flags.writesSeparated ? 'the separated queues' : null].filter(Boolean).join(' and ')};
      reads come from ${status.flags.readsFrom === 'LEGACY' ? 'call_queue' : 'the separated queues'}${status.flags.fallbackToLegacy ? ' (falling back to call_queue)' : ''}${status.flags.legacyReadOnly ? '; call_queue is read-only' : ''}.</p>`;
}

function Preview({ preview }) {
  return html`<section class="panel" aria-labelledby="preview-title"><h2 id="preview-title">Preview (nothing changed)</h2>
    <p>${count(preview.legacyRows)} legacy rows; ${preview.callbacksToConvert} callbacks to convert; ${preview.conflictCount} conflicts.</p>
    <table><caption class="sr-only">Per target</caption><thead><tr><th scope="col">Target</th><th scope="col" class="num">Insert</th><th scope="col" class="num">Update</th><th scope="col" class="num">Unchanged</th></tr></thead>
      <tbody>${preview.byTarget.map((t) => html`<tr><td>${t.table}</td><td class="num">${t.toInsert}</td><td class="num">${t.toUpdate}</td><td class="num">${t.unchanged}</td></tr>`)}</tbody></table>
    ${preview.conflicts.length ? html`<h3>Conflicts and their resolutions</h3><ul>${preview.conflicts.map((c) => html`<li>${words(c.kind)} — claimant #${c.userId}: ${c.resolution}</li>`)}</ul>` : null}
  </section>`;
}

export function MigrationPage({ viewer }) {
  if (!atLeast(viewer, 'ADMIN')) return html`<${NotAllowed} what="The legacy migration" needs="ADMIN" />`;
  return html`<${Migration} />`;
}

function Migration() {
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const [preview, setPreview] = useState(null);
  const [validation, setValidation] = useState(null);
  const [run, setRun] = useState(null);
  const [reason, setReason] = useState('');
  const [rollbackReason, setRollbackReason] = useState('');
  const action = useAction();
  async function load() {
    try {
      const d = await gql(`{ ${STATUS} }`);
      setData(d.migrationStatus);
      // A running apply is found again after a reload.
      const running = d.migrationStatus.lastRuns.find((r) => r.kind === 'APPLY' && r.status === 'RUNNING');
      if (running) setRun(running);
      setError(null);
    } catch (e) {
      setError(e);
    }
  }
  useEffect(() => { load(); }, []);
  useResync(load);
  useSubscription(`subscription($id: ID!) { migrationProgress(runId: $id) { ${RUN} } }`, { id: run?.id }, ({ migrationProgress }) => {
    setRun(migrationProgress);
    if (migrationProgress.status !== 'RUNNING') load();
  }, [run?.id], run?.status === 'RUNNING');

  const step = async (query, variables, then) => {
    const result = await action.run(query, variables);
    if (result) { await then?.(result); await load(); }
  };
  if (error && !data) return html`<${Failure} error=${error} retry=${load} />`;
  if (!data) return html`<p class="boot">Loading the migration…</p>`;
  const copying = ['DUAL_WRITE', 'BACKFILLED'].includes(data.phase);
  const applying = run?.status === 'RUNNING';
  return html`<div class="migration">
    <h1>Legacy migration</h1>
    <section class="panel" aria-labelledby="phase-title"><h2 id="phase-title">Where this company stands</h2><${Stepper} status=${data} />
      <table><caption class="sr-only">Rows per side</caption><thead><tr><th scope="col">Queue</th><th scope="col" class="num">call_queue (live)</th><th scope="col" class="num">separated (live)</th></tr></thead>
        <tbody>${data.counts.map((c) => html`<tr><td>${words(c.queueType)}</td><td class="num">${c.legacyRows} (${c.legacyLive})</td><td class="num">${c.separatedRows} (${c.separatedLive})</td></tr>`)}</tbody></table>
    </section>
    <section class="panel" aria-labelledby="steps-title"><h2 id="steps-title">Steps</h2>
      <div class="inline-form">
        <button type="button" data-write="preview" disabled=${action.busy} onClick=${() => step('mutation { previewQueueMigration { legacyRows callbacksToConvert conflictCount byTarget { table toInsert toUpdate unchanged } conflicts { kind userId resolution } } }', {}, (r) => setPreview(r.previewQueueMigration))}>Preview</button>
        <button type="button" data-write="apply" disabled=${action.busy || applying || !copying} onClick=${() => step(`mutation { applyQueueMigration(batchSize: 500) { ${RUN} } }`, {}, (r) => setRun(r.applyQueueMigration))}>Apply (copy call_queue)</button>
        <button type="button" data-write="validate" disabled=${action.busy || applying} onClick=${() => step('mutation { validateQueueMigration { passed mismatchCount unmapped byType { queueType mismatches } mismatches { entryId queueType kind } } }', {}, (r) => setValidation(r.validateQueueMigration))}>Validate</button>
      </div>
      ${run ? html`<div class="progress" role="status"><label for="apply-progress">Apply ${words(run.status)}: ${run.processedRows} of ${run.totalRows} rows</label>
        <progress id="apply-progress" max="1" value=${run.progress}></progress> <span data-metric="migration-progress">${run.progress}</span>${run.error ? html` <span class="error">${run.error}</span>` : null}</div>` : null}
      ${validation ? html`<p class=${validation.passed ? 'notice ok' : 'notice'} role="status" data-validation=${validation.passed ? 'passed' : 'failed'}>Validation ${validation.passed ? 'passed' : 'failed'}: ${validation.mismatchCount} mismatches, ${validation.unmapped} unmapped.
        ${validation.mismatches.slice(0, 20).map((m) => html` ${words(m.kind)} #${m.entryId};`)}</p>` : null}
      <div class="inline-form">
        <label for="phase-reason">Reason for the next phase</label><input id="phase-reason" value=${reason} onInput=${(e) => setReason(e.target.value)} maxlength="500" />
        <button type="button" data-write="next-phase" disabled=${action.busy || !data.nextPhase || data.blockers.length > 0}
          onClick=${() => step('mutation($p: MigrationPhase!, $r: String) { setMigrationPhase(phase: $p, reason: $r) { phase } }', { p: data.nextPhase, r: reason.trim() || null }, () => setReason(''))}>
          ${data.nextPhase ? `Next phase: ${words(data.nextPhase)}` : 'No next phase'}</button>
      </div>
      ${data.blockers.length ? html`<ul class="blockers" aria-label="What the next phase still needs">${data.blockers.map((b) => html`<li>${b}</li>`)}</ul>` : null}
      <div class="inline-form danger">
        <label for="rollback-reason">Rollback reason</label><input id="rollback-reason" value=${rollbackReason} onInput=${(e) => setRollbackReason(e.target.value)} maxlength="500" />
        <button type="button" data-write="rollback" disabled=${action.busy || data.phase === 'PRE_MIGRATION' || rollbackReason.trim() === ''}
          onClick=${() => confirm(`Roll back to PRE_MIGRATION? Every entry the separated queues hold that call_queue lacks or holds differently is copied back to call_queue, then reads and writes go to call_queue only. Reason: ${rollbackReason}`)
            && step('mutation($r: String!) { rollbackQueueMigration(reason: $r) { phase } }', { r: rollbackReason.trim() }, () => setRollbackReason(''))}>Roll back to PRE_MIGRATION</button>
      </div>
      <${ActionError} error=${action.error} />
    </section>
    ${preview ? html`<${Preview} preview=${preview} />` : null}
    <section class="panel" aria-labelledby="audit-title"><h2 id="audit-title">History</h2>
      ${data.history.length === 0 ? html`<p class="empty">No phase change yet.</p>` : html`<table><caption class="sr-only">Phase changes</caption>
        <thead><tr><th scope="col">When</th><th scope="col">From</th><th scope="col">To</th><th scope="col">By</th><th scope="col">Why</th></tr></thead>
        <tbody>${data.history.map((h) => html`<tr><td title=${h.at}>${relative(h.at)}</td><td>${words(h.from)}</td><td>${words(h.to)}</td><td>${h.actor}</td><td>${h.reason ?? '—'}</td></tr>`)}</tbody></table>`}
    </section></div>`;
}
