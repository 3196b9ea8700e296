// Tenant and timeline ids: 16 bytes, written as exactly 32 lower-case hex characters. Parsing is
// strict (no upper case, no separators), so a parsed id is always safe as a path component.
import { AppError } from './errors.js';

export type TenantId = string & { readonly __brand: 'TenantId' };
export type TimelineId = string & { readonly __brand: 'TimelineId' };

const HEX_ID = /^[0-9a-f]{32}$/;

export function isHexId(text: unknown): boolean {
  return typeof text === 'string' && HEX_ID.test(text);
}

function parseHexId(text: unknown, what: string): string {
  if (!isHexId(text)) {
    const shown = typeof text === 'string' ? `"${text.slice(0, 80)}"` : JSON.stringify(text);
    throw new AppError('usage', `invalid ${what} ${shown}: expected 32 lower-case hex characters`);
  }
  return text as string;
}

export function parseTenantId(text: unknown): TenantId {
  return parseHexId(text, 'tenant id') as TenantId;
}

export function parseTimelineId(text: unknown): TimelineId {
  return parseHexId(text, 'timeline id') as TimelineId;
}

/**
 * 16 random bytes from the CSPRNG, as hex. Through the global Web Crypto object, loaded on the first
 * call: importing node:crypto would load it (and its ESM facade's getters) in every CLI start.
 */
export function generateHexId(): string {
  return Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(16))).toString('hex');
}
