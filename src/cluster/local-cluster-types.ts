// The option and result types of the programmatic API (LocalCluster), and how a safekeeper id
// written by a test author (2, '2' or a NodeId) becomes a NodeId. Types and one pure function.
import { parseNodeId, type NodeId } from '../common/ids.js';
import type { StartReport, StepRunner } from './cluster-start.js';
import type { InitOptions } from './init.js';
import type { ComponentStatus } from './lifecycle.js';

export interface StartOptions {
  readonly timeoutMs?: number;
  readonly runner?: StepRunner;
  /** Used when the repo dir has no cluster yet (start auto-inits). */
  readonly init?: InitOptions;
}

export interface StartResult extends StartReport {
  readonly initialized: boolean;
  readonly components: readonly ComponentStatus[];
}

export interface ClusterStatus {
  readonly repoDir: string;
  readonly ready: boolean;
  readonly components: readonly ComponentStatus[];
}

export type SafekeeperSignal = 'kill' | 'pause' | 'resume';

/** A safekeeper id as a test author writes it: 2, '2' or a parsed NodeId. */
export type SafekeeperRef = NodeId | number | string;

export interface LocalClusterOptions {
  /**
   * Stop (SIGTERM) the daemons this instance started when the process exits: on for the API,
   * so a test never leaks a cluster; the CLI turns it off (its cluster outlives the command).
   */
  readonly stopOnExit?: boolean;
}

export function toNodeId(id: SafekeeperRef): NodeId {
  return typeof id === 'string' ? parseNodeId(id) : parseNodeId(String(id));
}
