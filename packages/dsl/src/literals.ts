// Decoding of literal tokens: numbers with units, money and JSON strings.
// Pure functions over token images; they report problems as values, never by throwing.

import type { NumberUnit } from './ast.js';

/** A decoded number, or the unit that could not be understood. */
export type DecodedNumber = { ok: true; value: number; unit: NumberUnit } | { ok: false; unit: string; value: number };

const UNIT_SCALE: Record<string, { unit: NumberUnit; scale: number }> = {
  '': { unit: 'none', scale: 1 },
  k: { unit: 'count', scale: 1_000 },
  K: { unit: 'count', scale: 1_000 },
  M: { unit: 'count', scale: 1_000_000 },
  ms: { unit: 'duration', scale: 1 },
  s: { unit: 'duration', scale: 1_000 },
  m: { unit: 'duration', scale: 60_000 },
  h: { unit: 'duration', scale: 3_600_000 },
  '%': { unit: 'percent', scale: 1 },
};

/** The units a number may carry, for messages. */
export const NUMBER_UNITS = ['k', 'M', 'ms', 's', 'm', 'h', '%'] as const;

/** Decodes `8k`, `250ms`, `90%`, `0.8`. Durations are in milliseconds. */
export function decodeNumber(raw: string): DecodedNumber {
  const match = /^([0-9]+(?:\.[0-9]+)?)(.*)$/.exec(raw);
  const digits = match?.[1] ?? '0';
  const suffix = match?.[2] ?? '';
  const base = Number(digits);
  const unit = UNIT_SCALE[suffix];
  if (unit === undefined) return { ok: false, unit: suffix, value: base };
  // Multiply in a way that keeps `0.15k` exact enough: scale decimal digits first.
  return { ok: true, value: scaleDecimal(digits, unit.scale), unit: unit.unit };
}

/** Decodes `$0.15`, `$5`, `$2k` into dollars. */
export function decodeMoney(raw: string): { ok: true; value: number } | { ok: false; unit: string; value: number } {
  const match = /^\$([0-9]+(?:\.[0-9]+)?)(.*)$/.exec(raw);
  const digits = match?.[1] ?? '0';
  const suffix = match?.[2] ?? '';
  if (suffix === '') return { ok: true, value: Number(digits) };
  if (suffix === 'k' || suffix === 'K') return { ok: true, value: scaleDecimal(digits, 1_000) };
  if (suffix === 'M') return { ok: true, value: scaleDecimal(digits, 1_000_000) };
  return { ok: false, unit: suffix, value: Number(digits) };
}

function scaleDecimal(digits: string, scale: number): number {
  if (scale === 1) return Number(digits);
  const [whole = '0', fraction = ''] = digits.split('.');
  const zeros = Math.round(Math.log10(scale));
  if (10 ** zeros === scale && fraction.length <= zeros) {
    return Number(whole + fraction.padEnd(zeros, '0'));
  }
  return Number(digits) * scale;
}

/** A decoded string, or the offset (within `raw`) of the first invalid escape. */
export type DecodedString = { ok: true; value: string } | { ok: false; value: string; badEscapeAt: number };

/** Decodes a JSON string literal (its quotes included; a missing closing quote is tolerated). */
export function decodeString(raw: string): DecodedString {
  const closed = raw.length >= 2 && raw.endsWith('"') && !raw.endsWith('\\"');
  const body = raw.slice(1, closed ? -1 : undefined);
  if (!body.includes('\\')) return { ok: true, value: body };
  let out = '';
  let badEscapeAt = -1;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = body[i + 1];
    i++;
    switch (next) {
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case '/':
        out += '/';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        const hex = body.slice(i + 1, i + 5);
        if (/^[0-9a-fA-F]{4}$/.test(hex)) {
          out += String.fromCharCode(Number.parseInt(hex, 16));
          i += 4;
        } else if (badEscapeAt < 0) {
          badEscapeAt = i; // offset of `u` in body; +1 for the opening quote gives the backslash... see below
        }
        break;
      }
      default:
        if (badEscapeAt < 0) badEscapeAt = i;
        out += next ?? '';
    }
  }
  // `badEscapeAt` indexes the character after the backslash in `body`; in `raw` the backslash is at that index.
  return badEscapeAt < 0 ? { ok: true, value: out } : { ok: false, value: out, badEscapeAt };
}

/** Encodes a string as a JSON string literal. */
export function encodeString(value: string): string {
  return JSON.stringify(value);
}
