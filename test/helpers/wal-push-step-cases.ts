// Fuzz cases for the steps of the proposer protocol in START_WAL_PUSH: steps out of order,
// greetings that do not match the timeline, AppendRequests and ProposerElected with absurd LSNs,
// and stale-term messages (answered with the acceptor's term, nothing moved). A vote or an
// election that could succeed is never sent: each case must leave the timeline as it was.
import { encodeProposerMessage } from '../../src/protocol/proposer-codec.js';
import {
  MAX_APPEND_WAL_BYTES,
  type ProposerGreeting,
} from '../../src/protocol/proposer-messages.js';
import {
  U64_MAX,
  type CaseDraft,
  type CaseGenerator,
  type FuzzRandom,
  type FuzzTarget,
  type TimelineChoice,
} from './wire-fuzz-frames.js';
import {
  greeting,
  lsnAwayFromEnd,
  PROTOCOL_VIOLATION,
  pushCase,
  rawAppend,
  someMessage,
  walAt,
  WRONG_STATE,
} from './wal-push-fuzz-messages.js';

const MIB = 1024 * 1024;

const outOfOrderStep: CaseGenerator = (random, target) => {
  const step = random.pick([
    'vote',
    'elected',
    'append',
    'append-ahead',
    'second-greeting',
  ] as const);
  if (step === 'vote' || step === 'elected' || step === 'append') {
    // The message's first letter is its tag: 'v', 'e' or 'a'.
    const payload = someMessage(random, target, step.charAt(0));
    return pushCase(
      target,
      `${step} before the greeting`,
      [payload],
      { greeted: false },
      PROTOCOL_VIOLATION,
    );
  }
  if (step === 'second-greeting') {
    const payload = random.chance(0.5) ? greeting(target) : someMessage(random, target, 'g');
    return pushCase(target, 'a second greeting', [payload], { greeted: true }, PROTOCOL_VIOLATION);
  }
  // A term above the acceptor's before any ProposerElected: refused before anything is written.
  const term =
    target.term + 1n + BigInt(random.int(0, 1000)) * (random.chance(0.1) ? 2n ** 40n : 1n);
  const begin = random.pick([target.flushLsn, 0n, U64_MAX, random.u64()]);
  const wal = walAt(random, begin, 128);
  const fields = {
    term,
    beginLsn: begin,
    endLsn: begin + BigInt(wal.length),
    commitLsn: U64_MAX,
    truncateLsn: begin,
  };
  const label = `AppendRequest of term ${term} at ${begin} before ProposerElected`;
  return pushCase(
    target,
    label,
    [rawAppend(fields, target.proposerId, wal)],
    { greeted: true },
    PROTOCOL_VIOLATION,
  );
};

const greetingMismatch: CaseGenerator = (random, target) => {
  // A connection for the absent timeline is refused before its greeting could create it.
  const timeline: TimelineChoice = random.chance(0.25) ? 'absent' : 'present';
  const absent = timeline === 'absent';
  const named = absent
    ? { tenantId: target.absentTenantId, timelineId: target.absentTimelineId }
    : { tenantId: target.tenantId, timelineId: target.timelineId };
  const refusedEarly: [string, Partial<ProposerGreeting>][] = [
    ['tenant', { tenantId: absent ? target.tenantId : target.absentTenantId }],
    ['timeline', { timelineId: absent ? target.timelineId : target.absentTimelineId }],
    ['protocol version', { protocolVersion: random.pick([0, 1, 3, 0xffffffff]) }],
    ['PostgreSQL timeline', { pgTimeline: random.pick([0, 2, 0xffffffff]) }],
    [
      'invalid segment size',
      { walSegSize: random.pick([0, 1, 8192, 3 * MIB, 2 ** 31, 0xffffffff]) },
    ],
  ];
  // Valid values that differ from what the timeline holds: refused when compared with it.
  const refusedLate: [string, Partial<ProposerGreeting>][] = [
    ['system id', { systemId: target.systemId ^ BigInt(random.int(1, 2 ** 30)) }],
    ['segment size', { walSegSize: 2 ** random.pick([20, 21, 22, 23, 25, 26, 30]) }],
  ];
  const early = absent || random.chance(0.6);
  const faults = [random.pick(early ? refusedEarly : refusedLate)];
  if (random.chance(0.4)) faults.push(random.pick(refusedLate));
  // The first fault is applied last, so that a second one never undoes it.
  const changes = Object.assign(
    { ...named },
    ...faults.map(([, change]) => change).reverse(),
  ) as Partial<ProposerGreeting>;
  const label = `greeting with another ${faults.map(([name]) => name).join(' and ')} on the ${timeline} timeline`;
  const expect = early ? PROTOCOL_VIOLATION : WRONG_STATE;
  return pushCase(target, label, [greeting(target, changes)], { greeted: false, timeline }, expect);
};

