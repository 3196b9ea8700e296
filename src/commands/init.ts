import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { REMOTE_STORAGE_KINDS } from '../cluster/config.js';

export default class Init extends BaseCommand<typeof Init> {
  static override summary = 'Create a cluster spec in the repo dir (ports, safekeepers, storage)';
  static override description = `Writes <repo>/config (TOML) and <repo>/env. Ports start at the defaults (etcd 2379/2380, storage 9000/9001, safekeepers 5454+ and 7676+, pageserver 9898) plus --port-offset, moving up past any port that is in use. Remote storage defaults to MinIO when a minio binary is on PATH, else the embedded S3 server.`;
  static override examples = [
    '<%= config.bin %> init',
    '<%= config.bin %> init --safekeepers 5 --port-offset 100',
    '<%= config.bin %> init --etcd-endpoints http://10.0.0.5:2379 --remote-storage s3 --s3-endpoint http://10.0.0.6:9000 --bucket wal',
  ];
  static override flags = {
    safekeepers: Flags.integer({
      description: 'Number of safekeepers (ids 1..N).',
      default: 3,
      min: 1,
      max: 32,
    }),
    'remote-storage': Flags.option({
      description: 'embedded (s3rver), minio (a MinIO binary) or s3 (an external endpoint).',
      options: REMOTE_STORAGE_KINDS,
    })(),
    'port-offset': Flags.integer({
      description: 'Added to every default port.',
      default: 0,
      min: 0,
      max: 50_000,
    }),
    'no-sync': Flags.boolean({
      description: 'Run safekeepers with --no-sync (no fsync: throwaway test clusters only).',
    }),
    'etcd-endpoints': Flags.string({
      description: 'Use an external etcd (comma-separated URLs) instead of starting one.',
    }),
    'etcd-binary': Flags.string({ description: 'etcd binary to start.', default: '/usr/bin/etcd' }),
    'minio-binary': Flags.string({ description: 'MinIO binary (implies --remote-storage minio).' }),
    's3-endpoint': Flags.string({
      description: 'Endpoint of an external S3 (with --remote-storage s3).',
    }),
    bucket: Flags.string({ description: 'Bucket for WAL offload.', default: 'neon-local' }),
    region: Flags.string({ description: 'Bucket region.', default: 'us-east-1' }),
    prefix: Flags.string({
      description: 'Key prefix inside the bucket.',
      default: 'safekeeper-wal',
    }),
    'no-pageserver': Flags.boolean({
      description:
        'Start no pageserver: nothing then consumes the WAL or reports remote_consistent_lsn.',
    }),
    force: Flags.boolean({
      description: 'Replace an existing (stopped) cluster; its data is lost.',
    }),
  };

  public async run(): Promise<void> {
    const cluster = this.cluster();
    const flags = this.flags;
    const config = await cluster.init({
      safekeeperCount: flags.safekeepers,
      ...(flags['remote-storage'] === undefined ? {} : { remoteStorage: flags['remote-storage'] }),
      portOffset: flags['port-offset'],
      sync: !flags['no-sync'],
      etcdBinary: flags['etcd-binary'],
      ...(flags['etcd-endpoints'] === undefined
        ? {}
        : {
            etcdEndpoints: flags['etcd-endpoints']
              .split(',')
              .map((url) => url.trim())
              .filter(Boolean),
          }),
      ...(flags['minio-binary'] === undefined ? {} : { minioBinary: flags['minio-binary'] }),
      ...(flags['s3-endpoint'] === undefined ? {} : { s3Endpoint: flags['s3-endpoint'] }),
      bucket: flags.bucket,
      region: flags.region,
      prefix: flags.prefix,
      pageserver: !flags['no-pageserver'],
      force: flags.force,
    });
    this.output({ repoDir: cluster.repoDir, config }, () => {
      process.stdout.write(
        `initialised ${cluster.repoDir}: ${config.safekeepers.length} safekeepers, ${config.remoteStorage.kind} storage, ${config.pageserver.enabled ? 'a pageserver' : 'no pageserver'}\n`,
      );
      process.stdout.write(`config: ${cluster.layout.configFile}\n`);
    });
  }
}
