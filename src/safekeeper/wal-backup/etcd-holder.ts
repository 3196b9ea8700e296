// The safekeeper's one etcd client, made on first need (connectEtcd loads etcd3 lazily, after the
// ports are bound) and shared by whoever holds this: the offload elections and the broker.
// It also remembers whether the last etcd call it was told about succeeded, for GET /v1/status.
// It never retries anything itself.
import type { Etcd3 } from 'etcd3';
import { connectEtcd } from '../broker/etcd-connection.js';

export class EtcdHolder {
  private client: Promise<Etcd3> | undefined;
  private closed = false;
  /** undefined: no call reported yet. */
  private lastCallOk: boolean | undefined;

  constructor(readonly endpoints: readonly string[]) {}

  get configured(): boolean {
    return this.endpoints.length > 0;
  }

  /** The shared client (made on the first call); rejects once closed or with no endpoints. */
  get(): Promise<Etcd3> {
    if (this.closed) return Promise.reject(new Error('the etcd client is closed'));
    if (!this.configured) return Promise.reject(new Error('no --broker-endpoints configured'));
    this.client ??= connectEtcd(this.endpoints);
    return this.client;
  }

  /** A user of the client reports how its last call went. */
  noteCall(ok: boolean): void {
    this.lastCallOk = ok;
  }

  /** null while nobody has used etcd yet. */
  get connected(): boolean | null {
    return this.lastCallOk ?? null;
  }

  /** Closes the client if one was made (its streams end; later get() calls reject). */
  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    if (client !== undefined) (await client).close();
  }
}
