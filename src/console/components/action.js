import { html, useState } from '../lib.js';
import { gql } from '../api.js';

/**
 * Runs one write through the API and keeps its state: busy while it runs, the API's own message
 * when it refuses (never a stack). `run(query, variables)` resolves with the data, or null when refused.
 */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  async function run(query, variables) {
    setBusy(true);
    setError(null);
    try {
      return await gql(query, variables);
    } catch (e) {
      setError(e);
      return null;
    } finally {
      setBusy(false);
    }
  }
  return { busy, error, run, clear: () => setError(null) };
}

export function ActionError({ error }) {
  return error ? html`<p class="error" role="alert">${error.message}</p>` : null;
}

/** What a role may not use: a message containing "not allowed", and no controls. */
export function NotAllowed({ what, needs }) {
  return html`<section class="panel empty"><h1>Not allowed</h1>
    <p>${what} is not allowed with this key: it needs the ${needs} role. Sign in with such a key to use it.</p></section>`;
}
