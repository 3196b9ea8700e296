// The parameters of a StartupMessage body (after the protocol code): NUL-terminated name and
// value pairs ended by one extra NUL. The legacy "options" parameter is also split on whitespace
// (a backslash escapes the next character) into -c name=value, -cname=value, --name=value or
// name=value settings, dashes in names becoming underscores; explicit parameters win over them.
// Strict: a malformed body, duplicates or too many parameters are AppError('usage').
import { AppError } from '../../common/errors.js';
import { BinaryReader } from '../../common/binary-reader.js';

/** Most parameters accepted, counting those from "options". */
export const MAX_STARTUP_PARAMETERS = 64;
const OPTIONS_PARAMETER = 'options';
const WHITESPACE = /[ \t\n\v\f\r]/;

export function parseStartupParameters(body: Buffer): Map<string, string> {
  const explicit = readParameterPairs(body);
  const options = explicit.get(OPTIONS_PARAMETER);
  if (options === undefined) return explicit;
  const parameters = new Map(explicit);
  const fromOptions = new Set<string>();
  for (const [name, value] of parseOptionSettings(splitOptions(options))) {
    if (fromOptions.has(name)) throw optionsError(`${name} is set twice`);
    fromOptions.add(name);
    if (explicit.has(name)) continue;
    if (parameters.size >= MAX_STARTUP_PARAMETERS) throw tooManyParameters();
    parameters.set(name, value);
  }
  return parameters;
}

function readParameterPairs(body: Buffer): Map<string, string> {
  const reader = new BinaryReader(body, 'malformed StartupMessage', 'usage');
  const parameters = new Map<string, string>();
  for (;;) {
    if (reader.remainingBytes === 0) throw reader.error('no NUL ends the parameter list');
    const name = reader.cStringUtf8('parameter name');
    if (name === '') break;
    if (reader.remainingBytes === 0) throw reader.error(`parameter ${name} has no value`);
    const value = reader.cStringUtf8(`value of parameter ${name}`);
    if (parameters.has(name)) throw reader.error(`parameter ${name} appears twice`);
    if (parameters.size >= MAX_STARTUP_PARAMETERS) throw tooManyParameters();
    parameters.set(name, value);
  }
  if (reader.remainingBytes !== 0) {
    const offset = body.length - reader.remainingBytes - 1;
    throw reader.error(
      `empty parameter name at offset ${offset} (only the final NUL may be empty)`,
    );
  }
  return parameters;
}

/** Splits like PostgreSQL's pg_split_opts: whitespace separates, a backslash escapes. */
function splitOptions(options: string): string[] {
  const tokens: string[] = [];
  let token: string | undefined;
  for (let index = 0; index < options.length; index++) {
    let char = options.charAt(index);
    if (WHITESPACE.test(char)) {
      if (token !== undefined) tokens.push(token);
      token = undefined;
      continue;
    }
    if (char === '\\') {
      index++;
      if (index === options.length) throw optionsError('it ends with a lone backslash');
      char = options.charAt(index);
    }
    token = (token ?? '') + char;
  }
  if (token !== undefined) tokens.push(token);
  return tokens;
}

function parseOptionSettings(tokens: readonly string[]): [string, string][] {
  const settings: [string, string][] = [];
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index] ?? '';
    let setting: string;
    if (token === '-c') {
      index++;
      const next = tokens[index];
      if (next === undefined) throw optionsError('-c is not followed by name=value');
      setting = next;
    } else if (token.startsWith('-c') || token.startsWith('--')) {
      setting = token.slice(2);
    } else if (!token.startsWith('-')) {
      setting = token;
    } else {
      throw optionsError(`unsupported switch "${token}": only -c name=value and --name=value`);
    }
    settings.push(splitSetting(setting));
  }
  return settings;
}

function splitSetting(setting: string): [string, string] {
  const equals = setting.indexOf('=');
  if (equals === -1) throw optionsError(`"${setting}" is not name=value`);
  if (equals === 0) throw optionsError(`"${setting}" has an empty name`);
  return [setting.slice(0, equals).replaceAll('-', '_'), setting.slice(equals + 1)];
}

function optionsError(reason: string): AppError {
  return new AppError('usage', `invalid startup parameter ${OPTIONS_PARAMETER}: ${reason}`);
}

function tooManyParameters(): AppError {
  return new AppError(
    'usage',
    `too many startup parameters: at most ${MAX_STARTUP_PARAMETERS}, counting those in ${OPTIONS_PARAMETER}`,
  );
}
