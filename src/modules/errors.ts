/**
 * Expected failures of the domain, each with a code from the closed list in the README ("Errors").
 * Services throw these; the GraphQL layer turns them into errors with `extensions.code`.
 * Anything else that escapes is unexpected and reaches clients as INTERNAL_SERVER_ERROR.
 */
export type ErrorCode = 'BAD_USER_INPUT' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT';

export class DomainError extends Error {
  constructor(readonly code: ErrorCode, message: string, readonly details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'DomainError';
  }
}

export const badInput = (message: string, details?: Record<string, unknown>) => new DomainError('BAD_USER_INPUT', message, details);
export const notFound = (message: string, details?: Record<string, unknown>) => new DomainError('NOT_FOUND', message, details);
export const conflict = (message: string, details?: Record<string, unknown>) => new DomainError('CONFLICT', message, details);
export const forbidden = (message: string, details?: Record<string, unknown>) => new DomainError('FORBIDDEN', message, details);
export const unauthenticated = (message: string) => new DomainError('UNAUTHENTICATED', message);

/** A free-text reason (removals, transitions, callbacks): 1–500 characters once trimmed. */
export function requireReason(reason: string | null | undefined, what = 'reason'): string {
  const text = (reason ?? '').trim();
  if (text.length === 0 || text.length > 500) throw badInput(`${what} must be 1–500 characters`);
  return text;
}
