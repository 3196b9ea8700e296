// Extra trusted CAs (NODE_EXTRA_CA_CERTS) for the CLI's own TLS connections, loaded only when one
// is made. Node 20 reads that file, and its own root store with it, at every process start: 45-80
// ms of CPU (test/bench/README.md), spent by every command although nearly all of them talk plain
// HTTP on loopback. So bin/run.js starts Node without the variable and hands its value over in
// DEFERRED_CA_CERTS_ENV (see its first line); adoptDeferredExtraCaCerts puts it back for child
// processes and remembers the file, and common/https-request.ts gives each https request of the
// CLI the trust Node would have given it: the bundled roots plus the file. A process started with
// the variable (a test calling LocalCluster, `node bin/run.js`) has it loaded by Node and needs
// nothing of this. No node:tls here: the CLI entry imports this module.

/** Set by bin/run.js's first line to NODE_EXTRA_CA_CERTS's value ("" when it was unset). */
export const DEFERRED_CA_CERTS_ENV = 'NEON_LOCAL_DEFERRED_CA_CERTS';

let deferredFile: string | undefined;

/**
 * Called once by the CLI entry: when Node was started without NODE_EXTRA_CA_CERTS on our behalf,
 * restores it in the environment (children inherit it as before) and remembers the file for the
 * process's own TLS connections. Does nothing when DEFERRED_CA_CERTS_ENV is absent.
 */
export function adoptDeferredExtraCaCerts(env: NodeJS.ProcessEnv = process.env): void {
  // Spelled out (DEFERRED_CA_CERTS_ENV): the lint rules refuse to delete a computed key.
  const file = env.NEON_LOCAL_DEFERRED_CA_CERTS;
  if (file === undefined) return;
  delete env.NEON_LOCAL_DEFERRED_CA_CERTS;
  if (file === '') return;
  env.NODE_EXTRA_CA_CERTS = file;
  deferredFile = file;
}

/** The file this process's TLS connections must trust beyond Node's own, if it was deferred. */
export function deferredExtraCaCertsFile(): string | undefined {
  return deferredFile;
}

/** For tests: forget what adoptDeferredExtraCaCerts remembered. */
export function forgetDeferredExtraCaCerts(): void {
  deferredFile = undefined;
}
