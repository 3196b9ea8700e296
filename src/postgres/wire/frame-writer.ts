// Builds outgoing PostgreSQL v3 frames: a typed message (one type byte, an int32 big-endian
// length counting itself but not the type byte, then the body) or an untyped startup packet
// (int32 length counting itself, int32 code, body), and NUL-terminated UTF-8 strings.
// It rejects only what would break framing: a NUL inside a string, a type that is not one byte.
import { assert } from '../../common/assert.js';
import { AppError } from '../../common/errors.js';

export const LENGTH_FIELD_BYTES = 4;
export const MESSAGE_HEADER_BYTES = 1 + LENGTH_FIELD_BYTES;
/** Startup packets: the length field and the protocol (or request) code. */
export const STARTUP_HEADER_BYTES = LENGTH_FIELD_BYTES + 4;

/**
 * Writes a message header (`type`, then the length of a `bodyBytes` body) into the first
 * MESSAGE_HEADER_BYTES of `frame`; the body follows it, in `frame` or sent after it.
 */
export function writeMessageHeader(frame: Buffer, type: string, bodyBytes: number): void {
  assert(
    type.length === 1 && type.charCodeAt(0) < 0x80,
    () => `message type "${type}" is one ASCII byte`,
  );
  frame.write(type, 0, 'ascii');
  frame.writeInt32BE(LENGTH_FIELD_BYTES + bodyBytes, 1);
}

/** One message frame: `type`, then the length, then the parts of the body in order. */
export function encodeMessageFrame(type: string, ...bodyParts: readonly Uint8Array[]): Buffer {
  const bodyBytes = bodyParts.reduce((sum, part) => sum + part.length, 0);
  const frame = Buffer.allocUnsafe(MESSAGE_HEADER_BYTES + bodyBytes);
  writeMessageHeader(frame, type, bodyBytes);
  let offset = MESSAGE_HEADER_BYTES;
  for (const part of bodyParts) {
    frame.set(part, offset);
    offset += part.length;
  }
  return frame;
}

/** One startup-phase packet: the length, `code`, then the body. */
export function encodeStartupFrame(code: number, body: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(STARTUP_HEADER_BYTES + body.length);
  frame.writeInt32BE(frame.length, 0);
  frame.writeInt32BE(code, LENGTH_FIELD_BYTES);
  frame.set(body, STARTUP_HEADER_BYTES);
  return frame;
}

/** `text` as UTF-8 plus a NUL; `what` names the string in the error about an embedded NUL. */
export function encodeCString(text: string, what: string): Buffer {
  if (text.includes('\0')) {
    throw new AppError('usage', `${what} must not contain a NUL character`);
  }
  return Buffer.from(`${text}\0`, 'utf8');
}

export function encodeInt16(value: number): Buffer {
  const bytes = Buffer.allocUnsafe(2);
  bytes.writeInt16BE(value);
  return bytes;
}

export function encodeInt32(value: number): Buffer {
  const bytes = Buffer.allocUnsafe(4);
  bytes.writeInt32BE(value);
  return bytes;
}
