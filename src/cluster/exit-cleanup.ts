// Daemons a LocalCluster started for a test set-up, stopped when the process that started them
// exits (a test file ending, a crash): one 'exit' hook sends SIGTERM to each tracked pid that
// still runs the same program on the same data dir (never to a reused pid), so the daemons
// drain and go. Exit hooks cannot wait; nothing survives a SIGKILL of the test process.
import { readFileSync } from 'node:fs';
import { cmdlineMatches, type ProcessIdentity } from './process/pid-file.js';
import { parseCmdline } from './process/proc-info.js';

const tracked = new Map<number, ProcessIdentity>();
let hookInstalled = false;

function stillOurs(pid: number, identity: ProcessIdentity): boolean {
  try {
    // Synchronous: an exit hook cannot wait.
    const argv = parseCmdline(readFileSync(`/proc/${pid}/cmdline`));
    return argv !== undefined && cmdlineMatches(argv, identity);
  } catch {
    return false;
  }
}

function stopTracked(): void {
  for (const [pid, identity] of tracked) {
    if (!stillOurs(pid, identity)) continue;
    try {
      process.kill(pid, 'SIGTERM');
      // A paused daemon acts on the SIGTERM only once it runs again.
      process.kill(pid, 'SIGCONT');
    } catch {
      // Gone between the check and the signal: nothing to stop.
    }
  }
  tracked.clear();
}

export function stopOnExit(pid: number, identity: ProcessIdentity): void {
  tracked.set(pid, identity);
  if (hookInstalled) return;
  hookInstalled = true;
  process.once('exit', stopTracked);
}