const absurdLsn: CaseGenerator = (random, target) => {
  const variant = random.pick([
    'end-before-begin',
    'length-mismatch',
    'too-long',
    'off-the-end',
    'elected',
  ] as const);
  const begin = lsnAwayFromEnd(random, target);
  const term = target.term;
  if (variant === 'elected') return absurdElection(random, target);
  if (variant === 'off-the-end') {
    // The acceptor's own term, so the WAL position itself is what gets checked (and refused).
    const wal = walAt(random, begin, 64);
    const fields = {
      term,
      beginLsn: begin,
      endLsn: begin + BigInt(wal.length),
      commitLsn: U64_MAX,
      truncateLsn: U64_MAX,
    };
    const payload = rawAppend(fields, target.proposerId, wal);
    return pushCase(
      target,
      `AppendRequest of term ${term} at ${begin}`,
      [payload],
      { greeted: true },
      WRONG_STATE,
    );
  }
  const walBytes =
    variant === 'too-long' ? random.int(MAX_APPEND_WAL_BYTES + 1, 200_000) : random.int(0, 512);
  const delta = {
    'end-before-begin': -BigInt(random.int(1, 2 ** 30)),
    'length-mismatch':
      BigInt(walBytes) +
      BigInt(random.int(1, 9)) * (walBytes < 10 || random.chance(0.5) ? 1n : -1n),
    'too-long': BigInt(walBytes),
  }[variant];
  const safeBegin = begin < 2n ** 62n ? begin + (1n << 31n) : begin - (1n << 31n);
  const endLsn = safeBegin + delta >= 0n ? safeBegin + delta : 0n;
  const fields = { term, beginLsn: safeBegin, endLsn, commitLsn: U64_MAX, truncateLsn: U64_MAX };
  const payload = rawAppend(fields, target.proposerId, random.bytes(walBytes));
  const label = `AppendRequest ${variant}: ${safeBegin}..${endLsn} with ${walBytes} WAL bytes`;
  return pushCase(target, label, [payload], { greeted: random.chance(0.5) }, PROTOCOL_VIOLATION);
};

/** ProposerElected of the acceptor's own term that cannot be applied: refused, nothing truncated. */
function absurdElection(random: FuzzRandom, target: FuzzTarget): CaseDraft {
  const term = target.term;
  const end = target.flushLsn;
  const history = random.pick([
    [],
    [{ term: term + 1n, lsn: end }],
    [
      { term, lsn: end },
      { term, lsn: end },
    ],
    [{ term, lsn: end + 1n }],
    [{ term, lsn: target.localStartLsn }],
  ]);
  const wellFormed = history.length === 1 && history[0]?.term === term && history[0].lsn <= end;
  // A well-formed history needs a start that is not the WAL end to be refused.
  const start = wellFormed
    ? lsnAwayFromEnd(random, target)
    : random.pick([end, lsnAwayFromEnd(random, target)]);
  const payload = encodeProposerMessage({
    tag: 'elected',
    term,
    startStreamingAt: start,
    termHistory: history,
    timelineStartLsn: random.pick([0n, U64_MAX, end]),
  });
  const label = `ProposerElected of term ${term} at ${start} with ${history.length} history entries`;
  return pushCase(target, label, [payload], { greeted: true }, PROTOCOL_VIOLATION);
}

const staleTerm: CaseGenerator = (random, target) => {
  const term = target.term;
  if (random.chance(0.5)) {
    const voteTerm = BigInt(random.int(0, Number(term)));
    const payload = encodeProposerMessage({ tag: 'vote', term: voteTerm });
    const replies = [
      { tag: 'greeting', term },
      { tag: 'vote', term },
    ] as const;
    return pushCase(
      target,
      `VoteRequest of term ${voteTerm}`,
      [payload],
      { greeted: true },
      { kind: 'reply', replies },
    );
  }
  const staleTermValue = BigInt(random.int(0, Number(term) - 1));
  const begin = lsnAwayFromEnd(random, target);
  const wal = walAt(random, begin, 256);
  const fields = {
    term: staleTermValue,
    beginLsn: begin,
    endLsn: begin + BigInt(wal.length),
    commitLsn: U64_MAX,
    truncateLsn: U64_MAX,
  };
  const replies = [
    { tag: 'greeting', term },
    { tag: 'append', term },
  ] as const;
  const label = `AppendRequest of stale term ${staleTermValue} at ${begin}`;
  return pushCase(
    target,
    label,
    [rawAppend(fields, random.hexId(), wal)],
    { greeted: true },
    { kind: 'reply', replies },
  );
};

export const WAL_PUSH_STEP_CATEGORIES: Readonly<Record<string, CaseGenerator>> = {
  'push: out-of-order step': outOfOrderStep,
  'push: greeting mismatch': greetingMismatch,
  'push: absurd LSNs': absurdLsn,
  'push: stale term (reply, no change)': staleTerm,
};
