/*
 * The GraphQL IDE at /graphql (GraphiQL, from the project's own node_modules; no CDN). It
 * borrows the console's sign-in: the API key kept for this tab (sessionStorage) is sent as
 * the Authorization header over HTTP and as connectionParams over WebSocket. Without one, the
 * Headers tab takes {"Authorization": "Bearer <key>"}.
 */
(function () {
  var key = sessionStorage.getItem('callqueue.apiKey');
  var auth = key ? 'Bearer ' + key : undefined;
  var wsUrl = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/graphql';
  var fetcher = GraphiQL.createFetcher({
    url: '/graphql',
    subscriptionUrl: wsUrl,
    headers: auth ? { Authorization: auth } : {},
    wsConnectionParams: auth ? { authorization: auth } : {},
  });
  var intro = key
    ? '# Signed in through the console: your key is sent with every request.\n'
    : '# Not signed in: sign in on the console (/) or add a header in the Headers tab:\n#   {"Authorization": "Bearer <your API key>"}\n';
  var query = intro + '{\n  viewer { role agentId }\n  queues { type depth availableNow assignedCount }\n}\n';
  ReactDOM.createRoot(document.getElementById('ide')).render(
    React.createElement(GraphiQL, { fetcher: fetcher, defaultQuery: query, shouldPersistHeaders: false }),
  );
})();
