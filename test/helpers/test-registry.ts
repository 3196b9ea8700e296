// A timeline registry of a safekeeper in a temp dir, in this process, for tests of the timeline
// and its users: no fsync, a silent logger, closed when the test ends. One timeline with WAL
// settings (1 MiB segments, the test system id) is a call away.
import type { TestContext } from 'node:test';
import { pino } from 'pino';
import type { TenantId, TimelineId } from '../../src/common/hex-id.js';
import type { Timeline } from '../../src/safekeeper/timeline/timeline.js';
import { TimelineRegistry } from '../../src/safekeeper/timeline/timeline-registry.js';
import { makeTempDir } from './temp-dir.js';
import { MIB, TEST_SYSTEM_ID } from './wal.js';

const SAVE_INTERVAL_MS = 300_000;
export const TEST_SERVER = { pgVersion: 150000, systemId: TEST_SYSTEM_ID, walSegSize: MIB };

export async function openTestRegistry(t: TestContext): Promise<TimelineRegistry> {
  const registry = new TimelineRegistry({
    dataDir: await makeTempDir(t),
    noSync: true,
    controlFileSaveIntervalMs: SAVE_INTERVAL_MS,
    walBackupConfigured: false,
    log: pino({ level: 'silent' }),
  });
  t.after(() => registry.closeAll().catch(() => undefined));
  return registry;
}

/** A fresh registry holding one timeline with WAL storage open (1 MiB segments). */
export async function createTestTimeline(
  t: TestContext,
  tenantId: TenantId,
  timelineId: TimelineId,
): Promise<{ registry: TimelineRegistry; timeline: Timeline }> {
  const registry = await openTestRegistry(t);
  return { registry, timeline: await registry.create(tenantId, timelineId, TEST_SERVER, []) };
}
