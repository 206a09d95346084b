import { AgentSchema } from '../modules/agent/agent.entity.js';
import { ApiKeySchema } from '../modules/auth/api-key.entity.js';
import { CallRequestSchema, CallSessionSchema, CampaignSchema } from '../modules/call/call.entity.js';
import { CallbackSchema } from '../modules/callback/callback.entity.js';
import { ClaimantSchema, ClaimRequirementSchema } from '../modules/claimant/claimant.entity.js';
import { ConversionSchema } from '../modules/conversion/conversion.entity.js';
import { MigrationRunSchema, MigrationStateSchema } from '../modules/migration/migration.entity.js';
import {
  LegacyQueueEntrySchema, OutstandingRequestEntrySchema, QueueTransitionSchema,
  UnsignedUserEntrySchema,
} from '../modules/queue/queue.entity.js';
import { PopulationRunSchema } from '../modules/repopulation/population-run.entity.js';
import { UserCallScoreSchema } from '../modules/score/score.entity.js';

/** Every table of the data model (README) that the ORM maps (the entity registry). */
export const entities = [
  AgentSchema, ApiKeySchema, CallRequestSchema, CallSessionSchema, CampaignSchema, CallbackSchema,
  ClaimantSchema, ClaimRequirementSchema, ConversionSchema, MigrationRunSchema, MigrationStateSchema,
  LegacyQueueEntrySchema, OutstandingRequestEntrySchema, PopulationRunSchema, QueueTransitionSchema,
  UnsignedUserEntrySchema, UserCallScoreSchema,
];
