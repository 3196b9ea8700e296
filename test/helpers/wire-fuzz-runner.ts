// Runs fuzz cases against the WAL service, each on its own raw node:net connection (a real
// client would refuse to send such bytes), and checks how the server concluded each one: a
// FATAL ErrorResponse and a close, an ERROR after which the connection still answers, a close
// after the client's FIN for a frame the server must wait for, or the expected acceptor replies.
// Every ErrorResponse is decoded (severity, SQLSTATE, message). Every socket is destroyed.
import { connect, type Socket } from 'node:net';
import { decodeErrorResponse } from '../../src/postgres/wire/error-response.js';
import {
  encodeCopyDone,
  encodeQuery,
  encodeTerminate,
} from '../../src/postgres/wire/frontend-messages.js';
import { decodeAcceptorMessage } from '../../src/protocol/proposer-codec.js';
import type { AcceptorMessage } from '../../src/protocol/proposer-messages.js';

export interface ExpectedReply {
  readonly tag: AcceptorMessage['tag'];
  /** The acceptor's term, unchanged: a stale message never moves it. */
  readonly term: bigint;
}

export type Expectation =
  /** A FATAL ErrorResponse (with this SQLSTATE, when given) as the last message, then a close. */
  | { readonly kind: 'fatal'; readonly sqlState?: string }
  /** ERROR + ReadyForQuery; the same connection then answers IDENTIFY_SYSTEM. */
  | { readonly kind: 'error'; readonly sqlState: string }
  /** The last frame is incomplete: the client sends FIN and the server must close. */
  | { readonly kind: 'incomplete' }
  /** These acceptor messages in CopyData (no vote given, nothing appended), then CopyDone. */
  | { readonly kind: 'reply'; readonly replies: readonly ExpectedReply[] };

export interface FuzzCase {
  readonly category: string;
  readonly label: string;
  readonly bytes: Buffer;
  /** Offsets at which `bytes` is split into separate writes. */
  readonly splitAt: readonly number[];
  /** The case opens with an SSL or GSSENC request: the server answers one 'N' byte first. */
  readonly sslAnswer: boolean;
  readonly expect: Expectation;
}

export interface CaseOutcome {
  readonly sqlStates: readonly string[];
}

export interface CaseResult {
  readonly fuzzCase: FuzzCase;
  readonly outcome?: CaseOutcome;
  readonly failure?: string;
}

/** Larger server messages mean the stream is garbage. */
const MAX_SERVER_MESSAGE_BYTES = 1024 * 1024;

interface ServerMessage {
  readonly type: string;
  readonly body: Buffer;
}

/** Where the client is: sending the case, probing after an ERROR, or waiting for the close. */
type Phase = 'sending' | 'probing' | 'closing';

/** One case on one connection; settles once the server concluded it (or did something wrong). */
class CaseRun {
  private received = Buffer.alloc(0);
  private awaitingSslAnswer: boolean;
  private readonly messages: ServerMessage[] = [];
  private readonly sqlStates: string[] = [];
  private readyCount = 0;
  private phase: Phase = 'sending';
  private socketError: string | undefined;

  constructor(
    private readonly fuzzCase: FuzzCase,
    private readonly socket: Socket,
  ) {
    this.awaitingSslAnswer = fuzzCase.sslAnswer;
  }

  /** Sends the case; resolves on the expected conclusion, rejects on anything else. */
  run(timeoutMs: number): Promise<CaseOutcome> {
    return new Promise<CaseOutcome>((resolve, reject) => {
      let isSettled = false;
      const settle = (error?: Error): void => {
        if (isSettled) return;
        isSettled = true;
        clearTimeout(timer);
        this.socket.destroy();
        if (error === undefined) resolve({ sqlStates: this.sqlStates });
        else reject(error);
      };
      const timer = setTimeout(
        () => settle(new Error(`no conclusion within ${timeoutMs} ms (${this.describe()})`)),
        timeoutMs,
      );
      this.socket.on('connect', () => this.send());
      this.socket.on('data', (chunk: Buffer) => {
        try {
          this.onData(chunk);
        } catch (error) {
          settle(error as Error);
        }
      });
      // A reset after the server closed is a close too; the 'close' event follows.
      this.socket.on('error', (error) => (this.socketError ??= error.message));
      this.socket.on('close', () => settle(this.closedError()));
    });
  }

  private send(): void {
    const { bytes, splitAt } = this.fuzzCase;
    let from = 0;
    for (const offset of [...splitAt, bytes.length]) {
      if (offset > from) this.socket.write(bytes.subarray(from, offset));
      from = Math.max(from, offset);
    }
    if (this.fuzzCase.expect.kind === 'incomplete') this.socket.end();
  }

  private onData(chunk: Buffer): void {
    this.received = Buffer.concat([this.received, chunk]);
    if (this.awaitingSslAnswer) {
      if (this.received.readUInt8(0) !== 'N'.charCodeAt(0))
        throw new Error(
          `SSL request answered with ${this.received.subarray(0, 1).toString('hex')}`,
        );
      this.received = this.received.subarray(1);
      this.awaitingSslAnswer = false;
    }
    while (this.received.length >= 5) {
      const length = this.received.readInt32BE(1);
      if (length < 4 || length > MAX_SERVER_MESSAGE_BYTES)
        throw new Error(`server message with length ${length} (${this.describe()})`);
      if (this.received.length < 1 + length) break;
      const message = {
        type: String.fromCharCode(this.received.readUInt8(0)),
        body: this.received.subarray(5, 1 + length),
      };
      this.received = this.received.subarray(1 + length);
      this.onMessage(message);
    }
  }

