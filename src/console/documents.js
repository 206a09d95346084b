/*
 * The wallboard's GraphQL documents, in one module so what the benchmark runs is exactly what
 * the page runs (tests/bench/console.bench.ts imports it).
 */
const QUEUE_FIELDS = 'type depth availableNow assignedCount oldestPendingSince averageWaitSeconds';
const LINE_FIELDS = 'limit active available queuedDirect queuedCampaign estimatedDirectWaitSeconds estimatedCampaignWaitSeconds';
const AGENT_FIELDS = 'id name status workload { callsToday talkTimeSecondsToday currentEntry { userId queueType claimant { userId firstName lastName } } }';

/** The callbacks due soon (from two hours back, overdue but not yet missed, to one hour ahead). */
const CALLBACKS_FRAGMENT = `fragment DueCallbacks on Query {
  callbacks(status: PENDING, from: $dueFrom, to: $dueTo, first: 25) {
    nodes { id userId scheduledFor reason claimant { userId firstName lastName timezone } agent { id name } }
  }
}`;

export const WALLBOARD = `query Wallboard($dayStart: DateTime!, $dueFrom: DateTime!, $dueTo: DateTime!) {
  queues { ${QUEUE_FIELDS} }
  lineStatus { ${LINE_FIELDS} }
  conversionStats(from: $dayStart) { total }
  queueHistory(hours: 24) { at queueType depth }
  activity(hours: 24, bucketMinutes: 5) { from claims conversions }
  agents { ${AGENT_FIELDS} }
  ...DueCallbacks
}
${CALLBACKS_FRAGMENT}`;

export const DUE_CALLBACKS = `query DueCallbacks($dueFrom: DateTime!, $dueTo: DateTime!) { ...DueCallbacks }
${CALLBACKS_FRAGMENT}`;

/**
 * The wallboard's subscriptions: snapshots the server coalesces and shares between every
 * wallboard of the same key (queue figures per queue, lines, agents), and conversions as they
 * happen. No per-claim event stream: a wall of wallboards costs the server one execution per
 * change, not one per screen.
 */
export const WALLBOARD_SUBSCRIPTIONS = [
  { query: `subscription($t: QueueType!) { queueStats(queueType: $t) { ${QUEUE_FIELDS} } }`, perQueue: true },
  { query: `subscription { lineStatusChanged { ${LINE_FIELDS} } }` },
  { query: `subscription { agentsChanged { ${AGENT_FIELDS} } }` },
  { query: 'subscription { conversionRecorded { id convertedAt } }' },
];
