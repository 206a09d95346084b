import { Mailbox } from '../../src/modules/events/mailbox.js';
import { EventHub } from '../../src/modules/events/hub.js';
import { subscribeTo, SLOW_CLIENT_CLOSE_CODE } from '../../src/graphql/live.js';
import type { GraphQLContext } from '../../src/graphql/context.js';

describe('Mailbox', () => {
  it('hands items out in order, to a waiting consumer at once', async () => {
    const box = new Mailbox<number>({ limit: 10 });
    const waiting = box.next();
    box.push(1);
    box.push(2);
    box.push(3);
    expect(await waiting).toEqual({ value: 1, done: false });
    expect(await box.next()).toEqual({ value: 2, done: false });
    expect(await box.next()).toEqual({ value: 3, done: false });
  });

  it('past its limit it closes, empties and reports the overflow once', async () => {
    const overflow = jest.fn();
    const close = jest.fn();
    const box = new Mailbox<number>({ limit: 3, onOverflow: overflow, onClose: close });
    for (let i = 0; i < 10; i += 1) box.push(i);
    expect(overflow).toHaveBeenCalledTimes(1);
    expect(close).toHaveBeenCalledTimes(1);
    expect(box.size).toBe(0);
    expect(await box.next()).toEqual({ value: undefined, done: true });
  });

  it('return() ends a waiting consumer and unsubscribes', async () => {
    const close = jest.fn();
    const box = new Mailbox<number>({ limit: 3, onClose: close });
    const waiting = box.next();
    await box.return();
    expect(await waiting).toEqual({ value: undefined, done: true });
    expect(close).toHaveBeenCalledTimes(1);
    box.push(1);
    expect(box.size).toBe(0);
  });

  it('coalescing keeps only the newest item and spaces hand-outs by the interval', async () => {
    const box = new Mailbox<number>({ limit: 1, coalesce: { minIntervalMs: 100 } });
    box.push(1);
    const started = Date.now();
    expect((await box.next()).value).toBe(1);
    for (let i = 2; i <= 50; i += 1) box.push(i);
    expect(box.size).toBe(1);
    expect((await box.next()).value).toBe(50);
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
  });
});

describe('subscribeTo', () => {
  function liveContext(bufferLimit: number) {
    const hub = new EventHub();
    const drop = jest.fn();
    const renew = jest.fn();
    const ctx = { live: { hub, bufferLimit, statsIntervalMs: 50, drop }, renew } as unknown as GraphQLContext;
    return { hub, drop, renew, ctx };
  }

  it('drops a client that does not read with a close code and reason, and stops listening', () => {
    const { hub, drop, ctx } = liveContext(5);
    subscribeTo(ctx, (s) => (s.topic === 'conversionRecorded' ? s.conversionId : null));
    expect(hub.subscriberCount).toBe(1);
    for (let i = 0; i < 6; i += 1) hub.emit({ topic: 'conversionRecorded', conversionId: i, at: '' });
    expect(drop).toHaveBeenCalledWith(SLOW_CLIENT_CLOSE_CODE, expect.stringMatching(/too slow: more than 5 events/));
    expect(hub.subscriberCount).toBe(0);
  });

  it('renews the context before each item and ignores what the filter rejects', async () => {
    const { hub, renew, ctx } = liveContext(5);
    const stream = subscribeTo(ctx, (s) => (s.topic === 'conversionRecorded' ? s.conversionId : null));
    hub.emit({ topic: 'resync' });
    const event = { topic: 'conversionRecorded' as const, conversionId: 7, at: '' };
    hub.emit(event);
    expect(await stream.next()).toEqual({ value: 7, done: false });
    expect(renew).toHaveBeenCalledTimes(1);
    expect(renew).toHaveBeenCalledWith(event);
    await stream.return!();
    expect(hub.subscriberCount).toBe(0);
  });
});
