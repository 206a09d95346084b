/*
 * The wallboard's GraphQL documents, in one module so what the benchmark runs is exactly what
 * the page runs (tests/bench/console.bench.ts imports it).
 */
const QUEUE_FIELDS = 'type depth availableNow assignedCount oldestPendingSince averageWaitSeconds';
const LINE_FIELDS = 'limit active available queuedDirect queuedCampaign estimatedDirectWaitSeconds estimatedCampaignWaitSeconds';

/** Agents and the callbacks due: re-read (debounced) whenever a queue changes. */
const PEOPLE_FRAGMENT = `fragment People on Query {
  agents { id name status workload { callsToday talkTimeSecondsToday currentEntry { userId queueType claimant { userId firstName lastName } } } }
  callbacks(status: PENDING, from: $dueFrom, to: $dueTo, first: 25) {
    nodes { id userId scheduledFor reason claimant { userId firstName lastName timezone } agent { id name } }
  }
}`;

export const WALLBOARD = `query Wallboard($dayStart: DateTime!, $dueFrom: DateTime!, $dueTo: DateTime!) {
  queues { ${QUEUE_FIELDS} }
  lineStatus { ${LINE_FIELDS} }
  conversionStats(from: $dayStart) { total }
  queueHistory(hours: 24) { at queueType depth }
  activity(hours: 24, bucketMinutes: 5) { from calls conversions }
  ...People
}
${PEOPLE_FRAGMENT}`;

export const PEOPLE = `query People($dueFrom: DateTime!, $dueTo: DateTime!) { ...People }
${PEOPLE_FRAGMENT}`;

/** The wallboard's subscriptions: queueStats (once per queue), lines, queue changes, conversions. */
export const WALLBOARD_SUBSCRIPTIONS = [
  { query: `subscription($t: QueueType!) { queueStats(queueType: $t) { ${QUEUE_FIELDS} } }`, perQueue: true },
  { query: `subscription { lineStatusChanged { ${LINE_FIELDS} } }` },
  { query: 'subscription { queueChanged { kind } }' },
  { query: 'subscription { conversionRecorded { id convertedAt } }' },
];
