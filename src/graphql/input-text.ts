import { GraphQLError, Kind, visit, type DocumentNode } from 'graphql';

/**
 * PostgreSQL cannot store the NUL character (\u0000) in text, and a statement carrying one is
 * refused at the protocol level: such input is refused here, before anything runs, as bad input.
 */
function hasNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(hasNul);
  if (value !== null && typeof value === 'object') return Object.values(value).some(hasNul);
  return false;
}

export function nulInInput(document: DocumentNode, variables: Record<string, unknown>): GraphQLError | null {
  let found = hasNul(variables);
  if (!found) {
    visit(document, {
      [Kind.STRING]: (node) => {
        if (node.value.includes('\u0000')) found = true;
      },
    });
  }
  return found
    ? new GraphQLError('text may not contain the NUL character (\\u0000); remove it and send again', { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } })
    : null;
}
