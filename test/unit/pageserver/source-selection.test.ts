// Which safekeeper a timeline streams from: the highest commit_lsn among those that hold the
// WAL we need; the current source is kept until it stops answering or falls more than the
// threshold behind.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NodeId } from '../../../src/common/ids.js';
import {
  chooseSource,
  type SourceCandidate,
  type SourceChoiceInput,
} from '../../../src/pageserver/receiver/source-selection.js';

const SEG = 16 * 1024 * 1024;

function sk(id: number, commitLsn: bigint, localStartLsn = 0x1000000n): SourceCandidate {
  return {
    safekeeperId: id as NodeId,
    commitLsn,
    timelineStartLsn: 0x1000000n,
    localStartLsn,
    segmentSizeBytes: SEG,
  };
}

function input(overrides: Partial<SourceChoiceInput>): SourceChoiceInput {
  return {
    candidates: [],
    currentId: undefined,
    resumeLsn: 0x1000000n,
    segmentSizeBytes: SEG,
    lagThresholdBytes: BigInt(SEG),
    ...overrides,
  };
}

const CASES: readonly [string, SourceChoiceInput, string][] = [
  ['nobody answers', input({}), 'none'],
  [
    'the highest commit wins',
    input({ candidates: [sk(1, 0x2000000n), sk(2, 0x3000000n)] }),
    'switch 2',
  ],
  [
    'ties go to the lowest id',
    input({ candidates: [sk(3, 0x2000000n), sk(2, 0x2000000n)] }),
    'switch 2',
  ],
  [
    'ties go to the current source',
    input({ candidates: [sk(1, 0x2000000n), sk(2, 0x2000000n)], currentId: 2 as NodeId }),
    'keep',
  ],
  [
    'a source a little behind is kept',
    input({ candidates: [sk(1, 0x2000000n), sk(2, 0x2800000n)], currentId: 1 as NodeId }),
    'keep',
  ],
  [
    'a source over a segment behind is left',
    input({ candidates: [sk(1, 0x2000000n), sk(2, 0x3000001n)], currentId: 1 as NodeId }),
    'switch 2',
  ],
  [
    'a source that no longer answers is left',
    input({ candidates: [sk(2, 0x2000000n)], currentId: 1 as NodeId }),
    'switch 2',
  ],
  [
    'a source that lost the WAL we need is not chosen',
    input({ candidates: [sk(1, 0x5000000n, 0x3000000n), sk(2, 0x2000000n)] }),
    'switch 2',
  ],
  [
    'a safekeeper behind our position is not chosen',
    input({ candidates: [sk(1, 0x1800000n)], resumeLsn: 0x2000000n }),
    'none',
  ],
  [
    'the current source is kept though its round predates what it streamed since',
    input({ candidates: [sk(1, 0x1800000n)], resumeLsn: 0x2000000n, currentId: 1 as NodeId }),
    'keep',
  ],
  [
    'another segment size is never chosen',
    input({ candidates: [{ ...sk(1, 0x2000000n), segmentSizeBytes: 1024 * 1024 }] }),
    'none',
  ],
  [
    'a timeline without WAL yet has no source',
    input({ candidates: [{ ...sk(1, 0n), timelineStartLsn: 0n }], resumeLsn: undefined }),
    'none',
  ],
];

test('source choices', () => {
  for (const [name, choiceInput, expected] of CASES) {
    const choice = chooseSource(choiceInput);
    const shown = choice.kind === 'switch' ? `switch ${choice.to.safekeeperId}` : choice.kind;
    assert.equal(shown, expected, name);
  }
});

test('a new timeline starts at the timeline start of the chosen safekeeper', () => {
  const choice = chooseSource(
    input({ candidates: [sk(1, 0x2000000n)], resumeLsn: undefined, segmentSizeBytes: undefined }),
  );
  assert.equal(choice.kind, 'switch');
  assert.equal(choice.kind === 'switch' ? choice.startLsn : 0n, 0x1000000n);
});
