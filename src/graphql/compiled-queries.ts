import { execute, GraphQLError, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';

/** What Apollo hands an executor (its gateway executor's request context), as far as it is read here. */
export interface ExecutionRequest {
  document: DocumentNode;
  operationName?: string | null;
  operation?: { operation: string } | null;
  request: { variables?: Record<string, unknown> | null };
  context: unknown;
}

/** A document seen once is executed as it is; seen again, it is worth compiling. */
const COMPILE_AT = 2;

interface Seen {
  count: number;
  /** Per operation name ('' for the only one): compiled, or null when it cannot be. */
  compiled: Map<string, CompiledQuery | null>;
}

/**
 * Query execution with the document compiled to JavaScript (graphql-jit) once it is seen a
 * second time: graphql-js walks the document for every field of every entry (the dashboard's
 * ~2,600 fields), a compiled query runs straight-line code for them. Documents are the parsed
 * ones Apollo keeps in its document store (the same object for the same text), so the compiled
 * form lives as long as Apollo keeps the document (a WeakMap: nothing to evict here).
 * Mutations run in graphql-js (serially, as the spec says; they are few fields each); a
 * document graphql-jit cannot compile runs in graphql-js too.
 */
export class CompiledQueries {
  private readonly seen = new WeakMap<DocumentNode, Seen>();

  constructor(private readonly schema: GraphQLSchema) {}

  async execute(request: ExecutionRequest): Promise<ExecutionResult> {
    const { document, context } = request;
    const variables = request.request.variables ?? {};
    const operationName = request.operationName ?? undefined;
    const interpreted = () => execute({ schema: this.schema, document, contextValue: context, variableValues: variables, operationName });
    const compiled = request.operation?.operation === 'query' ? this.compiledFor(document, operationName) : null;
    if (!compiled) return interpreted();
    const result = await compiled.query(undefined, context, variables);
    // No data at all: the variables were refused before anything ran. graphql-js says why in
    // the form Apollo reads as BAD_USER_INPUT (the variable's node, its own message).
    if (!('data' in result) || result.data === undefined) return interpreted();
    return result.errors ? { ...result, errors: result.errors.map(asGraphQLError) } : result;
  }

  private compiledFor(document: DocumentNode, operationName: string | undefined): CompiledQuery | null {
    let seen = this.seen.get(document);
    if (!seen) this.seen.set(document, (seen = { count: 0, compiled: new Map() }));
    seen.count += 1;
    if (seen.count < COMPILE_AT) return null;
    const key = operationName ?? '';
    if (!seen.compiled.has(key)) {
      const result = compileQuery(this.schema, document, operationName);
      seen.compiled.set(key, isCompiledQuery(result) ? result : null);
    }
    return seen.compiled.get(key)!;
  }
}

/**
 * graphql-jit's errors pass for graphql-js's (`instanceof`) but leave `extensions` undefined,
 * which Apollo's error formatting reads without a check: rebuilt as graphql-js makes them, with
 * the resolver's own error as originalError (formatError reads its code from there).
 */
function asGraphQLError(error: GraphQLError): GraphQLError {
  const rebuilt = new GraphQLError(error.message, { path: error.path, originalError: error.originalError, extensions: error.extensions ?? {} });
  // Where in the document: graphql-jit has the locations, not the nodes graphql-js computes them from.
  (rebuilt as { locations?: GraphQLError['locations'] }).locations = error.locations;
  return rebuilt;
}
