// One connection to the WAL service. Startup: SSL/GSS requests are refused with 'N', protocol
// 3.0 is required, authentication is trust, and the startup parameters must name the timeline
// (`ztenantid`/`ztimelineid` or `tenant_id`/`timeline_id`, also inside `options`). Then simple
// queries: IDENTIFY_SYSTEM, START_WAL_PUSH (the acceptor protocol over CopyBoth) and
// START_REPLICATION (WAL for a walproposer's recovery). Frames are parsed as they arrive and
// handled one step at a time by a single pump; a bad frame or a protocol violation ends this
// connection only, with an ErrorResponse first whenever the socket still takes one.
import type { Socket } from 'node:net';
import { randomInt } from 'node:crypto';
import { AppError, describeError } from '../../common/errors.js';
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
  encodeCommandComplete,
  encodeCopyBothResponse,
  encodeParameterStatus,
  encodeReadyForQuery,
  SSL_NOT_SUPPORTED,
} from '../../postgres/wire/backend-messages.js';
import { COPY_DATA_HEADER_BYTES, copyDataInPlace } from '../../postgres/wire/copy-messages.js';
import { encodeErrorResponse } from '../../postgres/wire/error-response.js';
import { FrameReader, STARTUP_CODES, type WireFrame } from '../../postgres/wire/frame-reader.js';
import { decodeQuery } from '../../postgres/wire/frontend-messages.js';
import { parseStartupParameters } from '../../postgres/wire/startup-parameters.js';
import { Acceptor } from '../protocol/acceptor.js';
import { decodeProposerMessage, encodeAcceptorMessage } from '../../protocol/proposer-codec.js';
import type { ProposerMessage } from '../../protocol/proposer-messages.js';
import type { TimelineRegistry } from '../timeline/timeline-registry.js';
import { parseReplicationCommand, streamWalForRecovery } from './wal-sender.js';
import { identifySystem } from './identify-system.js';
import { SQLSTATE, sqlStateOf } from './sql-state.js';

/** PostgreSQL's own bound on a startup packet. */
const MAX_STARTUP_BYTES = 10_000;
/** An AppendRequest (8 + 64 + 131072 bytes) fits with room; nothing legitimate is larger. */
const MAX_MESSAGE_BYTES = 256 * 1024;
/** Parsed frames waiting for the pump beyond this pause the socket (flow control). */
const MAX_QUEUED_BYTES = 16 * 1024 * 1024;
const SERVER_VERSION = '15.0 (neon_local safekeeper)';
/** A connection that has not completed its startup by then is closed (PostgreSQL: 60 s). */
const STARTUP_TIMEOUT_MS = 10_000;

export interface SessionOptions {
  readonly nodeId: number;
  readonly registry: TimelineRegistry;
  readonly log: Logger;
  readonly connectionId: number;
}

type Mode = 'startup' | 'query' | 'wal-push' | 'ended';

interface TimelineIds {
  readonly tenantId: TenantId;
  readonly timelineId: TimelineId;
}

