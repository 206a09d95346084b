import DataLoader from 'dataloader';
import { defaultFieldResolver, getDirectiveValues, isObjectType, type GraphQLSchema } from 'graphql';
import type { Caller } from '../modules/auth/api-keys.js';
import { actorOf } from '../modules/auth/api-keys.js';
import { mask, type MaskKind } from '../modules/privacy/masking.js';
import { heldClaimants, recordAccess } from '../modules/privacy/privacy.sql.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from '../logger.js';
import type { GraphQLContext } from './context.js';

/**
 * Field-level access to claimants' personal data, from one declaration per field in the SDL
 * (`@personal(mask: …)`): every field so marked, on every type, is wrapped here when the schema
 * is built, so a new field cannot leak by omission — a test walks the schema for it.
 *
 * Who reads what: ADMIN keys and keys created with personalData read values; an AGENT key
 * reads them for the claimants it holds (an assigned entry, an active call, a callback of its
 * own: one statement per request for every claimant asked about); everyone else reads them
 * masked. Each request notes whose personal fields it resolved; see PersonalReads.audit.
 */
export const PERSONAL_DIRECTIVE = 'personal';

/** The claimant a personal value belongs to: its parent's userId (every type carrying one has it). */
function ownerOf(parent: unknown): number | null {
  const p = parent as { userId?: unknown; user_id?: unknown } | null;
  const id = p?.userId ?? p?.user_id;
  return id === undefined || id === null ? null : Number(id);
}

/** Wraps the resolver of every @personal field of the schema (in place). */
export function applyPersonalData(schema: GraphQLSchema): GraphQLSchema {
  const definition = schema.getDirective(PERSONAL_DIRECTIVE);
  if (!definition) throw new Error(`the schema has no @${PERSONAL_DIRECTIVE} directive`);
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const directive = field.astNode ? getDirectiveValues(definition, field.astNode) : undefined;
      if (!directive) continue;
      const kind = (directive.mask ?? 'TEXT') as MaskKind;
      const name = `${type.name}.${field.name}`;
      const inner = field.resolve ?? defaultFieldResolver;
      field.resolve = (parent, args, ctx: GraphQLContext, info) => {
        const value = inner(parent, args, ctx, info);
        const reveal = (v: unknown) => ctx.personal.read(name, ownerOf(parent), kind, v);
        return value instanceof Promise ? value.then(reveal) : reveal(value);
      };
    }
  }
  return schema;
}

/** What one request read of personal data: claimants, fields, and whether anything unmasked. */
export class PersonalReads {
  private readonly users = new Set<number>();
  private readonly fields = new Set<string>();
  private unmasked = false;
  /**
   * Whether the calling agent holds a claimant: those asked about until the next turn of the
   * event loop (a page of them, resolved over several promise ticks) in one statement.
   */
  private readonly heldByAgent = new DataLoader<number, boolean>(async (userIds) => {
    const held = await heldClaimants(this.em(), this.caller!.agentId!, userIds);
    return userIds.map((id) => held.has(id));
  }, { batchScheduleFn: (run) => setImmediate(run) });

  constructor(private readonly caller: Caller | null, private readonly em: () => EntityManager) {}

  /** Whether this caller sees the values of everyone (no per-claimant check). */
  private get seesAll(): boolean {
    return this.caller?.role === 'ADMIN' || this.caller?.personalData === true;
  }

  read(field: string, userId: number | null, kind: MaskKind, value: unknown): unknown {
    if (value === null || value === undefined) return value;
    if (userId !== null) this.users.add(userId);
    this.fields.add(field);
    if (this.seesAll) {
      this.unmasked = true;
      return value;
    }
    if (this.caller?.role !== 'AGENT' || this.caller.agentId === null || userId === null) return mask(kind, value);
    return this.heldByAgent.load(userId).then((held) => {
      if (!held) return mask(kind, value);
      this.unmasked = true;
      return value;
    });
  }

  /**
   * The audit, after the response: one row when the request read unmasked personal data with a
   * key that is not an agent's, or personal data (masked or not) of more than one claimant.
   */
  async audit(logger: Logger, operation: string | null): Promise<void> {
    if (!this.caller || this.fields.size === 0) return;
    const unmaskedByNonAgent = this.unmasked && this.caller.role !== 'AGENT';
    if (!unmaskedByNonAgent && this.users.size <= 1) return;
    try {
      await recordAccess(this.em(), {
        keyId: this.caller.keyId === 'env' ? null : this.caller.keyId, actor: actorOf(this.caller), role: this.caller.role,
        userIds: [...this.users].sort((a, b) => a - b), fields: [...this.fields].sort(), unmasked: this.unmasked, operation,
      });
    } catch (error) {
      logger.error({ err: error }, 'could not record a personal-data read in the audit');
    }
  }
}
