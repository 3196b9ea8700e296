// The timings of the daemon-shell fixture (shell-daemon-fixture.ts), shared with its tests
// without loading the fixture itself (which runs a daemon when imported).
export const FIXTURE_DRAIN_TIMEOUT_MS = 1500;
export const SLOW_STOP_MS = 300;
