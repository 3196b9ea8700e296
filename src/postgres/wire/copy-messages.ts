// The COPY sub-protocol messages that look the same in both directions: CopyData ('d', the
// payload as the whole body) and CopyDone ('c', empty body). Both backend-messages.ts and
// frontend-messages.ts re-export these; there is one encoder per message.
import { encodeMessageFrame } from './frame-writer.js';

/** A CopyData frame; the payload is copied into the frame. */
export function encodeCopyData(payload: Uint8Array): Buffer {
  return encodeMessageFrame('d', payload);
}

export function encodeCopyDone(): Buffer {
  return encodeMessageFrame('c');
}
