// What an etcd client's error says, in a few words: gRPC's and node's messages run to a line and
// a half ("14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED
// ..."), too long for the status detail or inspect's offload line (the whole message stays in
// --json and the daemon's log).

/** A verb phrase: "etcd at URL <summary>", "broker: etcd <summary>". */
export function etcdFailureSummary(message: string): string {
  if (/ECONNREFUSED/.test(message)) return 'refuses connections';
  if (/no answer within|DEADLINE_EXCEEDED|deadline|timed? ?out/i.test(message))
    return 'did not answer in time';
  if (/ENOTFOUND|EAI_AGAIN/.test(message)) return 'has a host name that does not resolve';
  if (/watch stream was unexpectedly ended|ECONNRESET|socket hang up/.test(message))
    return 'dropped the connection';
  return `failed: ${message}`;
}
