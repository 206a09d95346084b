import { nulInInput } from './input-text.js';
import {
  getNamedType, getNullableType, GraphQLError, isListType, isObjectType, isInterfaceType, Kind, valueFromASTUntyped,
  type DocumentNode, type FieldNode, type FragmentDefinitionNode, type GraphQLField, type GraphQLNamedType, type GraphQLSchema,
  type OperationDefinitionNode, type SelectionSetNode,
} from 'graphql';

/**
 * What a document will cost, computed from the document alone before any resolver (and so any
 * SQL) runs. The model, in the README too:
 *
 *   - every field costs 1 (scalars included: each is work to resolve and bytes to send);
 *   - a list multiplies the cost of its selection by how many items it can return: a
 *     connection by its `first` (its `nodes` and `edges` are then not multiplied again), a list
 *     with `first` or `last` by that, the per-minute history by its minutes, the others by the
 *     sizes below (what they hold in practice, or their hard cap);
 *   - arguments and page sizes are read from literals, variables or their defaults;
 *   - fragments count where they are spread, every inline fragment counts (a type condition
 *     may or may not match: the cost is an upper bound), aliases add up.
 */
const LIST_SIZES: Record<string, number> = {
  'Query.queues': 2,
  'Query.agents': 100,
  'Subscription.agentsChanged': 100,
  'Query.campaigns': 50,
  'Claimant.requirements': 10,
  'ScoreBreakdown.components': 8,
};
const DEFAULT_LIST_SIZE = 10;

/** Lists whose length follows from their arguments in another way than first/last. */
const SIZED_BY_ARGS: Record<string, (args: Record<string, unknown>) => number> = {
  'Query.queueHistory': (a) => Number(a.hours ?? 24) * 60 * 2,
  'Query.activity': (a) => Math.ceil((Number(a.hours ?? 24) * 60) / Number(a.bucketMinutes ?? 5)) + 1,
};

export interface DocumentCost {
  cost: number;
  aliases: number;
  /** A page size out of range anywhere in the document (first or last), as the refusal's message. */
  badPageSize: string | null;
}

interface Walk {
  schema: GraphQLSchema;
  fragments: Map<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
  aliases: number;
  maxPageSize: number;
  badPageSize: string | null;
}

function argumentsOf(field: GraphQLField<unknown, unknown>, node: FieldNode, variables: Record<string, unknown>): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const arg of field.args) if (arg.defaultValue !== undefined) args[arg.name] = arg.defaultValue;
  for (const arg of node.arguments ?? []) args[arg.name.value] = valueFromASTUntyped(arg.value, variables);
  return args;
}

/** How many items a list field can return (1 for a field that is not a list). */
function sizeOf(parent: GraphQLNamedType, field: GraphQLField<unknown, unknown>, args: Record<string, unknown>): number {
  const type = getNullableType(field.type);
  const connection = getNamedType(type).name.endsWith('Connection');
  if (!isListType(type) && !connection) return 1;
  // A connection's nodes and edges: already multiplied at the connection.
  if (parent.name.endsWith('Connection')) return 1;
  const key = `${parent.name}.${field.name}`;
  const page = args.first ?? args.last;
  const size = SIZED_BY_ARGS[key]?.(args) ?? (typeof page === 'number' ? page : LIST_SIZES[key] ?? DEFAULT_LIST_SIZE);
  return Number.isFinite(size) && size > 0 ? size : DEFAULT_LIST_SIZE;
}

/*
 * Page sizes are checked here, before anything runs, wherever they are: a page size out of range
 * inside a mutation's payload would otherwise be refused only after the write was made.
 */
function checkPageSizes(parent: GraphQLNamedType, field: GraphQLField<unknown, unknown>, args: Record<string, unknown>, walk: Walk): void {
  for (const name of ['first', 'last']) {
    const value = args[name];
    if (walk.badPageSize !== null || typeof value !== 'number') continue;
    if (!Number.isInteger(value) || value < 1 || value > walk.maxPageSize) {
      walk.badPageSize = `${name} must be between 1 and ${walk.maxPageSize}, got ${value} (${parent.name}.${field.name})`;
    }
  }
}

function selectionCost(set: SelectionSetNode | undefined, parent: GraphQLNamedType, walk: Walk, depth: number): number {
  if (!set || depth > 50) return 0;
  let cost = 0;
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.alias) walk.aliases += 1;
      const fields = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields() : {};
      const field = fields[selection.name.value];
      if (!field) {
        cost += 1; // __typename, or introspection (its own switch decides)
        continue;
      }
      const args = argumentsOf(field, selection, walk.variables);
      checkPageSizes(parent, field, args, walk);
      cost += 1 + sizeOf(parent, field, args) * selectionCost(selection.selectionSet, getNamedType(field.type), walk, depth + 1);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const type = selection.typeCondition ? walk.schema.getType(selection.typeCondition.name.value) ?? parent : parent;
      cost += selectionCost(selection.selectionSet, type, walk, depth + 1);
    } else {
      const fragment = walk.fragments.get(selection.name.value);
      if (!fragment) continue;
      const type = walk.schema.getType(fragment.typeCondition.name.value) ?? parent;
      cost += selectionCost(fragment.selectionSet, type, walk, depth + 1);
    }
  }
  return cost;
}

export function documentCost(
  schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown> = {}, maxPageSize = 500,
): DocumentCost {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const root = operation.operation === 'query' ? schema.getQueryType() : operation.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  const walk: Walk = { schema, fragments, variables, aliases: 0, maxPageSize, badPageSize: null };
  const cost = root ? selectionCost(operation.selectionSet, root, walk, 0) : 0;
  return { cost, aliases: walk.aliases, badPageSize: walk.badPageSize };
}

export interface CostLimits {
  maxCost: number;
  maxAliases: number;
  maxPageSize: number;
}

export function costLimits(config: { MAX_QUERY_COST: number; MAX_ALIASES: number; MAX_PAGE_SIZE: number }): CostLimits {
  return { maxCost: config.MAX_QUERY_COST, maxAliases: config.MAX_ALIASES, maxPageSize: config.MAX_PAGE_SIZE };
}

/** The refusal of a document over the limits (null when it is within them): BAD_USER_INPUT with its figures. */
export function overLimits(found: DocumentCost, limits: CostLimits): GraphQLError | null {
  if (found.badPageSize) return new GraphQLError(found.badPageSize, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
  if (found.aliases > limits.maxAliases) {
    return new GraphQLError(`the document uses ${found.aliases} aliases; at most ${limits.maxAliases} are allowed. Ask for the same field fewer times, or send several requests`, {
      extensions: { code: 'BAD_USER_INPUT', aliases: found.aliases, maxAliases: limits.maxAliases, http: { status: 400 } },
    });
  }
  if (found.cost > limits.maxCost) {
    return new GraphQLError(`the query would cost ${found.cost}, over the limit of ${limits.maxCost}: ask for fewer items (a smaller first), fewer fields or fewer aliases, and page through the rest`, {
      extensions: { code: 'BAD_USER_INPUT', cost: found.cost, maxCost: limits.maxCost, http: { status: 400 } },
    });
  }
  return null;
}

/**
 * What refuses a parsed, validated document before anything runs — the same on HTTP and
 * WebSocket: text PostgreSQL cannot store, then page sizes, aliases and cost.
 */
export function admissionRefusal(
  schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode | null | undefined,
  variables: Record<string, unknown>, limits: CostLimits,
): GraphQLError | null {
  return nulInInput(document, variables)
    ?? (operation ? overLimits(documentCost(schema, document, operation, variables, limits.maxPageSize), limits) : null);
}
