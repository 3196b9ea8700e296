// The startup of a WAL service connection, up to its first ReadyForQuery: SSL and GSS requests
// are refused with 'N', a CancelRequest ends the connection, protocol 3.0 is required,
// authentication is trust, and the startup parameters must name the timeline (`ztenantid`/
// `ztimelineid` or `tenant_id`/`timeline_id`, also inside `options`); a startup that takes too
// long fails. A `replication` parameter must have one of PostgreSQL's values (true, on, yes, 1,
// database and their opposites; every connection may replicate here). It must not answer anything after the startup: queries belong to the router.
import { AppError } from '../../common/errors.js';
import {
  parseTenantId,
  parseTimelineId,
  type TenantId,
  type TimelineId,
} from '../../common/hex-id.js';
import type { Logger } from '../../common/log.js';
import {
  encodeAuthenticationOk,
  encodeBackendKeyData,
  encodeParameterStatus,
  encodeReadyForQuery,
  SSL_NOT_SUPPORTED,
} from '../../postgres/wire/backend-messages.js';
import { STARTUP_CODES } from '../../postgres/wire/frame-reader.js';
import { parseStartupParameters } from '../../postgres/wire/startup-parameters.js';
import type { WireConnection } from './wire-connection.js';

const SERVER_VERSION = '15.0 (neon_local safekeeper)';
/** A connection that has not completed its startup by then is closed (PostgreSQL: 60 s). */
const STARTUP_TIMEOUT_MS = 10_000;

/** Who a connection is, once its startup was accepted. */
export interface SessionIdentity {
  readonly parameters: ReadonlyMap<string, string>;
  readonly tenantId: TenantId;
  readonly timelineId: TimelineId;
}

export class StartupHandshake {
  private timer: NodeJS.Timeout | undefined;
  private isOver = false;

  constructor(
    private readonly connection: WireConnection,
    private readonly connectionId: number,
    private readonly log: Logger,
  ) {}

  /** Arms the deadline of the startup. */
  start(): void {
    this.timer = setTimeout(() => {
      if (!this.isOver)
        this.connection.fail(
          new AppError('usage', `startup not completed within ${STARTUP_TIMEOUT_MS} ms`),
        );
    }, STARTUP_TIMEOUT_MS);
    this.timer.unref();
  }

  /** The startup is over (accepted, or the connection ended). */
  close(): void {
    this.isOver = true;
    clearTimeout(this.timer);
  }

  /** Answers one startup-phase packet; resolves to the identity once a StartupMessage is accepted. */
  async answer(code: number, body: Buffer): Promise<SessionIdentity | undefined> {
    if (this.isOver) throw new AppError('usage', 'unexpected startup packet');
    if (code === STARTUP_CODES.sslRequest || code === STARTUP_CODES.gssEncRequest) {
      await this.connection.write([SSL_NOT_SUPPORTED]);
      return undefined;
    }
    if (code === STARTUP_CODES.cancelRequest) {
      this.connection.end();
      return undefined;
    }
    if (code !== STARTUP_CODES.protocolV3)
      throw new AppError(
        'usage',
        `unsupported frontend protocol ${code >>> 16}.${code & 0xffff}: this server speaks 3.0`,
      );
    const parameters = parseStartupParameters(body);
    checkReplicationParameter(parameters.get('replication'));
    const identity = { parameters, ...timelineOfParameters(parameters) };
    this.close();
    this.log.debug(
      { application: parameters.get('application_name') },
      'WAL service connection started',
    );
    await this.connection.write([
      encodeAuthenticationOk(),
      encodeParameterStatus('server_version', SERVER_VERSION),
      encodeParameterStatus('client_encoding', 'UTF8'),
      encodeParameterStatus('integer_datetimes', 'on'),
      encodeParameterStatus('standard_conforming_strings', 'on'),
      encodeBackendKeyData(this.connectionId, randomBackendSecret()),
      encodeReadyForQuery('I'),
    ]);
    return identity;
  }
}

const REPLICATION_VALUES = new Set([
  'true',
  'on',
  'yes',
  '1',
  'database',
  'false',
  'off',
  'no',
  '0',
]);

function checkReplicationParameter(value: string | undefined): void {
  if (value !== undefined && !REPLICATION_VALUES.has(value.toLowerCase()))
    throw new AppError(
      'usage',
      `invalid value for parameter "replication": "${value.slice(0, 40)}" (expected a boolean or database)`,
    );
}

/** The timeline a connection is for; both ids are required, in either spelling. */
function timelineOfParameters(parameters: ReadonlyMap<string, string>): {
  tenantId: TenantId;
  timelineId: TimelineId;
} {
  const pick = (neonName: string, name: string): string => {
    const neon = parameters.get(neonName);
    const plain = parameters.get(name);
    if (neon !== undefined && plain !== undefined && neon !== plain)
      throw new AppError('usage', `startup parameters ${neonName} and ${name} differ`);
    const value = neon ?? plain;
    if (value === undefined)
      throw new AppError(
        'usage',
        `startup parameter ${neonName} (or ${name}) is required: the WAL service serves one timeline per connection`,
      );
    return value;
  };
  return {
    tenantId: parseTenantId(pick('ztenantid', 'tenant_id')),
    timelineId: parseTimelineId(pick('ztimelineid', 'timeline_id')),
  };
}

/**
 * The BackendKeyData secret: 31 random bits, from the global Web Crypto object, which loads on
 * first use. node:crypto would be loaded (2.5 ms of CPU) by every safekeeper start.
 */
function randomBackendSecret(): number {
  const [bits = 0] = globalThis.crypto.getRandomValues(new Uint32Array(1));
  return bits >>> 1;
}
