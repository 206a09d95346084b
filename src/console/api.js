/*
 * Queries and mutations over HTTP, with the signed-in key. Errors come back as ApiError with
 * the API's own message and code (the console shows the message, never a stack).
 */
import { currentKey, signOut } from './session.js';

export class ApiError extends Error {
  constructor(message, code, extensions = {}) {
    super(message);
    this.code = code;
    this.extensions = extensions;
  }
}

export const REFUSED_KEY = 'Your API key is no longer accepted (revoked, expired or unknown). Sign in again with a valid key.';

export async function gql(query, variables = {}, key = currentKey()) {
  let response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new ApiError('The service cannot be reached. Check that it is running and your network is up, then try again.', 'NETWORK');
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`The service answered HTTP ${response.status} without a GraphQL body.`, 'NETWORK');
  }
  const error = body.errors?.[0];
  if (error) {
    const code = error.extensions?.code ?? 'INTERNAL_SERVER_ERROR';
    // Only the signed-in key is signed out; a key being tried at sign-in just fails.
    if (code === 'UNAUTHENTICATED' && key === currentKey()) signOut(REFUSED_KEY);
    throw new ApiError(error.message, code, error.extensions);
  }
  return body.data;
}
