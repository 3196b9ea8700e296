// A server-side WireConnection on loopback for the pg-wire unit tests: a RawConnection client
// sends a StartupMessage, which the harness takes, and every later frame goes to a QueryRouter
// over the routes the test plugs in (a real, empty timeline registry behind it). Everything it
// opens is closed when the test ends.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import { pino } from 'pino';
import { parseTenantId, parseTimelineId } from '../../../src/common/hex-id.js';
import {
  decodeErrorResponse,
  type DecodedErrorResponse,
} from '../../../src/postgres/wire/error-response.js';
import { encodeStartupMessage } from '../../../src/postgres/wire/frontend-messages.js';
import type { CommandRoute } from '../../../src/safekeeper/pg-wire/mode-handler.js';
import { QueryRouter } from '../../../src/safekeeper/pg-wire/query-router.js';
import {
  WireConnection,
  type FrameConsumer,
} from '../../../src/safekeeper/pg-wire/wire-connection.js';
import { TimelineRegistry } from '../../../src/safekeeper/timeline/timeline-registry.js';
import { RawConnection, type BackendMessage } from '../../helpers/raw-wire-connection.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

export const SILENT_LOG = pino({ level: 'silent' });
export const READ_TIMEOUT_MS = 5_000;
export const TENANT = parseTenantId('d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1');
export const TIMELINE = parseTimelineId('e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2');

export interface WireHarness {
  readonly client: RawConnection;
  /** The server end of the connection, as the WAL service's listener would destroy it. */
  readonly serverSocket: Socket;
}

/** Connects a client to a router over `routes`, past the startup. */
export async function openRouterHarness(
  t: TestContext,
  routes: readonly CommandRoute[],
): Promise<WireHarness> {
  const registry = new TimelineRegistry({
    dataDir: await makeTempDir(t),
    noSync: true,
    controlFileSaveIntervalMs: 60_000,
    walBackupConfigured: false,
    log: SILENT_LOG,
  });
  const service = { nodeId: 1, registry, log: SILENT_LOG };
  const session = { parameters: new Map<string, string>(), tenantId: TENANT, timelineId: TIMELINE };
  const server = createServer();
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const client = await RawConnection.open((server.address() as AddressInfo).port);
  t.after(() => client.destroy());
  const [serverSocket] = await accepted;
  t.after(() => serverSocket.destroy());
  const connection = new WireConnection(serverSocket, SILENT_LOG);
  const router = new QueryRouter(connection, session, service, routes);
  connection.start(new AfterStartup(connection, router));
  client.write(encodeStartupMessage({ user: 'unit-test' }));
  return { client, serverSocket };
}

/** Takes the StartupMessage, then hands every frame to the router. */
class AfterStartup implements FrameConsumer {
  private isStarted = false;

  constructor(
    private readonly connection: WireConnection,
    private readonly router: QueryRouter,
  ) {}

  step(): Promise<void> {
    if (this.isStarted) return this.router.step();
    assert.equal(this.connection.take().kind, 'startup');
    this.isStarted = true;
    return Promise.resolve();
  }

  closed(): void {
    this.router.close();
  }
}

/** The fields of an ErrorResponse message, after checking that it is one. */
export function errorOf(message: BackendMessage | undefined): DecodedErrorResponse {
  assert.equal(message?.type, 'E', `an ErrorResponse, got ${message?.type ?? 'nothing'}`);
  return decodeErrorResponse(message.body);
}

/** Every message until the server closes the connection. */
export async function readUntilClosed(client: RawConnection): Promise<BackendMessage[]> {
  const messages: BackendMessage[] = [];
  for (;;) {
    try {
      messages.push(await client.readMessage(READ_TIMEOUT_MS));
    } catch (error) {
      if (error instanceof Error && /connection closed/.test(error.message)) return messages;
      throw error;
    }
  }
}

/** The type letters of `messages`, e.g. "WddcCZ". */
export function typesOf(messages: readonly BackendMessage[]): string {
  return messages.map((message) => message.type).join('');
}
