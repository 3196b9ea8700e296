// "Did you mean ...?" for mistyped commands and flags: the closest known word by edit distance
// (fastest-levenshtein), offered only when it is close enough to be a typo, never a guess.
import { distance } from 'fastest-levenshtein';

/** The most edits a suggestion may be away: a third of the word, at least 2. */
function editsMax(word: string): number {
  return Math.max(2, Math.floor(word.length / 3));
}
/** Below this length every word is "close" to every other (-z and -n): no suggestion. */
const WORD_LENGTH_MIN = 4;

export function closestWord(word: string, candidates: readonly string[]): string | undefined {
  if (word.length < WORD_LENGTH_MIN) return undefined;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const edits = distance(word, candidate);
    if (edits < bestDistance) {
      best = candidate;
      bestDistance = edits;
    }
  }
  return bestDistance <= editsMax(word) ? best : undefined;
}
