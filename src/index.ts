// The programmatic API for test setups: `import { LocalCluster } from 'neon-local'`.
// Re-exports only; nothing here may pull in the CLI (oclif, listr2, chalk).
export { LocalCluster, DEFAULT_START_TIMEOUT_MS } from './cluster/local-cluster.js';
export type {
  StartOptions,
  StartResult,
  ClusterStatus,
  SafekeeperSignal,
  SafekeeperRef,
  LocalClusterOptions,
} from './cluster/local-cluster.js';
export type {
  CreateTimelineOptions,
  CreatedTimeline,
  PushWalOptions,
} from './cluster/timeline-api.js';
export type { SafekeeperAnswer, AnswerState } from './cluster/safekeeper-fanout.js';
export type {
  TimelineStatus,
  TimelineListEntry,
  BrokenTimelineStatus,
} from './protocol/timeline-status.js';
export { isBrokenTimeline } from './protocol/timeline-status.js';
export type { InitOptions } from './cluster/init.js';
export type { StorageListing, StorageObject } from './cluster/storage-ops.js';
export type { WaitOutcome, SafekeeperWaitState } from './cluster/timeline-wait.js';
export type { OffloadResult } from './cluster/wal-offload.js';
export type {
  InspectDocument,
  InspectedSafekeeper,
  InspectRound,
  BucketSegments,
} from './cluster/timeline-inspect.js';
export type { TrimResult, SafekeeperTrim, SegmentRange } from './cluster/wal-trim.js';
export type { WalPushRequest, WalPushResult, PushProgress } from './cluster/wal-push.js';
export type { ClusterConfig, SafekeeperConfig, RemoteStorageKind } from './cluster/config.js';
export type { ComponentStatus, StopReport } from './cluster/lifecycle.js';
export type { StopMode } from './cluster/process/stop-process.js';
export { AppError, EXIT_CODES } from './common/errors.js';
export { parseNodeId } from './common/ids.js';
