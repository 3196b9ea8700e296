// A one-safekeeper cluster config for unit tests of the components, with the remote storage (and
// extra etcd) lines given.
import { parseClusterConfig, type ClusterConfig } from '../../src/cluster/config.js';

export function configWith(storage: string, etcd = ''): ClusterConfig {
  return parseClusterConfig(
    `[cluster]
format_version = 1
[etcd]
client_port = 2379
peer_port = 2380
${etcd}
[remote_storage]
${storage}
[[safekeepers]]
id = 1
pg_port = 5454
http_port = 7676
[pageserver]
http_port = 9898
`,
    'test',
  );
}
