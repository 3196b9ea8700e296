// Loopback port checks: is a port free, who holds it (from /proc/net/tcp* and /proc/*/fd), and
// the choice of free ports at init.
import { readFile, readdir, readlink } from 'node:fs/promises';
import { createServer } from 'node:net';

export const LOOPBACK_HOST = '127.0.0.1';
const PORT_SEARCH_LIMIT = 2000;
const TCP_LISTEN_STATE = '0A';

export function isPortFree(port: number, host = LOOPBACK_HOST): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The first free port at or above `start` that is not in `taken`. */
export async function findFreePort(start: number, taken: ReadonlySet<number>): Promise<number> {
  for (let port = start; port < start + PORT_SEARCH_LIMIT && port <= 65535; port++) {
    if (!taken.has(port) && (await isPortFree(port))) return port;
  }
  throw new Error(`no free loopback port in ${start}..${start + PORT_SEARCH_LIMIT}`);
}

export interface PortHolder {
  readonly pid: number;
  readonly command: string;
}

/** Finds the process listening on a TCP port, when /proc lets us see it. */
export async function findPortHolder(port: number): Promise<PortHolder | undefined> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = await readFile(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      if (local === undefined || fields[3] !== TCP_LISTEN_STATE) continue;
      const portHex = local.slice(local.lastIndexOf(':') + 1);
      if (parseInt(portHex, 16) === port && fields[9] !== undefined) inodes.add(fields[9]);
    }
  }
  if (inodes.size === 0) return undefined;
  return findSocketOwner(inodes);
}

async function findSocketOwner(inodes: ReadonlySet<string>): Promise<PortHolder | undefined> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = await readdir(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode !== undefined && inodes.has(inode)) {
        const command = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '?')).trim();
        return { pid: Number(pid), command };
      }
    }
  }
  return undefined;
}
