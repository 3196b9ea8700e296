// A connection after its startup: simple queries go to the route named by their first word
// (IDENTIFY_SYSTEM, SHOW, READ_REPLICATION_SLOT, START_WAL_PUSH, START_REPLICATION), anything else is answered with an ERROR,
// and a route's failure too; the connection stays usable. While a route's mode is active every
// frame goes to its handler, and how the mode ends decides what follows. It must not know how a
// mode works inside.
import { describeError } from '../../common/errors.js';
import {
  encodeCommandComplete,
  encodeReadyForQuery,
} from '../../postgres/wire/backend-messages.js';
import { encodeErrorResponse } from '../../postgres/wire/error-response.js';
import { decodeQuery } from '../../postgres/wire/frontend-messages.js';
import { identifySystem } from './identify-system.js';
import { readReplicationSlot } from './read-replication-slot.js';
import { showSetting } from './show-setting.js';
import {
  unexpectedFrame,
  type CommandRoute,
  type ModeEnd,
  type ModeHandler,
  type ServiceContext,
} from './mode-handler.js';
import { SQLSTATE, sqlStateOf } from './sql-state.js';
import { startReplication } from './start-replication.js';
import { WalPushHandler } from './wal-push-handler.js';
import type { WireConnection } from './wire-connection.js';
import type { SessionIdentity } from './wire-startup.js';

const DONE = Promise.resolve();
/** How much of an unsupported command its error quotes. */
const QUOTED_COMMAND_CHARS = 80;

/** The commands of the WAL service (neon-reference §7.1, §7.5). */
export const WAL_SERVICE_ROUTES: readonly CommandRoute[] = [
  {
    keyword: 'IDENTIFY_SYSTEM',
    run: async ({ connection, registry, session }) => {
      await connection.write(
        identifySystem(registry.require(session.tenantId, session.timelineId)),
      );
      return undefined;
    },
  },
  {
    keyword: 'SHOW',
    run: async ({ command, connection, registry, session }) => {
      await connection.write(
        showSetting(command, () => registry.require(session.tenantId, session.timelineId)),
      );
      return undefined;
    },
  },
  {
    keyword: 'READ_REPLICATION_SLOT',
    run: async ({ command, connection, registry, session }) => {
      const timeline = registry.require(session.tenantId, session.timelineId);
      await connection.write(await readReplicationSlot(command, timeline));
      return undefined;
    },
  },
  { keyword: 'START_WAL_PUSH', run: (context) => Promise.resolve(new WalPushHandler(context)) },
  { keyword: 'START_REPLICATION', run: startReplication },
];

export class QueryRouter {
  private mode: ModeHandler | undefined;

  constructor(
    private readonly connection: WireConnection,
    private readonly session: SessionIdentity,
    private readonly service: ServiceContext,
    private readonly routes: readonly CommandRoute[] = WAL_SERVICE_ROUTES,
  ) {}

  step(): Promise<void> {
    const mode = this.mode;
    if (mode !== undefined) return mode.step();
    const frame = this.connection.take();
    if (frame.kind === 'message' && frame.type === 'Q')
      return this.onQuery(decodeQuery(frame.body));
    if (frame.kind === 'message' && frame.type === 'X') {
      this.connection.end();
      return DONE;
    }
    throw unexpectedFrame(frame, 'outside COPY');
  }

  /** The connection is gone: the active mode, if any, is over. */
  close(): void {
    const mode = this.mode;
    this.mode = undefined;
    mode?.close();
  }

  private async onQuery(sql: string): Promise<void> {
    const command = sql.trim().replace(/;\s*$/, '').trim();
    const [keyword = ''] = command.split(/\s+/, 1);
    const route = this.routes.find((candidate) => candidate.keyword === keyword.toUpperCase());
    if (route === undefined) {
      const served = this.routes.map((candidate) => candidate.keyword);
      const message = `unsupported command "${command.slice(0, QUOTED_COMMAND_CHARS)}": this safekeeper accepts ${listed(served)}`;
      return this.connection.write(errorAnswer(SQLSTATE.featureNotSupported, message));
    }
    let mode: ModeHandler | undefined;
    try {
      mode = await route.run({
        ...this.service,
        command,
        connection: this.connection,
        session: this.session,
      });
    } catch (error) {
      // A failed command leaves the connection usable, as in PostgreSQL.
      return this.connection.write(errorAnswer(sqlStateOf(error), describeError(error)));
    }
    if (mode === undefined) return;
    const started = mode;
    this.mode = started;
    // The connection may have gone while the command ran: the mode begins and ends at once.
    if (this.connection.isEnded) this.close();
    await started.begin((outcome) => this.endMode(started, outcome));
  }

  private endMode(mode: ModeHandler, outcome: ModeEnd): void {
    if (this.mode !== mode) return;
    this.mode = undefined;
    mode.close();
    switch (outcome.kind) {
      case 'complete':
        void this.connection.write([
          encodeCommandComplete(outcome.commandTag),
          encodeReadyForQuery('I'),
        ]);
        return;
      case 'failed':
        void this.connection.write(
          errorAnswer(sqlStateOf(outcome.error), describeError(outcome.error)),
        );
        return;
      case 'terminate':
        this.connection.end();
        return;
    }
  }
}

function errorAnswer(sqlState: string, message: string): Buffer[] {
  return [encodeErrorResponse('ERROR', sqlState, message), encodeReadyForQuery('I')];
}

/** "A, B and C". */
function listed(words: readonly string[]): string {
  return words.length <= 1
    ? (words[0] ?? '')
    : `${words.slice(0, -1).join(', ')} and ${words.at(-1) ?? ''}`;
}
