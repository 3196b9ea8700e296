// JSON-lines logging for the daemons (pino): time, level, msg, component, node, and tenant /
// timeline where they apply. Written synchronously to stdout, which the control plane points at
// the component's log file.
import { destination, pino, type Logger } from 'pino';

export type { Logger };

export function createDaemonLogger(component: string, node?: number): Logger {
  return pino(
    {
      base: node === undefined ? { component } : { component, node },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination({ dest: 1, sync: true }),
  );
}
