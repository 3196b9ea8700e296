// oclif's parser errors in our words, and "did you mean" only for plausible typos.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closestWord } from '../../../src/cli/did-you-mean.js';
import { parseErrorToAppError } from '../../../src/cli/parse-errors.js';

function parserError(message: string, fields: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${message}\nSee more help with --help`), {
    oclif: { exit: 2 },
    ...fields,
  });
}

test('closest word: typos get a suggestion, guesses do not', () => {
  assert.equal(closestWord('--sizee', ['--size', '--rate', '--timeout']), '--size');
  assert.equal(closestWord('sk lsit', ['sk list', 'sk kill', 'status']), 'sk list');
  assert.equal(closestWord('timelne', ['timeline', 'time']), 'timeline');
  assert.equal(closestWord('-z', ['-n', '-f']), undefined, 'too short to tell');
  assert.equal(closestWord('--frobnicate', ['--size', '--rate']), undefined, 'not a typo');
});

test('parser errors read like ours', () => {
  const known = ['--size', '--rate', '--json'];
  const cases: [Error, string, readonly string[]][] = [
    [
      parserError('Nonexistent flag: --sizee', { flags: ['--sizee'] }),
      'unknown flag --sizee',
      ['Did you mean --size?', "See the command's --help."],
    ],
    [
      parserError('Parsing --lines \n\tExpected an integer but received: abc'),
      'invalid --lines "abc": expected an integer',
      ["See the command's --help."],
    ],
    [
      parserError(
        'Parsing --lines \n\tExpected an integer greater than or equal to 0 but received: -5',
      ),
      'invalid --lines "-5": expected an integer >= 0',
      ["See the command's --help."],
    ],
    [
      parserError('Expected --mode=slow to be one of: fast, immediate'),
      'invalid --mode "slow": expected one of fast, immediate',
      ["See the command's --help."],
    ],
    [
      parserError('Missing 1 required arg:\ntimeline  TENANT/TIMELINE', {
        args: [{ name: 'timeline' }],
      }),
      'missing argument TIMELINE',
      ["See the command's --help."],
    ],
    [
      parserError('Unexpected argument: 2', { args: ['2'] }),
      'unexpected argument 2',
      ["See the command's --help."],
    ],
  ];
  for (const [error, message, hints] of cases) {
    const appError = parseErrorToAppError(error, known);
    assert.ok(appError, message);
    assert.equal(appError.message, message);
    assert.equal(appError.exitCode, 2);
    assert.deepEqual(appError.hints, hints);
  }
  assert.equal(parseErrorToAppError(new Error('plain'), known), undefined, 'not a parser error');
});
