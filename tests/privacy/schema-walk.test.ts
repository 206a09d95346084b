import { getDirectiveValues, getNamedType, isObjectType, type GraphQLField, type GraphQLResolveInfo } from 'graphql';
import { buildGraphQLSchema } from '../../src/graphql/schema.js';
import { PersonalReads } from '../../src/graphql/personal-data.js';
import type { Caller } from '../../src/modules/auth/api-keys.js';

/**
 * A walk over the built schema: every field marked @personal, on every type, is read the way
 * each role would read it, through the resolver the schema really runs. A new field marked
 * personal is covered without a new test; a field that looks personal but is not marked fails.
 */
const schema = buildGraphQLSchema();
const definition = schema.getDirective('personal')!;

const personalFields: { type: string; field: GraphQLField<unknown, unknown>; mask: string }[] = [];
for (const type of Object.values(schema.getTypeMap())) {
  if (!isObjectType(type) || type.name.startsWith('__')) continue;
  for (const field of Object.values(type.getFields())) {
    const directive = field.astNode ? getDirectiveValues(definition, field.astNode) : undefined;
    if (directive) personalFields.push({ type: type.name, field, mask: String(directive.mask) });
  }
}

/** Fields whose names look personal but are written by the service itself, not about a person. */
const NOT_PERSONAL: Record<string, string> = {
  'CallRequest.closedReason': 'the contact policy\'s own words (expired, outside the calling window)',
  'Webhook.disabledReason': 'about an endpoint',
  'Eligibility.reasons': 'the claim rule\'s verdicts',
  'NotClaimableCount.reason': 'the claim rule\'s verdicts',
  'ApiKeyEvent.reason': 'about an API key',
  'ClaimantErasure.reason': 'the admin\'s reason for an erasure (a request reference)',
  'MigrationPhaseChange.reason': 'about a migration',
  'MigrationStatus.reason': 'about a migration',
};
const LOOKS_PERSONAL = /^(firstName|lastName|phone|notes|requirementTypes?|.*[rR]easons?)$/;

const caller = (c: Partial<Caller> & Pick<Caller, 'role'>): Caller => ({ agentId: null, keyId: 1, ...c });
const SAMPLE = { NAME: 'Ada', PHONE: '+1 555 010 0303', TEXT: 'asked to be called at home' } as Record<string, string>;
/** The part of each sample a mask must hide. */
const HIDDEN = { NAME: 'da', PHONE: '010', TEXT: 'home' } as Record<string, string>;

async function readAs(who: Caller, entry: (typeof personalFields)[number]): Promise<unknown> {
  const reads = new PersonalReads(who, () => { throw new Error('no database: this caller needs no check'); });
  const sample = SAMPLE[entry.mask]!;
  const isList = String(entry.field.type).includes('[');
  const value = isList ? [sample] : sample;
  const parent = { userId: 7, [entry.field.name]: value };
  const result = await entry.field.resolve!(parent, {}, { personal: reads } as never, { fieldName: entry.field.name } as GraphQLResolveInfo);
  return isList ? (result as unknown[])[0] : result;
}

it('finds the personal fields of the schema', () => {
  expect(personalFields.map((f) => `${f.type}.${f.field.name}`)).toEqual(expect.arrayContaining([
    'Claimant.firstName', 'Claimant.lastName', 'Claimant.phone', 'Callback.reason', 'OutstandingRequestEntry.requirementTypes',
  ]));
  expect(personalFields.length).toBeGreaterThanOrEqual(14);
});

it.each(['VIEWER', 'INTEGRATOR'] as const)('a %s key without personal-data access reads every personal field masked', async (role) => {
  for (const entry of personalFields) {
    const read = await readAs(caller({ role }), entry);
    expect({ field: `${entry.type}.${entry.field.name}`, read }).not.toEqual({ field: `${entry.type}.${entry.field.name}`, read: SAMPLE[entry.mask] });
    expect(String(read)).not.toContain(HIDDEN[entry.mask]);
  }
});

it('ADMIN keys and keys with personal-data access read every personal field as stored', async () => {
  for (const who of [caller({ role: 'ADMIN' }), caller({ role: 'VIEWER', personalData: true }), caller({ role: 'INTEGRATOR', personalData: true })]) {
    for (const entry of personalFields) expect(await readAs(who, entry)).toBe(SAMPLE[entry.mask]);
  }
});

it('every field whose name looks personal is marked @personal, or listed here with why it is not', () => {
  const unmarked: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const name = `${type.name}.${field.name}`;
      if (!LOOKS_PERSONAL.test(field.name) || getNamedType(field.type).name !== 'String') continue;
      const marked = personalFields.some((f) => f.type === type.name && f.field.name === field.name);
      if (!marked && !(name in NOT_PERSONAL)) unmarked.push(name);
    }
  }
  expect(unmarked).toEqual([]);
  const listed = Object.keys(NOT_PERSONAL).filter((name) => {
    const [type, field] = name.split('.');
    const t = schema.getType(type!);
    return !(isObjectType(t) && t.getFields()[field!]);
  });
  expect(listed).toEqual([]);
});
