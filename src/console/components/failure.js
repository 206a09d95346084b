import { html } from '../lib.js';

/** An error as the API worded it, with what to do; never a stack. */
export function Failure({ error, retry, compact = false }) {
  const hint = error.code === 'NETWORK' ? 'The page will keep its last figures; try again when the service is back.'
    : error.code === 'FORBIDDEN' ? 'Your key\'s role does not allow this.'
      : null;
  return html`<div class=${compact ? 'notice' : 'panel notice'} role="alert">
    <p><strong>${error.message}</strong></p>${hint ? html`<p>${hint}</p>` : null}
    ${retry ? html`<button type="button" onClick=${retry}>Try again</button>` : null}
  </div>`;
}
