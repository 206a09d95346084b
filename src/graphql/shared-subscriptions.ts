import { getOperationAST, subscribe, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { Mailbox } from '../modules/events/mailbox.js';
import type { GraphQLContext } from './context.js';
import { SLOW_CLIENT_CLOSE_CODE } from './live.js';

/**
 * Subscribers asking the same thing share one execution per event. 250 dashboards on an
 * instance following `queueChanged` with the same document, variables and caller identity
 * would otherwise each run graphql-js over every event — 250 executions where one gives the
 * same answer. Each member keeps its own bounded mailbox, so a slow client is dropped without
 * slowing the others.
 *
 * Event streams: a member who joins late receives the events after it joined, as it would
 * alone. Snapshot streams (queueStats, lineStatusChanged, agentsChanged, liveStatus) are shared
 * too — 50 wallboards would otherwise run 50 identical snapshot queries per change: a member
 * who joins a running group gets the group's latest snapshot at once (it reflects every change
 * up to the last one, and a newer one follows any change since), and its mailbox keeps only
 * the newest snapshot, so a slow client is sent fewer snapshots instead of being dropped.
 */
const EVENT_FIELDS = new Set(['queueChanged', 'callbackDue', 'callRequestUpdated', 'conversionRecorded', 'migrationProgress']);
const SNAPSHOT_FIELDS = new Set(['queueStats', 'lineStatusChanged', 'agentsChanged', 'liveStatus']);

interface Group {
  members: Set<Mailbox<ExecutionResult>>;
  source: AsyncIterator<ExecutionResult>;
  snapshots: boolean;
  /** A snapshot group's latest result: a late member's first snapshot. */
  latest: ExecutionResult | null;
}

export class SharedSubscriptions {
  private readonly groups = new Map<string, Group>();
  private activeCount = 0;

  constructor(private readonly bufferLimit: number, private readonly onCount?: (active: number) => void) {}

  /** Subscriptions of clients listening now, shared or not. */
  get active(): number {
    return this.activeCount;
  }

  /** A drop-in for graphql-js `subscribe`, as graphql-ws calls it. */
  async subscribe(args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
    const ctx = args.contextValue as GraphQLContext;
    const shared = shareKey(args, ctx);
    if (shared === null) {
      const result = await subscribe(args);
      return isAsyncIterator(result) ? this.counted(result) : result;
    }
    const { key, snapshots } = shared;
    let group = this.groups.get(key);
    if (!group) {
      const result = await subscribe(args);
      if (!isAsyncIterator(result)) return result;
      // Another member may have started the same group while this one awaited.
      group = this.groups.get(key);
      if (group) {
        void result.return?.();
      } else {
        group = { members: new Set(), source: result, snapshots, latest: null };
        this.groups.set(key, group);
        void this.pump(key, group);
      }
    }
    return this.join(key, group, ctx);
  }

  private join(key: string, group: Group, ctx: GraphQLContext): Mailbox<ExecutionResult> {
    const member: Mailbox<ExecutionResult> = new Mailbox<ExecutionResult>({
      limit: this.bufferLimit,
      coalesce: group.snapshots ? { minIntervalMs: 0 } : undefined,
      onOverflow: () => ctx.live?.drop(SLOW_CLIENT_CLOSE_CODE,
        `too slow: more than ${this.bufferLimit} events waiting; reconnect and resubscribe`),
      onClose: () => {
        this.count(-1);
        group.members.delete(member);
        if (group.members.size === 0 && this.groups.get(key) === group) {
          this.groups.delete(key);
          void group.source.return?.();
        }
      },
    });
    group.members.add(member);
    if (group.latest) member.push(group.latest);
    this.count(1);
    return member;
  }

  private count(delta: number): void {
    this.activeCount += delta;
    this.onCount?.(this.activeCount);
  }

  /** An unshared stream, counted until it ends or the client leaves. */
  private counted(stream: AsyncIterableIterator<ExecutionResult>): AsyncIterableIterator<ExecutionResult> {
    this.count(1);
    let ended = false;
    const end = () => {
      if (!ended) this.count(-1);
      ended = true;
    };
    return {
      next: async () => {
        const result = await stream.next();
        if (result.done) end();
        return result;
      },
      return: async () => {
        end();
        return (await stream.return?.()) ?? { value: undefined, done: true };
      },
      throw: async (error: unknown) => {
        end();
        if (stream.throw) return stream.throw(error);
        throw error;
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  /** Executes each event once and hands the result to every member. */
  private async pump(key: string, group: Group): Promise<void> {
    try {
      for (;;) {
        const next = await group.source.next();
        if (next.done) break;
        if (group.snapshots) group.latest = next.value;
        for (const member of group.members) member.push(next.value);
      }
    } catch (error) {
      const failed: ExecutionResult = { errors: [error instanceof Error ? (error as never) : new Error(String(error)) as never] };
      for (const member of group.members) member.push(failed);
    } finally {
      if (this.groups.get(key) === group) this.groups.delete(key);
      for (const member of [...group.members]) void member.return();
    }
  }
}

function isAsyncIterator(value: unknown): value is AsyncIterableIterator<ExecutionResult> {
  return typeof (value as AsyncIterable<unknown>)?.[Symbol.asyncIterator] === 'function';
}

/** Same document, operation, variables and caller identity: the same results. */
function shareKey(args: ExecutionArgs, ctx: GraphQLContext): { key: string; snapshots: boolean } | null {
  const operation = getOperationAST(args.document, args.operationName);
  const fields = operation?.selectionSet.selections ?? [];
  if (fields.length !== 1 || fields[0]!.kind !== 'Field') return null;
  const name = fields[0]!.name.value;
  if (!EVENT_FIELDS.has(name) && !SNAPSHOT_FIELDS.has(name)) return null;
  const caller = ctx.caller;
  if (!caller) return null;
  const source = args.document.loc?.source.body;
  if (!source) return null;
  return {
    key: JSON.stringify([caller.role, caller.agentId ?? null, args.operationName ?? null, source, args.variableValues ?? {}]),
    snapshots: SNAPSHOT_FIELDS.has(name),
  };
}
