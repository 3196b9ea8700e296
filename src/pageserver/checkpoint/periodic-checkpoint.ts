// The periodic checkpoint (a supervised task): every --checkpoint-interval, each timeline whose
// durable WAL is beyond what is uploaded gets a checkpoint. A failed checkpoint is logged as a
// warning and tried again next round; it never ends the task.
import { sleepMs } from '../../common/deadline.js';
import { describeError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { TimelineRegistry } from '../timeline/timeline-registry.js';

export async function runPeriodicCheckpoints(
  registry: TimelineRegistry,
  intervalMs: number,
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  for (;;) {
    await sleepMs(intervalMs, signal);
    if (signal.aborted) break;
    for (const timeline of registry.list()) {
      const durableLsn = timeline.wal?.durableLsn;
      if (timeline.isBroken || durableLsn === undefined || durableLsn <= timeline.uploadedLsn)
        continue;
      try {
        await timeline.checkpoint();
      } catch (error) {
        timeline.log.warn({ err: describeError(error) }, 'periodic checkpoint failed');
      }
    }
  }
  log.debug('periodic checkpoints stopped');
}