export class WireSession {
  private readonly reader = new FrameReader(
    { maxStartupBytes: MAX_STARTUP_BYTES, maxMessageBytes: MAX_MESSAGE_BYTES },
    'startup',
  );
  private mode: Mode = 'startup';
  private readonly queue: WireFrame[] = [];
  private queuedBytes = 0;
  private pumping = false;
  /** A frame that could not be parsed: answered once the frames before it are handled. */
  private frameError: Error | undefined;
  private parameters = new Map<string, string>();
  private timeline: TimelineIds | undefined;
  private acceptor: Acceptor | undefined;
  private startupTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly options: SessionOptions,
  ) {}

  start(): void {
    this.startupTimer = setTimeout(() => {
      if (this.mode === 'startup')
        this.fail(new AppError('usage', `startup not completed within ${STARTUP_TIMEOUT_MS} ms`));
    }, STARTUP_TIMEOUT_MS);
    this.startupTimer.unref();
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (error) =>
      this.options.log.debug({ err: error.message }, 'WAL service connection error'),
    );
    this.socket.on('close', () => this.onClosed());
  }

  private onData(chunk: Buffer): void {
    if (this.mode === 'ended' || this.frameError !== undefined) return;
    try {
      this.reader.push(chunk);
      for (let frame = this.reader.next(); frame !== undefined; frame = this.reader.next()) {
        // The startup packet switches framing at once: what follows it is typed messages.
        if (frame.kind === 'startup' && frame.code === STARTUP_CODES.protocolV3)
          this.reader.setPhase('messages');
        this.queue.push(frame);
        this.queuedBytes += frame.body.length;
      }
    } catch (error) {
      this.frameError = error instanceof Error ? error : new Error(String(error));
    }
    if (this.queuedBytes > MAX_QUEUED_BYTES) this.socket.pause();
    void this.pump();
  }

  private onClosed(): void {
    clearTimeout(this.startupTimer);
    this.mode = 'ended';
    this.acceptor?.close();
    this.acceptor = undefined;
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0 && this.mode !== 'ended') await this.step();
      if (this.frameError !== undefined && this.mode !== 'ended') throw this.frameError;
    } catch (error) {
      this.fail(error);
    } finally {
      this.pumping = false;
      if (this.queuedBytes <= MAX_QUEUED_BYTES && this.socket.isPaused()) this.socket.resume();
    }
  }

  private take(): WireFrame {
    const frame = this.queue.shift() as WireFrame;
    this.queuedBytes -= frame.body.length;
    return frame;
  }

  private async step(): Promise<void> {
    if (this.mode === 'wal-push' && this.queue[0]?.kind === 'message' && this.queue[0].type === 'd')
      return this.pushBatch();
    const frame = this.take();
    if (frame.kind === 'startup') return this.onStartupFrame(frame.code, frame.body);
    switch (frame.type) {
      case 'X':
        this.end();
        return;
      case 'Q':
        if (this.mode !== 'query') break;
        return this.onQuery(decodeQuery(frame.body));
      case 'c':
      case 'f':
        if (this.mode !== 'wal-push') break;
        this.end();
        return;
    }
    throw new AppError(
      'usage',
      `unexpected message type '${printable(frame.type)}' ${this.mode === 'wal-push' ? 'during START_WAL_PUSH' : 'outside COPY'}`,
    );
  }

  private async onStartupFrame(code: number, body: Buffer): Promise<void> {
    if (this.mode !== 'startup') throw new AppError('usage', 'unexpected startup packet');
    if (code === STARTUP_CODES.sslRequest || code === STARTUP_CODES.gssEncRequest) {
      await this.write([SSL_NOT_SUPPORTED]);
      return;
    }
    if (code === STARTUP_CODES.cancelRequest) {
      this.end();
      return;
    }
    if (code !== STARTUP_CODES.protocolV3)
      throw new AppError(
        'usage',
        `unsupported frontend protocol ${code >>> 16}.${code & 0xffff}: this server speaks 3.0`,
      );
    this.parameters = parseStartupParameters(body);
    this.timeline = timelineOfParameters(this.parameters);
    this.mode = 'query';
    clearTimeout(this.startupTimer);
    this.options.log.debug(
      { application: this.parameters.get('application_name') },
      'WAL service connection started',
    );
    await this.write([
      encodeAuthenticationOk(),
      encodeParameterStatus('server_version', SERVER_VERSION),
      encodeParameterStatus('client_encoding', 'UTF8'),
      encodeParameterStatus('integer_datetimes', 'on'),
      encodeParameterStatus('standard_conforming_strings', 'on'),
      encodeBackendKeyData(this.options.connectionId, randomInt(2 ** 31)),
      encodeReadyForQuery('I'),
    ]);
  }

  private async onQuery(sql: string): Promise<void> {
    const command = sql.trim().replace(/;\s*$/, '').trim();
    const [keyword = ''] = command.split(/\s+/, 1);
    const ids = this.timeline as TimelineIds;
    try {
      switch (keyword.toUpperCase()) {
        case 'IDENTIFY_SYSTEM':
          await this.write(
            identifySystem(this.options.registry.require(ids.tenantId, ids.timelineId)),
          );
          return;
        case 'START_WAL_PUSH':
          await this.startWalPush();
          return;
        case 'START_REPLICATION': {
          const request = parseReplicationCommand(command);
          const timeline = this.options.registry.require(ids.tenantId, ids.timelineId);
          await streamWalForRecovery(timeline, request, this.parameters, (frames) =>
            this.write(frames),
          );
          await this.write([encodeCommandComplete('START_REPLICATION'), encodeReadyForQuery('I')]);
          return;
        }
      }
    } catch (error) {
      // A failed command leaves the connection usable, as in PostgreSQL.
      await this.write([
        encodeErrorResponse('ERROR', sqlStateOf(error), describeError(error)),
        encodeReadyForQuery('I'),
      ]);
      return;
    }
    await this.write([
      encodeErrorResponse(
        'ERROR',
        SQLSTATE.featureNotSupported,
        `unsupported command "${command.slice(0, 80)}": this safekeeper accepts IDENTIFY_SYSTEM, START_WAL_PUSH and START_REPLICATION`,
      ),
      encodeReadyForQuery('I'),
    ]);
  }

  private async startWalPush(): Promise<void> {
    const ids = this.timeline as TimelineIds;
    this.acceptor = new Acceptor({
      nodeId: BigInt(this.options.nodeId),
      tenantId: ids.tenantId,
      timelineId: ids.timelineId,
      registry: this.options.registry,
      log: this.options.log.child({ tenant: ids.tenantId, timeline: ids.timelineId }),
    });
    this.mode = 'wal-push';
    await this.write([encodeCopyBothResponse()]);
  }

  /** Every CopyData frame already here is one batch: consecutive appends share one flush. */
  private async pushBatch(): Promise<void> {
    const messages: ProposerMessage[] = [];
    while (this.queue[0]?.kind === 'message' && this.queue[0].type === 'd')
      messages.push(decodeProposerMessage(this.take().body));
    const acceptor = this.acceptor as Acceptor;
    const replies = await acceptor.process(messages);
    await this.write(
      replies.map((reply) => copyDataInPlace(encodeAcceptorMessage(reply, COPY_DATA_HEADER_BYTES))),
    );
  }

  /** Writes frames; waits for the socket to drain so that a reader that stops reading stops us. */
  private async write(frames: readonly Uint8Array[]): Promise<void> {
    if (this.mode === 'ended' || this.socket.destroyed) return;
    let flowing = true;
    // One system call for all of them (no delay is on: each write() would be its own segment).
    this.socket.cork();
    for (const frame of frames) flowing = this.socket.write(frame);
    this.socket.uncork();
    if (flowing) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  /** Answers with a FATAL ErrorResponse and ends the connection. */
  private fail(error: unknown): void {
    if (this.mode === 'ended') return;
    this.options.log.warn({ err: describeError(error) }, 'WAL service connection failed');
    if (!this.socket.destroyed)
      this.socket.write(encodeErrorResponse('FATAL', sqlStateOf(error), describeError(error)));
    this.end();
  }

  private end(): void {
    this.onClosed();
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.socket.end();
  }
}

function printable(type: string): string {
  return /^[\x20-\x7e]$/.test(type)
    ? type
    : `\\x${type.charCodeAt(0).toString(16).padStart(2, '0')}`;
}

/** The timeline a connection is for; both ids are required, in either spelling. */
function timelineOfParameters(parameters: ReadonlyMap<string, string>): TimelineIds {
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
