import { BaseCommand } from '../cli/base-command.js';
import { renderEnvFile } from '../cluster/repo.js';

export default class Env extends BaseCommand<typeof Env> {
  static override summary = "Print the cluster's NEON_* variables (ports, URLs, ids) for scripts";
  static override description =
    'The same content as <repo>/env. Use it as: eval "$(neon_local env)".';

  public async run(): Promise<void> {
    const cluster = this.cluster();
    const env = cluster.env(await cluster.loadConfig());
    this.output(env, () => process.stdout.write(renderEnvFile(env)));
  }
}
