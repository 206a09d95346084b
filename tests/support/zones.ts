/**
 * Time zones that make "now" a given local hour, whatever hour the tests run at: Etc/GMT±N
 * zones (sign reversed: Etc/GMT-5 is UTC+5) cover UTC−12 to UTC+14.
 */
export function zoneWhereLocalHourIs(hour: number, now = new Date()): string {
  let offset = (hour - now.getUTCHours() + 48) % 24;
  if (offset > 14) offset -= 24;
  if (offset === 0) return 'Etc/UTC';
  return offset > 0 ? `Etc/GMT-${offset}` : `Etc/GMT+${-offset}`;
}

export const DAYTIME = () => zoneWhereLocalHourIs(12);
export const NIGHT = () => zoneWhereLocalHourIs(3);
