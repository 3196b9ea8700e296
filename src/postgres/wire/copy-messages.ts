// The COPY sub-protocol messages that look the same in both directions: CopyData ('d', the
// payload as the whole body) and CopyDone ('c', empty body). Both backend-messages.ts and
// frontend-messages.ts re-export these; there is one encoder per message.
import { encodeMessageFrame, MESSAGE_HEADER_BYTES, writeMessageHeader } from './frame-writer.js';

/** A CopyData frame; the payload is copied into the frame. */
export function encodeCopyData(payload: Uint8Array): Buffer {
  return encodeMessageFrame('d', payload);
}

/** Bytes a payload must leave in front of itself for copyDataInPlace. */
export const COPY_DATA_HEADER_BYTES = MESSAGE_HEADER_BYTES;

/**
 * Makes `frame` a CopyData frame by writing the header into its first COPY_DATA_HEADER_BYTES:
 * the payload, already after them, is not copied.
 */
export function copyDataInPlace(frame: Buffer): Buffer {
  writeMessageHeader(frame, 'd', frame.length - COPY_DATA_HEADER_BYTES);
  return frame;
}

/** A CopyData header for a `payloadBytes` payload sent after it (not copied). */
export function encodeCopyDataHeader(payloadBytes: number): Buffer {
  const header = Buffer.allocUnsafe(COPY_DATA_HEADER_BYTES);
  writeMessageHeader(header, 'd', payloadBytes);
  return header;
}

export function encodeCopyDone(): Buffer {
  return encodeMessageFrame('c');
}
