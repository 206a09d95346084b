import { isValidTimeZone, nextWindowOpening, parseWindow, tomorrowsOpening } from '../../src/modules/queue/calling-window.js';

const window = parseWindow('08:00', '21:00');

it('is open inside the window in the claimant’s zone', () => {
  // 14:00 UTC is 09:00 in Chicago (CDT, UTC−5) in June.
  expect(nextWindowOpening(new Date('2026-06-10T14:00:00Z'), 'America/Chicago', window)).toBeNull();
});

it('opens the same day at 08:00 local when it is early', () => {
  // 10:00 UTC = 05:00 Chicago → opens 13:00 UTC.
  expect(nextWindowOpening(new Date('2026-06-10T10:00:00Z'), 'America/Chicago', window)!.toISOString()).toBe('2026-06-10T13:00:00.000Z');
});

it('opens the next day at 08:00 local after 21:00, across a month end', () => {
  // 2026-06-30 21:30 in Tokyo (UTC+9) = 12:30 UTC → opens 2026-07-01 08:00 Tokyo = 2026-06-30T23:00Z.
  expect(nextWindowOpening(new Date('2026-06-30T12:30:00Z'), 'Asia/Tokyo', window)!.toISOString()).toBe('2026-06-30T23:00:00.000Z');
});

it('follows daylight saving: the opening after the spring change uses the new offset', () => {
  // New York moves to EDT (UTC−4) on 2026-03-08. At 2026-03-07 22:00 EST (03:00Z on the 8th) the
  // next opening is 2026-03-08 08:00 EDT = 12:00Z.
  expect(nextWindowOpening(new Date('2026-03-08T03:00:00Z'), 'America/New_York', window)!.toISOString()).toBe('2026-03-08T12:00:00.000Z');
});

it('is closed exactly at the end minute and open exactly at the start minute', () => {
  expect(nextWindowOpening(new Date('2026-06-10T08:00:00Z'), 'UTC', window)).toBeNull();
  expect(nextWindowOpening(new Date('2026-06-10T21:00:00Z'), 'UTC', window)!.toISOString()).toBe('2026-06-11T08:00:00.000Z');
});

it('finds tomorrow’s opening for the daily cap', () => {
  expect(tomorrowsOpening(new Date('2026-06-10T10:00:00Z'), 'Europe/London', window).toISOString()).toBe('2026-06-11T07:00:00.000Z');
});

it('validates windows and time zones', () => {
  expect(() => parseWindow('21:00', '08:00')).toThrow(/end after it starts/);
  expect(() => parseWindow('8am', '21:00')).toThrow(/HH:MM/);
  expect(isValidTimeZone('Europe/Paris')).toBe(true);
  expect(isValidTimeZone('Mars/Olympus')).toBe(false);
});

it('opens at the first of a time the clock shows twice, and a gap later at a time it skips', () => {
  const early = parseWindow('02:30', '23:00');
  // Berlin falls back on 2026-10-25 (03:00 CEST → 02:00 CET): 02:30 comes twice; the first is 00:30Z.
  expect(nextWindowOpening(new Date('2026-10-24T23:00:00Z'), 'Europe/Berlin', early)!.toISOString()).toBe('2026-10-25T00:30:00.000Z');
  // Berlin springs forward on 2026-03-29 (02:00 CET → 03:00 CEST): 02:30 does not exist, and the
  // window opens at 03:30 CEST (01:30Z), never before the change, when 01:30 still shows.
  expect(nextWindowOpening(new Date('2026-03-28T23:00:00Z'), 'Europe/Berlin', early)!.toISOString()).toBe('2026-03-29T01:30:00.000Z');
  expect(tomorrowsOpening(new Date('2026-03-28T12:00:00Z'), 'Europe/Berlin', early).toISOString()).toBe('2026-03-29T01:30:00.000Z');
  expect(nextWindowOpening(new Date('2026-03-08T05:00:00Z'), 'America/New_York', early)!.toISOString()).toBe('2026-03-08T07:30:00.000Z');
});
