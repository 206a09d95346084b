import { html } from '../lib.js';

const LABEL = {
  base: 'Base', waiting: 'Waiting', attempts: 'Call attempts', urgent_signature: 'Urgent signature',
  escalation: 'Escalation', deadline: 'Deadline', callback: 'Callback', fixed: 'Fixed priority',
};

/**
 * The score breakdown drawn part by part: each part a bar scaled to the largest, gains to the
 * right and losses to the left, and the total they add up to.
 */
export function ScoreBars({ breakdown }) {
  const widest = Math.max(1, ...breakdown.components.map((c) => Math.abs(c.points)));
  const sum = breakdown.components.reduce((n, c) => n + c.points, 0);
  return html`<div class="score">
    <ol class="score-parts">${breakdown.components.map((c) => html`<li>
      <span class="part-name">${LABEL[c.name] ?? c.name}</span>
      <span class="bar-track" aria-hidden="true"><span class=${`bar ${c.points < 0 ? 'minus' : 'plus'}`} style=${{ width: `${(Math.abs(c.points) / widest) * 50}%` }}></span></span>
      <span class="points" data-score-part=${c.name}>${c.points > 0 ? `+${c.points}` : c.points}</span>
      <span class="detail muted small">${c.detail}</span>
    </li>`)}</ol>
    <p class="score-total">Total <strong data-score-total>${breakdown.total}</strong>
      ${sum !== breakdown.total ? html`<span class="muted small"> (the parts add up to ${sum}; the score is held within 0–9999)</span>` : null}
      <span class="muted small"> · computed ${new Date(breakdown.computedAt).toLocaleTimeString('en-GB')}</span></p>
  </div>`;
}
