import { toDate } from '../../db/sql.js';
import type { Edge, Page } from '../pagination.js';
import type { EntryStatus, QueueType } from '../queue-type.js';

/** A queue entry as services hand it to the API, whichever table it came from: the one list of entry fields. */
export interface QueueEntryBase {
  id: number;
  userId: number;
  claimId: string;
  priorityScore: number;
  status: EntryStatus;
  assignedToAgentId: number | null;
  assignedAt: Date | null;
  availableFrom: Date;
  /** available_from exactly as Postgres wrote it (microseconds), for cursors. */
  availableFromKey: string;
  callbackId: number | null;
  callbackScheduledFor: Date | null;
  callbackReason: string | null;
  enqueuedAt: Date;
  closedReason: string | null;
}

export interface UnsignedUserEntryRecord extends QueueEntryBase {
  queueType: 'unsigned_users';
  signatureMissingSince: Date | null;
  signatureType: string | null;
  remindersSent: number;
  urgentSignature: boolean;
}

export interface OutstandingRequestEntryRecord extends QueueEntryBase {
  queueType: 'outstanding_requests';
  requirementTypes: string[];
  totalRequirements: number;
  pendingRequirements: number;
  escalationLevel: number;
  documentDeadline: Date | null;
}

export type QueueEntryRecord = UnsignedUserEntryRecord | OutstandingRequestEntryRecord;
export type QueueEntryPage = Page<QueueEntryRecord>;
export type QueueEntryEdge = Edge<QueueEntryRecord>;

/** The row shape of queue.sql.ts's entry SELECT (both tables, one column set). */
export interface EntryRow {
  queue_type: QueueType;
  id: number;
  user_id: number;
  claim_id: string;
  priority_score: number;
  status: EntryStatus;
  assigned_to_agent_id: number | null;
  assigned_at: string | null;
  available_from: string;
  callback_id: number | null;
  callback_scheduled_for: string | null;
  callback_reason: string | null;
  enqueued_at: string;
  closed_reason: string | null;
  signature_missing_since: string | null;
  signature_type: string | null;
  reminders_sent: number | null;
  urgent_signature: boolean | null;
  requirement_types: string[] | null;
  total_requirements: number | null;
  pending_requirements: number | null;
  escalation_level: number | null;
  document_deadline: string | null;
}

export function toEntryRecord(row: EntryRow): QueueEntryRecord {
  const base: QueueEntryBase = {
    id: row.id,
    userId: row.user_id,
    claimId: row.claim_id,
    priorityScore: row.priority_score,
    status: row.status,
    assignedToAgentId: row.assigned_to_agent_id,
    assignedAt: toDate(row.assigned_at),
    availableFrom: toDate(row.available_from)!,
    availableFromKey: row.available_from,
    callbackId: row.callback_id,
    callbackScheduledFor: toDate(row.callback_scheduled_for),
    callbackReason: row.callback_reason,
    enqueuedAt: toDate(row.enqueued_at)!,
    closedReason: row.closed_reason,
  };
  if (row.queue_type === 'unsigned_users') {
    return {
      ...base,
      queueType: 'unsigned_users',
      signatureMissingSince: toDate(row.signature_missing_since),
      signatureType: row.signature_type,
      remindersSent: row.reminders_sent ?? 0,
      urgentSignature: row.urgent_signature ?? false,
    };
  }
  return {
    ...base,
    queueType: 'outstanding_requests',
    requirementTypes: row.requirement_types ?? [],
    totalRequirements: row.total_requirements ?? 0,
    pendingRequirements: row.pending_requirements ?? 0,
    escalationLevel: row.escalation_level ?? 0,
    documentDeadline: toDate(row.document_deadline),
  };
}

/**
 * An entry from its image: to_jsonb of a queue row and its queue_type, as the database's own
 * functions return it (claim.sql.ts); each table's extras, null for the other's.
 */
export function entryFromImage(image: Record<string, unknown>): QueueEntryRecord {
  const get = <T>(key: string) => (image[key] ?? null) as T;
  return toEntryRecord({
    queue_type: image.queue_type as QueueType, id: Number(image.id), user_id: Number(image.user_id), claim_id: get('claim_id'),
    priority_score: get('priority_score'), status: get('status'), assigned_to_agent_id: image.assigned_to_agent_id == null ? null : Number(image.assigned_to_agent_id),
    assigned_at: get('assigned_at'), available_from: get('available_from'), callback_id: image.callback_id == null ? null : Number(image.callback_id),
    callback_scheduled_for: get('callback_scheduled_for'), callback_reason: get('callback_reason'), enqueued_at: get('enqueued_at'),
    closed_reason: get('closed_reason'), signature_missing_since: get('signature_missing_since'), signature_type: get('signature_type'),
    reminders_sent: get('reminders_sent'), urgent_signature: get('urgent_signature'), requirement_types: get('requirement_types'),
    total_requirements: get('total_requirements'), pending_requirements: get('pending_requirements'),
    escalation_level: get('escalation_level'), document_deadline: get('document_deadline'),
  });
}

/** Claim order key of an entry: priority DESC, available_from, id. */
export const claimOrderKey = (e: QueueEntryRecord) => [e.priorityScore, e.availableFromKey, e.id] as const;

/** The score-derived columns of an entry (entry-details.ts computes them from the facts). */
export interface EntryDetails {
  priorityScore: number;
  signatureMissingSince?: Date | null;
  signatureType?: string | null;
  urgentSignature?: boolean;
  requirementTypes?: string[];
  totalRequirements?: number;
  pendingRequirements?: number;
  escalationLevel?: number;
  documentDeadline?: Date | null;
}

/** An entry to insert; what a transition carries over is optional. */
export interface NewEntry extends EntryDetails {
  queueType: QueueType;
  userId: number;
  claimId: string;
  enqueuedAt?: Date;
  availableFrom?: Date;
  /** Carried over by a transition: an assigned entry stays with its agent. */
  assignedToAgentId?: number | null;
  assignedAt?: Date | null;
  callbackId?: number | null;
  callbackScheduledFor?: Date | null;
  callbackReason?: string | null;
  remindersSent?: number;
}
