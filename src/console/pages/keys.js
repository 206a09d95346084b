import { html, useEffect, useState } from '../lib.js';
import { gql } from '../api.js';
import { atLeast } from '../session.js';
import { ActionError, NotAllowed, useAction } from '../components/action.js';
import { Failure } from '../components/failure.js';
import { relative, words } from '../format.js';

/* API keys (ADMIN): the lifecycle of keys, never a key or its hash — except a new key, shown once. */
const KEY = 'id prefix label role agent { id name } createdAt lastUsedAt expiresAt revokedAt usable';

function Created({ created, onClose }) {
  const [copied, setCopied] = useState(false);
  async function copy() {
    try {
      await navigator.clipboard.writeText(created.key);
      setCopied(true);
    } catch {
      document.getElementById('new-key').select();
    }
  }
  return html`<section class="panel notice" role="alert" aria-labelledby="new-key-title">
    <h2 id="new-key-title">New ${words(created.role)} key — shown only now</h2>
    <p>Copy it and keep it safe: the service stores only its hash, so it cannot show it again.</p>
    <div class="inline-form">
      <label for="new-key">The key</label><input id="new-key" readonly value=${created.key} data-new-key onFocus=${(e) => e.target.select()} />
      <button type="button" onClick=${copy}>${copied ? 'Copied' : 'Copy the key'}</button>
      <button type="button" class="quiet" onClick=${onClose}>I have stored it</button>
    </div></section>`;
}

function CreateForm({ onCreated }) {
  const action = useAction();
  const [role, setRole] = useState('VIEWER');
  const [agentId, setAgentId] = useState('');
  const [label, setLabel] = useState('');
  const [expires, setExpires] = useState('');
  async function submit(event) {
    event.preventDefault();
    const data = await action.run(`mutation($r: Role!, $a: ID, $l: String, $e: DateTime) { createApiKey(role: $r, agentId: $a, label: $l, expiresAt: $e) { id key role } }`,
      { r: role, a: role === 'AGENT' ? agentId : null, l: label || null, e: expires ? new Date(expires).toISOString() : null });
    if (data) { setLabel(''); setExpires(''); onCreated(data.createApiKey); }
  }
  return html`<form class="panel filters" onSubmit=${submit} aria-label="Create an API key">
    <div class="field"><label for="key-role">Role</label><select id="key-role" value=${role} onChange=${(e) => setRole(e.target.value)}>
      ${['VIEWER', 'INTEGRATOR', 'AGENT', 'ADMIN'].map((r) => html`<option value=${r}>${words(r)}</option>`)}</select></div>
    ${role === 'AGENT' ? html`<div class="field"><label for="key-agent">Agent id</label><input id="key-agent" required inputmode="numeric" value=${agentId} onInput=${(e) => setAgentId(e.target.value)} /></div>` : null}
    <div class="field grow"><label for="key-label">Label</label><input id="key-label" maxlength="200" value=${label} onInput=${(e) => setLabel(e.target.value)} placeholder="e.g. Wall screen, floor 2" /></div>
    <div class="field"><label for="key-expires">Expires (optional)</label><input id="key-expires" type="datetime-local" value=${expires} onInput=${(e) => setExpires(e.target.value)} /></div>
    <button type="submit" data-write="create-key" disabled=${action.busy}>Create key</button>
    <${ActionError} error=${action.error} /></form>`;
}

function KeyRow({ k, onChanged, onCreated }) {
  const action = useAction();
  async function revoke() {
    const reason = prompt(`Revoke key ${k.prefix}… (${k.label ?? words(k.role)})? It stops working everywhere within a second. Why?`);
    if (reason === null) return;
    if (await action.run('mutation($id: ID!, $r: String) { revokeApiKey(id: $id, reason: $r) { id } }', { id: k.id, r: reason.trim() || null })) onChanged();
  }
  async function rotate() {
    const data = await action.run('mutation($id: ID!) { rotateApiKey(id: $id, graceMinutes: 60) { id key role } }', { id: k.id });
    if (data) { onCreated(data.rotateApiKey); onChanged(); }
  }
  return html`<tr>
    <td><code>${k.prefix}…</code> ${k.label ?? ''}</td><td>${words(k.role)}${k.agent ? ` · ${k.agent.name}` : ''}</td>
    <td title=${k.createdAt}>${relative(k.createdAt)}</td><td>${k.lastUsedAt ? relative(k.lastUsedAt) : 'never'}</td>
    <td>${k.revokedAt ? html`<span class="pill removed">revoked ${relative(k.revokedAt)}</span>` : k.expiresAt ? (k.usable ? `expires ${relative(k.expiresAt)}` : html`<span class="pill removed">expired</span>`) : 'no expiry'}</td>
    <td>${k.usable ? html`<button type="button" class="quiet" data-write="rotate-key" onClick=${rotate} disabled=${action.busy}>Rotate</button>
      <button type="button" class="quiet" data-write="revoke-key" onClick=${revoke} disabled=${action.busy}>Revoke</button>` : null}<${ActionError} error=${action.error} /></td></tr>`;
}

export function KeysPage({ viewer }) {
  if (!atLeast(viewer, 'ADMIN')) return html`<${NotAllowed} what="Managing API keys" needs="ADMIN" />`;
  return html`<${Keys} />`;
}

function Keys() {
  const [keys, setKeys] = useState(null);
  const [error, setError] = useState(null);
  const [created, setCreated] = useState(null);
  const load = () => gql(`{ apiKeys(includeRevoked: true) { ${KEY} } }`).then((d) => { setKeys(d.apiKeys); setError(null); }).catch(setError);
  useEffect(() => { load(); }, []);
  if (error && !keys) return html`<${Failure} error=${error} retry=${load} />`;
  return html`<div class="keys">
    <h1>API keys</h1>
    ${created ? html`<${Created} created=${created} onClose=${() => setCreated(null)} />` : null}
    <${CreateForm} onCreated=${(k) => { setCreated(k); load(); }} />
    <section class="panel table-wrap" aria-labelledby="key-list"><h2 id="key-list">Keys</h2>
      ${!keys ? html`<p class="boot">Loading…</p>` : html`<table><caption class="sr-only">API keys</caption>
        <thead><tr><th scope="col">Key</th><th scope="col">Role</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">State</th><th scope="col">Actions</th></tr></thead>
        <tbody>${keys.map((k) => html`<${KeyRow} k=${k} onChanged=${load} onCreated=${setCreated} />`)}</tbody></table>`}
    </section></div>`;
}
