import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261123000001_legacy_schema } from './Migration20261123000001_legacy_schema.js';
import { Migration20261123000002_scoring_upgrade } from './Migration20261123000002_scoring_upgrade.js';
import { Migration20261123000003_separated_queues } from './Migration20261123000003_separated_queues.js';
import { Migration20261123000004_repopulation_and_callbacks } from './Migration20261123000004_repopulation_and_callbacks.js';
import { Migration20261123000005_lines } from './Migration20261123000005_lines.js';
import { Migration20261123000006_legacy_migration } from './Migration20261123000006_legacy_migration.js';
import { Migration20261201000007_policy_in_sql } from './Migration20261201000007_policy_in_sql.js';
import { Migration20261201000008_contact_policy } from './Migration20261201000008_contact_policy.js';
import { Migration20261202000009_dispatch_policy } from './Migration20261202000009_dispatch_policy.js';
import { Migration20261202000010_console } from './Migration20261202000010_console.js';
import { Migration20261202000011_key_lifecycle } from './Migration20261202000011_key_lifecycle.js';
import { Migration20261202000012_assignment_leases } from './Migration20261202000012_assignment_leases.js';
import { Migration20261202000013_operator_views } from './Migration20261202000013_operator_views.js';
import { Migration20261202000014_event_log } from './Migration20261202000014_event_log.js';
import { Migration20261202000015_webhooks } from './Migration20261202000015_webhooks.js';
import { Migration20261202000016_fact_events } from './Migration20261202000016_fact_events.js';
import { Migration20261202000017_personal_data } from './Migration20261202000017_personal_data.js';
import { Migration20261202000018_claim_in_sql } from './Migration20261202000018_claim_in_sql.js';
import { Migration20261202000019_outcome_in_sql } from './Migration20261202000019_outcome_in_sql.js';
import { Migration20261202000020_dispatch_in_sql } from './Migration20261202000020_dispatch_in_sql.js';
import { Migration20261202000021_calls_in_sql } from './Migration20261202000021_calls_in_sql.js';
import { Migration20261202000022_queue_inserts_by_statement } from './Migration20261202000022_queue_inserts_by_statement.js';
import { Migration20261202000023_queue_live_counts } from './Migration20261202000023_queue_live_counts.js';
import { Migration20261202000024_policy_in_float8 } from './Migration20261202000024_policy_in_float8.js';
import { Migration20261202000025_events_after_commit } from './Migration20261202000025_events_after_commit.js';

/**
 * Every migration, in order. Listed explicitly rather than discovered by glob so the same
 * list loads under tsx (ESM) and ts-jest (CommonJS) with no dynamic import. Append only.
 */
export const migrationsList: MigrationObject[] = [
  { name: 'Migration20261123000001_legacy_schema', class: Migration20261123000001_legacy_schema },
  { name: 'Migration20261123000002_scoring_upgrade', class: Migration20261123000002_scoring_upgrade },
  { name: 'Migration20261123000003_separated_queues', class: Migration20261123000003_separated_queues },
  { name: 'Migration20261123000004_repopulation_and_callbacks', class: Migration20261123000004_repopulation_and_callbacks },
  { name: 'Migration20261123000005_lines', class: Migration20261123000005_lines },
  { name: 'Migration20261123000006_legacy_migration', class: Migration20261123000006_legacy_migration },
  { name: 'Migration20261201000007_policy_in_sql', class: Migration20261201000007_policy_in_sql },
  { name: 'Migration20261201000008_contact_policy', class: Migration20261201000008_contact_policy },
  { name: 'Migration20261202000009_dispatch_policy', class: Migration20261202000009_dispatch_policy },
  { name: 'Migration20261202000010_console', class: Migration20261202000010_console },
  { name: 'Migration20261202000011_key_lifecycle', class: Migration20261202000011_key_lifecycle },
  { name: 'Migration20261202000012_assignment_leases', class: Migration20261202000012_assignment_leases },
  { name: 'Migration20261202000013_operator_views', class: Migration20261202000013_operator_views },
  { name: 'Migration20261202000014_event_log', class: Migration20261202000014_event_log },
  { name: 'Migration20261202000015_webhooks', class: Migration20261202000015_webhooks },
  { name: 'Migration20261202000016_fact_events', class: Migration20261202000016_fact_events },
  { name: 'Migration20261202000017_personal_data', class: Migration20261202000017_personal_data },
  { name: 'Migration20261202000018_claim_in_sql', class: Migration20261202000018_claim_in_sql },
  { name: 'Migration20261202000019_outcome_in_sql', class: Migration20261202000019_outcome_in_sql },
  { name: 'Migration20261202000020_dispatch_in_sql', class: Migration20261202000020_dispatch_in_sql },
  { name: 'Migration20261202000021_calls_in_sql', class: Migration20261202000021_calls_in_sql },
  { name: 'Migration20261202000022_queue_inserts_by_statement', class: Migration20261202000022_queue_inserts_by_statement },
  { name: 'Migration20261202000023_queue_live_counts', class: Migration20261202000023_queue_live_counts },
  { name: 'Migration20261202000024_policy_in_float8', class: Migration20261202000024_policy_in_float8 },
  { name: 'Migration20261202000025_events_after_commit', class: Migration20261202000025_events_after_commit },
];
