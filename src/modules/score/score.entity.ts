import { EntitySchema } from '@mikro-orm/core';
import { bigintCol, bool, int, text, time, timestamps } from '../../db/columns.js';
import type { QueueType } from '../queue-type.js';

/** One row per claimant: the score and the call bookkeeping the claim checks read. */
export interface UserCallScore {
  userId: number;
  currentScore: number;
  isActive: boolean;
  currentQueueType: QueueType | null;
  lastResetDate: string;
  lastQueueCheck: Date | null;
  totalAttempts: number;
  attemptsToday: number;
  lastCallAt: Date | null;
  lastOutcome: string | null;
  nextCallAfter: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export const UserCallScoreSchema = new EntitySchema<UserCallScore>({
  name: 'UserCallScore',
  tableName: 'user_call_scores',
  properties: {
    userId: bigintCol({ primary: true, autoincrement: false }),
    currentScore: int(),
    isActive: bool(),
    currentQueueType: text({ nullable: true }),
    lastResetDate: { type: 'date', columnType: 'date' },
    lastQueueCheck: time({ nullable: true }),
    totalAttempts: int(),
    attemptsToday: int(),
    lastCallAt: time({ nullable: true }),
    lastOutcome: text({ nullable: true }),
    nextCallAfter: time({ nullable: true }),
    ...timestamps(),
  } as never,
});
