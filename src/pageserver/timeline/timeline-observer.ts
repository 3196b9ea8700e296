// What a timeline reports to the pageserver's metrics (http/metrics.ts implements it).

export interface TimelineObserver {
  observeReceivedBytes(bytes: number): void;
  observeCheckpoint(outcome: 'ok' | 'error', uploadedBytes: number, seconds: number): void;
  observeSourceSwitch(): void;
}

export const NO_OBSERVER: TimelineObserver = {
  observeReceivedBytes: () => undefined,
  observeCheckpoint: () => undefined,
  observeSourceSwitch: () => undefined,
};
