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

/** One client for the whole daemon, made on the first `get()`; `close()` releases it. */
export class SharedEtcd {
  private client: Promise<Etcd3> | undefined;

  constructor(private readonly endpoints: readonly string[]) {}

  get(): Promise<Etcd3> {
    this.client ??= connectEtcd(this.endpoints);
    return this.client;
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client !== undefined) (await client).close();
  }
}
