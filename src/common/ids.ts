// Node ids (safekeeper ids): positive decimal integers, multi-digit allowed.
import { AppError } from './errors.js';

export type NodeId = number & { readonly __brand: 'NodeId' };

export const NODE_ID_MAX = 2 ** 31 - 1;

export function isValidNodeId(value: unknown): value is NodeId {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= NODE_ID_MAX;
}

/** Parses a decimal id as typed by a user ("2"); rejects "02x", "-1", "1.5", "". */
export function parseNodeId(text: string, what = 'safekeeper id'): NodeId {
  const value = /^[1-9]\d{0,9}$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!isValidNodeId(value)) {
    throw new AppError('usage', `invalid ${what} "${text}": expected a positive integer`);
  }
  return value;
}
