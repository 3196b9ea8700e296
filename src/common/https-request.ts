// node:https, and node:tls under it, behind a module of its own that the plain-HTTP helpers
// import only for an https URL: no command or daemon that talks plain HTTP loads them. Every
// request and agent made here trusts what Node would have trusted at start-up with
// NODE_EXTRA_CA_CERTS, also when the CLI deferred that file (common/tls-trust.ts).
import { readFileSync } from 'node:fs';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { Agent, request, type AgentOptions, type RequestOptions } from 'node:https';
import { rootCertificates } from 'node:tls';
import { describeError } from './errors.js';
import { deferredExtraCaCertsFile } from './tls-trust.js';

let trusted: { readonly file: string; readonly ca: string[] } | undefined;

/**
 * The `ca` option that trusts the bundled roots and the deferred file's certificates, read once;
 * {} when nothing was deferred (Node's own trust holds). An unreadable file is reported once as a
 * warning and then ignored, as Node itself does at start-up.
 */
export function trustOptions(): { readonly ca?: string[] } {
  const file = deferredExtraCaCertsFile();
  if (file === undefined) return {};
  if (trusted?.file !== file) {
    const extra: string[] = [];
    try {
      extra.push(readFileSync(file, 'utf8'));
    } catch (error) {
      process.emitWarning(
        `Ignoring extra certs from \`${file}\`, load failed: ${describeError(error)}`,
      );
    }
    trusted = { file, ca: [...rootCertificates, ...extra] };
  }
  return { ca: trusted.ca };
}

export function httpsRequest(
  url: string,
  options: RequestOptions,
  onResponse: (response: IncomingMessage) => void,
): ClientRequest {
  return request(url, { ...options, ...trustOptions() }, onResponse);
}

export function trustingHttpsAgent(options: AgentOptions): Agent {
  return new Agent({ ...options, ...trustOptions() });
}
