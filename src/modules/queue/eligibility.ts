import type { QueueType } from '../queue-type.js';
import { contactVerdict, type ContactFacts, type ContactSettings } from './contact-policy.js';

/**
 * The live checks of a claim (README, "Claiming"), as a pure decision on the facts loaded with the
 * locked entry. Facts that make the entry wrong remove it (with the reason); facts that only
 * say "not now" defer it to the time it becomes callable, so it keeps its place.
 * (The "claimant on a call" and "callback for another agent" checks are in the claim SQL, so
 * such entries are never locked by the wrong claim.)
 */
export interface EligibilityFacts extends ContactFacts {
  queueType: QueueType;
  scoreActive: boolean;
  converted: boolean;
  signatureObtained: boolean;
  hasPendingRequirement: boolean;
}

export type Verdict =
  | { kind: 'assign' }
  | { kind: 'remove'; reason: string }
  | { kind: 'defer'; until: Date; reason: string };

export type EligibilitySettings = ContactSettings;

export function checkEligibility(f: EligibilityFacts, now: Date, settings: EligibilitySettings): Verdict {
  if (!f.scoreActive) return { kind: 'remove', reason: 'score inactive' };
  if (f.doNotCall) return { kind: 'remove', reason: 'do not call' };
  if (f.converted) return { kind: 'remove', reason: 'already converted' };
  if (f.queueType === 'unsigned_users' && f.signatureObtained) return { kind: 'remove', reason: 'signature already obtained' };
  if (f.queueType === 'outstanding_requests' && !f.hasPendingRequirement) return { kind: 'remove', reason: 'no requirement pending' };
  // "Not now" is the contact policy's, shared with calls and callbacks.
  const contact = contactVerdict(f, now, settings);
  if (contact.kind === 'not_now') return { kind: 'defer', until: contact.until, reason: contact.reason };
  if (contact.kind === 'refused') return { kind: 'remove', reason: contact.reason };
  return { kind: 'assign' };
}
