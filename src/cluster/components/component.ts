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
   * For our daemons, which send a readiness notice when spawned (common/ready-notice.ts): reads
   * the notice's line as `probe` reads its answer. A start then asks the daemon nothing, and a
   * wait for one already starting probes when its log is written. Undefined (etcd, MinIO): the
   * readiness wait polls the probe.
   */
  readonly readinessFromNotice: ((line: string) => ReadyProbe) | undefined;
  launchSpec(): Promise<LaunchSpec>;
  /** Work to do once the process is ready (e.g. create the bucket). */
  afterReady(timeoutMs: number): Promise<void>;
}

export interface ExternalComponent extends ComponentBase {
  readonly managed: false;
}

export type Component = ManagedComponent | ExternalComponent;