  private onMessage(message: ServerMessage): void {
    this.messages.push(message);
    const expect = this.fuzzCase.expect;
    if (message.type === 'E') {
      const error = decodeErrorResponse(message.body);
      this.sqlStates.push(error.sqlState);
      const wanted = expect.kind === 'error' ? 'ERROR' : 'FATAL';
      const sqlState =
        expect.kind === 'error' || expect.kind === 'fatal' ? expect.sqlState : undefined;
      if (
        expect.kind === 'reply' ||
        error.severity !== wanted ||
        (this.sqlStates.length === 1 && sqlState !== undefined && sqlState !== error.sqlState)
      )
        throw new Error(`unexpected ${error.severity} ${error.sqlState}: ${error.message}`);
    }
    if (message.type === 'Z') this.readyCount++;
    if (expect.kind === 'error') this.advanceErrorCase(message);
    if (expect.kind === 'reply' && message.type === 'd') this.checkReplies(expect.replies);
  }

  /** After ERROR + ReadyForQuery, IDENTIFY_SYSTEM must be answered; then Terminate. */
  private advanceErrorCase(message: ServerMessage): void {
    if (message.type !== 'Z' || this.sqlStates.length === 0) return;
    if (this.phase === 'sending') {
      this.phase = 'probing';
      this.socket.write(encodeQuery('IDENTIFY_SYSTEM'));
    } else if (this.phase === 'probing') {
      this.phase = 'closing';
      this.socket.end(encodeTerminate());
    }
  }

  private checkReplies(expected: readonly ExpectedReply[]): void {
    const replies = this.messages.filter((message) => message.type === 'd');
    const index = replies.length - 1;
    const reply = decodeAcceptorMessage(replies[index]?.body ?? Buffer.alloc(0));
    const problem = replyProblem(reply, expected[index]);
    if (problem !== undefined) throw new Error(problem);
    if (index === expected.length - 1) {
      this.phase = 'closing';
      this.socket.end(encodeCopyDone());
    }
  }

  /** Why the close the server made is wrong; undefined when it concluded the case. */
  private closedError(): Error | undefined {
    const expect = this.fuzzCase.expect;
    const last = this.messages.at(-1);
    if (this.received.length > 0 || this.awaitingSslAnswer)
      return new Error(`closed in the middle of a server message (${this.describe()})`);
    if (expect.kind === 'fatal' && (last?.type !== 'E' || this.sqlStates.length !== 1))
      return new Error(`closed without exactly one final FATAL (${this.describe()})`);
    if ((expect.kind === 'error' || expect.kind === 'reply') && this.phase !== 'closing')
      return new Error(`closed before the case concluded (${this.describe()})`);
    return undefined;
  }

  private describe(): string {
    const types = this.messages.map((message) => message.type).join('');
    const socketError = this.socketError === undefined ? '' : `, socket error: ${this.socketError}`;
    return `phase ${this.phase}, server sent [${types}], ${this.readyCount} ReadyForQuery${socketError}`;
  }
}

/** What is wrong with an acceptor reply to a stale message, if anything. */
function replyProblem(
  reply: AcceptorMessage,
  wanted: ExpectedReply | undefined,
): string | undefined {
  if (wanted === undefined) return `unexpected extra reply '${reply.tag}'`;
  if (reply.tag !== wanted.tag || reply.term !== wanted.term)
    return `reply '${reply.tag}' of term ${reply.term}, expected '${wanted.tag}' of term ${wanted.term}`;
  if (reply.tag === 'vote' && reply.voteGiven) return 'a stale VoteRequest got a vote';
  if (reply.tag === 'append' && (reply.flushLsn !== 0n || reply.commitLsn !== 0n))
    return 'a stale AppendRequest was answered with LSNs';
  return undefined;
}

export function runFuzzCase(
  port: number,
  fuzzCase: FuzzCase,
  timeoutMs: number,
): Promise<CaseOutcome> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.setNoDelay(true);
  return new CaseRun(fuzzCase, socket).run(timeoutMs);
}

export interface RunLimits {
  readonly concurrency: number;
  readonly caseTimeoutMs: number;
  /** No new case starts once this many failed (a hung or dead server fails them all). */
  readonly failuresMax: number;
}

/** Runs the cases, `concurrency` connections at a time; failures are collected, not thrown. */
export async function runFuzzCases(
  port: number,
  cases: readonly FuzzCase[],
  limits: RunLimits,
): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  let next = 0;
  let failures = 0;
  const worker = async (): Promise<void> => {
    while (next < cases.length && failures < limits.failuresMax) {
      const fuzzCase = cases[next++] as FuzzCase;
      try {
        results.push({
          fuzzCase,
          outcome: await runFuzzCase(port, fuzzCase, limits.caseTimeoutMs),
        });
      } catch (error) {
        failures++;
        results.push({ fuzzCase, failure: (error as Error).message });
      }
    }
  };
  await Promise.all(Array.from({ length: limits.concurrency }, worker));
  return results;
}

/** A failed case as a person needs it to reproduce: category, label and the bytes sent. */
export function describeFailedCase(result: CaseResult): string {
  const { category, label, bytes } = result.fuzzCase;
  const shown = bytes.subarray(0, 160).toString('hex');
  const more = bytes.length > 160 ? `... (${bytes.length} bytes)` : '';
  return `${category}: ${label}: ${result.failure ?? ''}\n    bytes ${shown}${more}`;
}
