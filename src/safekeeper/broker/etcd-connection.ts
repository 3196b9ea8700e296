// The safekeeper's one etcd client, shared by the broker and the offload elections. etcd3 (and
// its gRPC stack, ~125 ms to load) is imported on first use, after the daemon's ports are bound.
// Its default fault handling is replaced (ecosystem-facts §1): no per-host circuit breaker, which
// would refuse every call for 5 s after three failures even once etcd is back, and a short global
// retry; every unary call gets a deadline so that nothing waits forever on a dead etcd, while
// streams (watches, lease keep-alives) get none.
import type { IBackoff } from 'cockatiel';
import type { Etcd3 } from 'etcd3';

/** Deadline of one unary etcd call. */
export const ETCD_CALL_TIMEOUT_MS = 3000;

export async function connectEtcd(endpoints: readonly string[]): Promise<Etcd3> {
  const [{ Etcd3: Client, isRecoverableError }, cockatiel] = await Promise.all([
    import('etcd3'),
    import('cockatiel'),
  ]);
  return new Client({
    hosts: [...endpoints],
    dialTimeout: ETCD_CALL_TIMEOUT_MS,
    defaultCallOptions: (context) =>
      context.isStream ? {} : { deadline: Date.now() + ETCD_CALL_TIMEOUT_MS },
    faultHandling: {
      host: () => cockatiel.noop,
      global: cockatiel.retry(cockatiel.handleWhen(isRecoverableError), {
        maxAttempts: 2,
        backoff: new cockatiel.ExponentialBackoff({ initialDelay: 50, maxDelay: 500 }),
      }),
      // etcd3 calls next() on this before the first wait (a factory), though its type says
      // IBackoff: the factory is what its own default passes too.
      watchBackoff: new cockatiel.ExponentialBackoff({
        initialDelay: 100,
        maxDelay: 2000,
      }) as unknown as IBackoff<unknown>,
    },
  });
}

/**
 * The daemon's one client, made on the first `get()` and shared by the broker and the offload
 * elections; it remembers whether the last call a user reported succeeded (for GET /v1/status)
 * and never retries anything itself. `close()` releases it; later `get()` calls reject.
 */
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
