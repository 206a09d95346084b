/**
 * How personal values read for a caller who may not see them (PersonalMask in the SDL). Enough
 * to tell people apart on a screen (an initial, a phone's area and last digits), not enough to
 * reach them.
 */
export type MaskKind = 'NAME' | 'PHONE' | 'TEXT';

const HIDDEN = '•••';

export function maskName(name: string): string {
  const first = [...name.trim()][0];
  return first ? `${first.toUpperCase()}.` : HIDDEN;
}

/** "+1 555 010 0303" → "+1 555 ••• 0303": the first four digits and the last four kept, the rest hidden. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  if (digits.length < 9) return HIDDEN;
  let seen = 0;
  let out = '';
  let hiding = false;
  for (const ch of phone) {
    if (!/\d/.test(ch)) {
      if (!hiding) out += ch;
      continue;
    }
    seen += 1;
    const keep = seen <= 4 || seen > digits.length - 4;
    if (keep) {
      if (hiding) out += `${HIDDEN} `;
      hiding = false;
      out += ch;
    } else {
      hiding = true;
    }
  }
  return out.replace(/\s+/g, ' ').trim();
}

export function mask(kind: MaskKind, value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (Array.isArray(value)) return value.map((v) => mask(kind, v));
  const text = String(value);
  if (kind === 'NAME') return maskName(text);
  if (kind === 'PHONE') return maskPhone(text);
  return HIDDEN;
}
