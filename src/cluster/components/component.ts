// What the control plane knows about one component of the cluster: how to launch it, how to
// recognise its process, and how to tell that it is ready. Managed components are processes we
// start; external ones (an etcd or S3 given by endpoint) are only checked.
import type { ComponentPaths } from '../repo-layout.js';
import type { ProcessIdentity } from '../process/pid-file.js';
import type { LaunchSpec } from '../process/spawn-daemon.js';

export type ComponentKind = 'etcd' | 'storage' | 'safekeeper' | 'pageserver';

export interface ReadyProbe {
  readonly ready: boolean;
  /** Why it is not ready, or a short note when it is. */
  readonly detail: string;
}

interface ComponentBase {
  /** Short name used on the command line: "etcd", "storage", "sk1", "pageserver". */
  readonly name: string;
  readonly kind: ComponentKind;
  /** Human description: "etcd 3.4 (Debian)", "embedded S3 server", "external S3". */
  readonly description: string;
  /** Named ports, e.g. { client: 2379, peer: 2380 }. */
  readonly ports: Readonly<Record<string, number>>;
  /** The URL clients use. */
  readonly endpoint: string;
  probe(timeoutMs: number): Promise<ReadyProbe>;
}

export interface ManagedComponent extends ComponentBase {
  readonly managed: true;
  readonly paths: ComponentPaths;
  readonly identity: ProcessIdentity;
  /** True when the program writes its own pid file (the safekeeper does). */
  readonly writesOwnPidFile: boolean;
  /**
   * What the program writes to its log once its probe can answer ("safekeeper started"), for our
   * daemons: the readiness wait of a process just spawned then probes when a write to the log
   * brings it, and at least every 500 ms; undefined (etcd, MinIO): it polls fast.
   */
  readonly readyLogText: string | undefined;
  launchSpec(): Promise<LaunchSpec>;
  /** Work to do once the process is ready (e.g. create the bucket). */
  afterReady(timeoutMs: number): Promise<void>;
}

export interface ExternalComponent extends ComponentBase {
  readonly managed: false;
}

export type Component = ManagedComponent | ExternalComponent;
