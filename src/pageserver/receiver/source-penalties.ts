// Safekeepers a timeline passes over for a while after their connection failed, so that the next
// attempt tries another one instead of the one that just died (discovery may still list it).
import type { NodeId } from '../../common/ids.js';
import { SOURCE_FAILURE_PENALTY_MS } from '../limits.js';

export class SourcePenalties {
  readonly #untilMs = new Map<NodeId, number>();

  penalize(id: NodeId, nowMs = Date.now()): void {
    this.#untilMs.set(id, nowMs + SOURCE_FAILURE_PENALTY_MS);
  }

  isPenalized(id: NodeId, nowMs = Date.now()): boolean {
    return (this.#untilMs.get(id) ?? 0) > nowMs;
  }
}
