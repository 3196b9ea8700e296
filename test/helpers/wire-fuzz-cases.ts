// The fuzz case list of the WAL service test: every category in turn, so that each is equally
// represented, generated from one seed (the same seed gives the same bytes), and about a third of
// the cases split into two or three writes at random offsets to exercise frame reassembly.
import { QUERY_CATEGORIES } from './wire-fuzz-query-cases.js';
import { STARTUP_CATEGORIES } from './wire-fuzz-startup-cases.js';
import { WAL_PUSH_FRAME_CATEGORIES } from './wal-push-frame-cases.js';
import { WAL_PUSH_STEP_CATEGORIES } from './wal-push-step-cases.js';
import { FuzzRandom, type CaseGenerator, type FuzzTarget } from './wire-fuzz-frames.js';
import type { FuzzCase } from './wire-fuzz-runner.js';

export const FUZZ_CATEGORIES: Readonly<Record<string, CaseGenerator>> = {
  ...STARTUP_CATEGORIES,
  ...QUERY_CATEGORIES,
  ...WAL_PUSH_FRAME_CATEGORIES,
  ...WAL_PUSH_STEP_CATEGORIES,
};

export function generateFuzzCases(seed: number, target: FuzzTarget, count: number): FuzzCase[] {
  const random = new FuzzRandom(seed);
  const categories = Object.entries(FUZZ_CATEGORIES);
  return Array.from({ length: count }, (_, index) => {
    const [category, generate] = categories[index % categories.length] as [string, CaseGenerator];
    const draft = generate(random, target);
    const splits = random.chance(0.35) ? random.int(1, 2) : 0;
    const splitAt = Array.from({ length: splits }, () => random.int(1, draft.bytes.length)).sort(
      (a, b) => a - b,
    );
    return { ...draft, category, splitAt, sslAnswer: draft.sslAnswer ?? false };
  });
}
