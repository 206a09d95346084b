import { html, useState } from '../lib.js';
import { gql } from '../api.js';

/** The sign-in form: an API key, checked against the API (viewer) before anything is shown. */
export function SignIn({ message, onSignedIn }) {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  async function submit(event) {
    event.preventDefault();
    const key = new FormData(event.target).get('apiKey').trim();
    if (!key) {
      setError('Enter your API key.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const { viewer } = await gql('{ viewer { role agentId } }', {}, key);
      onSignedIn(key, viewer);
    } catch (e) {
      setError(e.code === 'UNAUTHENTICATED' ? 'This key is not accepted: check that you copied all of it, and that it was not revoked.' : e.message);
    } finally {
      setBusy(false);
    }
  }
  return html`<main class="signin" id="main">
    <form class="panel" onSubmit=${submit} aria-labelledby="signin-title">
      <h1 id="signin-title">callqueue</h1>
      <p class="muted">Sign in with an API key. It is kept for this browser tab only and sent to this service alone.</p>
      ${message ? html`<p class="notice" role="alert">${message}</p>` : null}
      <label for="apiKey">API key</label>
      <input id="apiKey" name="apiKey" type="password" autocomplete="off" spellcheck="false" required autofocus />
      ${error ? html`<p class="error" role="alert">${error}</p>` : null}
      <button type="submit" disabled=${busy}>${busy ? 'Checking…' : 'Sign in'}</button>
      <p class="muted small">No key yet? The first <code>npm start</code> prints an ADMIN key; <code>npm run apikey:create</code> makes more.</p>
    </form>
  </main>`;
}
