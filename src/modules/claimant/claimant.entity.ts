import { EntitySchema } from '@mikro-orm/core';
import { bigintCol, bigintId, bool, text, time, timestamps } from '../../db/columns.js';

export type SignatureStatus = 'missing' | 'obtained';
export type SignatureType = 'initial' | 'update' | 'renewal';
export type RequirementStatus = 'pending' | 'received' | 'waived';

/** A person with a claim; `userId` comes from the claims platform. */
export interface Claimant {
  userId: number;
  claimId: string;
  firstName: string | null;
  lastName: string | null;
  phone: string | null;
  timezone: string;
  signatureStatus: SignatureStatus;
  signatureMissingSince: Date | null;
  signatureType: SignatureType | null;
  doNotCall: boolean;
  convertedAt: Date | null;
  /** When its personal data was erased (eraseClaimant). */
  erasedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A document a claimant owes. */
export interface ClaimRequirement {
  id: number;
  userId: number;
  claimId: string;
  requirementType: string;
  status: RequirementStatus;
  deadline: Date | null;
  receivedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export const ClaimantSchema = new EntitySchema<Claimant>({
  name: 'Claimant',
  tableName: 'claimants',
  properties: {
    userId: bigintCol({ primary: true, autoincrement: false }),
    claimId: text(),
    firstName: text({ nullable: true }),
    lastName: text({ nullable: true }),
    phone: text({ nullable: true }),
    timezone: text(),
    signatureStatus: text(),
    signatureMissingSince: time({ nullable: true }),
    signatureType: text({ nullable: true }),
    doNotCall: bool(),
    convertedAt: time({ nullable: true }),
    erasedAt: time({ nullable: true }),
    ...timestamps(),
  } as never,
});

export const ClaimRequirementSchema = new EntitySchema<ClaimRequirement>({
  name: 'ClaimRequirement',
  tableName: 'claim_requirements',
  properties: {
    id: bigintId(),
    userId: bigintCol(),
    claimId: text(),
    requirementType: text(),
    status: text(),
    deadline: time({ nullable: true }),
    receivedAt: time({ nullable: true }),
    ...timestamps(),
  } as never,
});
