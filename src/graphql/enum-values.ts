/**
 * GraphQL enums whose internal value is the lower-case name, which is what the database
 * stores (UNSIGNED_USERS ↔ 'unsigned_users'). Read by codegen.ts and by the schema builder so
 * resolvers and services speak database values and only the API speaks upper case.
 */
export const LOWERCASE_ENUMS = [
  'QueueType', 'EntryStatus', 'AgentStatus', 'SignatureStatus', 'SignatureType',
  'RequirementStatus', 'CallbackStatus', 'CallOutcome', 'PopulationTrigger', 'PopulationRunStatus',
  'CallType', 'CallSessionStatus', 'CallRequestStatus', 'CampaignStatus', 'QueueStore', 'MigrationRunKind',
  'MigrationRunStatus',
] as const;
