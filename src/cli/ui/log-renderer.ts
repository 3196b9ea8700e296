// Daemon log lines for people, through pino-pretty's prettyFactory: `time LEVEL: component node:
// msg key=value ...` on one line. Lines that are not log records are returned as they are.
// pino-pretty is imported only when a renderer is made, so commands that never show logs do not
// load it. Times are shown in UTC, like the raw logs and the s3 server's lines.
import { stripVTControlCharacters } from 'node:util';
import { formatLogMessage, parseLogRecord, type LogPaint } from './log-record.js';

export type LogLineRenderer = (line: string) => string;

export const LOG_TIME_FORMAT = 'UTC:yyyy-mm-dd HH:MM:ss.l';

export interface LogRendererOptions {
  /** ANSI colour (level, message, dimmed keys): only when the target stream shows colour. */
  readonly colour: boolean;
}

/** What pino-pretty calls a level it does not know (etcd's dpanic, panic). */
const UNKNOWN_LEVEL_LABEL = 'USERLVL';

export async function loadLogLineRenderer(options: LogRendererOptions): Promise<LogLineRenderer> {
  const { prettyFactory } = await import('pino-pretty');
  const prettify = prettyFactory({
    colorize: options.colour,
    translateTime: LOG_TIME_FORMAT,
    // Metadata pino-pretty would put in the head; caller and name come out as key=value instead.
    ignore: 'pid,hostname,name,caller',
    singleLine: true,
    hideObject: true,
    customPrettifiers: {
      // Without the [brackets] pino-pretty puts around the time by default.
      time: (time) => (typeof time === 'string' ? time : JSON.stringify(time)),
      // Unknown levels by their own name. (The `label` given here is not filled in.)
      level: (level, _key, _log, { labelColorized }) =>
        typeof level === 'string' &&
        stripVTControlCharacters(labelColorized) === UNKNOWN_LEVEL_LABEL
          ? level.toUpperCase()
          : labelColorized,
    },
    messageFormat: (log, _messageKey, _levelLabel, { colors }) => {
      const paint: LogPaint = {
        head: (text) => colors.bold(text),
        key: (text) => colors.dim(text),
      };
      return formatLogMessage(log, paint);
    },
  });
  return (line) => {
    const record = parseLogRecord(line);
    return record === undefined ? line : prettify(record).replace(/\r?\n$/, '');
  };
}
