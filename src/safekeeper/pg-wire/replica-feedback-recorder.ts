// Where a replica's feedback goes: its entry in the timeline's replica registry (standby status,
// hot-standby and pageserver feedback, the time of each), and the pageserver's ps_applylsn into
// the timeline's in-memory remote_consistent_lsn at once (a max: it never goes back), which the
// usual persist rules then take to the control file. It must not decode anything.
import type {
  StandbyHotStandbyFeedback,
  StandbyStatusUpdate,
} from '../../postgres/wire/replication-messages.js';
import type { PageserverFeedback } from '../../protocol/proposer-messages.js';
import type { ReplicaSlot } from '../timeline/replica-registry.js';
import type { Timeline } from '../timeline/timeline.js';
import type { ReplicaFeedbackSink } from './replication-stream.js';

export class ReplicaFeedbackRecorder implements ReplicaFeedbackSink {
  constructor(
    private readonly timeline: Timeline,
    private readonly replica: ReplicaSlot,
  ) {}

  standbyStatus(status: StandbyStatusUpdate): void {
    this.replica.recordStandbyStatus(status);
  }

  hotStandbyFeedback(feedback: StandbyHotStandbyFeedback): void {
    this.replica.recordHotStandbyFeedback({
      timestampMicros: feedback.sendTimeMicros,
      xmin: feedback.xmin,
      catalogXmin: feedback.catalogXmin,
    });
  }

  async pageserverFeedback(feedback: PageserverFeedback): Promise<void> {
    this.replica.recordPageserverFeedback(feedback);
    const applied = feedback.psApplyLsn;
    if (applied <= this.timeline.inmemLsns.remoteConsistentLsn) return;
    await this.timeline.withLock((locked) => locked.advanceInmem({ remoteConsistentLsn: applied }));
  }
}
