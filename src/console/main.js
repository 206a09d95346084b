/*
 * The console: a client of the public GraphQL API (the same queries, mutations and
 * subscriptions an integrator uses). Sign in with an API key; the key's role decides what is
 * shown; everything live arrives over graphql-ws.
 */
import { html, render, useEffect, useState } from './lib.js';
import { gql } from './api.js';
import { connect, disconnect, useConnection } from './live.js';
import { useRoute } from './router.js';
import { setViewer, signIn, signOut, useSession } from './session.js';
import { QUEUE_LABEL, QUEUES } from './format.js';
import { SignIn } from './pages/signin.js';
import { Wallboard } from './pages/wallboard.js';
import { QueueBrowser } from './pages/queue.js';
import { ClaimantPage } from './pages/claimant.js';
import { AgentDesk } from './pages/agent.js';
import { LinesPage } from './pages/lines.js';
import { RepopulationPage } from './pages/repopulation.js';
import { MigrationPage } from './pages/migration.js';
import { KeysPage } from './pages/keys.js';
import { atLeast } from './session.js';

const CONNECTION_TEXT = { live: 'Live', reconnecting: 'Reconnecting…', offline: 'Offline' };

function ConnectionIndicator() {
  const state = useConnection();
  const title = {
    live: 'Figures update as changes happen.',
    reconnecting: 'The live feed is reconnecting: figures may be stale until it is back.',
    offline: 'No connection to the service: figures are not updating.',
  }[state];
  return html`<span class="connection" data-connection=${state} role="status" aria-live="polite" title=${title}>
    <span class="dot" aria-hidden="true"></span>${CONNECTION_TEXT[state]}</span>`;
}

function Nav({ path, viewer }) {
  // Only the pages the key's role may use.
  const links = [['/', 'Wallboard'], ...QUEUES.map((q) => [`/queues/${q}`, QUEUE_LABEL[q]]),
    ...(atLeast(viewer, 'AGENT') ? [['/agent', 'Agent desk']] : []), ['/lines', 'Lines'], ['/repopulation', 'Repopulation'],
    ...(atLeast(viewer, 'ADMIN') ? [['/migration', 'Migration'], ['/keys', 'API keys']] : [])];
  return html`<nav aria-label="Console pages"><ul>
    ${links.map(([href, label]) => html`<li><a href=${href} aria-current=${path === href ? 'page' : undefined}>${label}</a></li>`)}
    <li><a href="/graphql" target="_blank" rel="noopener">GraphQL IDE</a></li>
  </ul></nav>`;
}

function NotFound() {
  return html`<section class="panel empty"><h1>Nothing at this address</h1><p>Go back to the <a href="/">wallboard</a>.</p></section>`;
}

function Page({ route, viewer }) {
  const { path, query } = route;
  if (path === '/') return html`<${Wallboard} viewer=${viewer} />`;
  const queue = /^\/queues\/([A-Z_]+)$/.exec(path);
  if (queue) return QUEUES.includes(queue[1]) ? html`<${QueueBrowser} type=${queue[1]} query=${query} viewer=${viewer} />` : html`<${NotFound} />`;
  const claimant = /^\/claimants\/(\d+)$/.exec(path);
  if (claimant) return html`<${ClaimantPage} userId=${claimant[1]} viewer=${viewer} />`;
  if (path === '/agent') return html`<${AgentDesk} viewer=${viewer} query=${query} />`;
  if (path === '/lines') return html`<${LinesPage} viewer=${viewer} />`;
  if (path === '/repopulation') return html`<${RepopulationPage} viewer=${viewer} />`;
  if (path === '/migration') return html`<${MigrationPage} viewer=${viewer} />`;
  if (path === '/keys') return html`<${KeysPage} viewer=${viewer} />`;
  return html`<${NotFound} />`;
}

function Shell({ viewer }) {
  const route = useRoute();
  useEffect(() => {
    document.title = `callqueue · ${route.path === '/' ? 'wallboard' : route.path.split('/')[1]}`;
  }, [route.path]);
  return html`
    <a class="skip" href="#main">Skip to content</a>
    <header class="top">
      <a class="brand" href="/">callqueue</a>
      <${Nav} path=${route.path} viewer=${viewer} />
      <div class="who">
        <${ConnectionIndicator} />
        <span class="role" title="The role of the key you signed in with">${viewer.role.toLowerCase()}${viewer.agentId ? ` · agent ${viewer.agentId}` : ''}</span>
        <button type="button" class="quiet" onClick=${() => signOut()}>Sign out</button>
      </div>
    </header>
    <main id="main" tabindex="-1"><${Page} route=${route} viewer=${viewer} /></main>`;
}

function App() {
  const session = useSession();
  const [checking, setChecking] = useState(Boolean(session.key && !session.viewer));
  // Signed out (by the button, or because the key stopped being accepted): the live feed closes too.
  useEffect(() => { if (!session.key) disconnect(); }, [session.key]);
  // A key kept from before a reload: checked once, then the live connection opens.
  useEffect(() => {
    if (!session.key || session.viewer) return;
    gql('{ viewer { role agentId } }').then((data) => {
      setViewer(data.viewer);
      connect(session.key);
    }).catch(() => {}).finally(() => setChecking(false));
  }, [session.key]);
  if (checking) return html`<p class="boot">Checking your key…</p>`;
  if (!session.key || !session.viewer) {
    return html`<${SignIn} message=${session.message} onSignedIn=${(key, viewer) => { signIn(key, viewer); connect(key); }} />`;
  }
  return html`<${Shell} viewer=${session.viewer} />`;
}

const root = document.getElementById('app');
root.textContent = ''; // the loading note, replaced by the app
render(html`<${App} />`, root);
