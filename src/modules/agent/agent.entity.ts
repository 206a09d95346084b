import { EntitySchema } from '@mikro-orm/core';
import { bool, int, text, timestamps } from '../../db/columns.js';

export type AgentStatus = 'available' | 'on_call' | 'wrap_up' | 'offline';

export interface Agent {
  id: number;
  name: string;
  email: string;
  status: AgentStatus;
  isActive: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export const AgentSchema = new EntitySchema<Agent>({
  name: 'Agent',
  tableName: 'agents',
  properties: {
    id: int({ primary: true, autoincrement: true }),
    name: text(),
    email: text(),
    status: text(),
    isActive: bool(),
    ...timestamps(),
  } as never,
});
