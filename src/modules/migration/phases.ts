import type { QueueStore } from '../queue-type.js';

/** The phases of the legacy migration, in the only order they may be taken. */
export const PHASES = ['PRE_MIGRATION', 'DUAL_WRITE', 'BACKFILLED', 'READ_NEW', 'NEW_ONLY', 'LEGACY_DEPRECATED'] as const;
export type MigrationPhase = (typeof PHASES)[number];

/** What a phase means, derived from it (never stored apart from it). */
export interface PhaseFlags {
  writesLegacy: boolean;
  writesSeparated: boolean;
  /** Where reads come from, and where the service writes first (the database mirrors the rest). */
  readsFrom: QueueStore;
  /** A failed read of the separated tables is served from call_queue instead. */
  fallbackToLegacy: boolean;
  legacyReadOnly: boolean;
}

const FLAGS: Readonly<Record<MigrationPhase, PhaseFlags>> = {
  PRE_MIGRATION: { writesLegacy: true, writesSeparated: false, readsFrom: 'legacy', fallbackToLegacy: false, legacyReadOnly: false },
  DUAL_WRITE: { writesLegacy: true, writesSeparated: true, readsFrom: 'legacy', fallbackToLegacy: false, legacyReadOnly: false },
  BACKFILLED: { writesLegacy: true, writesSeparated: true, readsFrom: 'legacy', fallbackToLegacy: false, legacyReadOnly: false },
  READ_NEW: { writesLegacy: true, writesSeparated: true, readsFrom: 'separated', fallbackToLegacy: true, legacyReadOnly: false },
  NEW_ONLY: { writesLegacy: false, writesSeparated: true, readsFrom: 'separated', fallbackToLegacy: false, legacyReadOnly: false },
  LEGACY_DEPRECATED: { writesLegacy: false, writesSeparated: true, readsFrom: 'separated', fallbackToLegacy: false, legacyReadOnly: true },
};

export const flagsOf = (phase: MigrationPhase): PhaseFlags => FLAGS[phase];
/** The phases in which an apply may copy: legacy is read, and its writes reach both sides. */
export const copiesLegacy = (phase: MigrationPhase): boolean => FLAGS[phase].readsFrom === 'legacy' && FLAGS[phase].writesSeparated;
export const nextPhase = (phase: MigrationPhase): MigrationPhase | null => PHASES[PHASES.indexOf(phase) + 1] ?? null;

/** The queue store a phase reads from and the service writes first: the one choice of store. */
export const storeOf = (phase: MigrationPhase): QueueStore => FLAGS[phase].readsFrom;
