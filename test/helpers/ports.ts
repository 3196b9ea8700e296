// Where tests put the ports of the daemons they start: at random (so that tests and leftovers
// rarely meet) but below the kernel's ephemeral range. A port in that range can be taken, between
// the check that it is free and the daemon's bind, by any outgoing connection of the machine (a
// probe, etcd's own clients): the daemon then fails with EADDRINUSE, a start fails now and then.
import { readFileSync } from 'node:fs';

/** Linux's default when /proc does not say. */
const DEFAULT_EPHEMERAL_LOW = 32_768;
const LOWEST_TEST_PORT = 10_000;

/** The first port of the kernel's ephemeral (client) range. */
export function ephemeralPortLow(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    return low !== undefined && Number.isInteger(low) && low > LOWEST_TEST_PORT
      ? low
      : DEFAULT_EPHEMERAL_LOW;
  } catch {
    return DEFAULT_EPHEMERAL_LOW;
  }
}

/**
 * A random number in [LOWEST_TEST_PORT, ephemeral low - span): with a port search starting
 * there, or `span` ports counted from it, everything stays below the ephemeral range.
 */
export function randomPortBelowEphemeral(span: number): number {
  const high = ephemeralPortLow() - span;
  if (high <= LOWEST_TEST_PORT)
    throw new Error(`no room for ${span} test ports below the ephemeral range`);
  return LOWEST_TEST_PORT + Math.floor(Math.random() * (high - LOWEST_TEST_PORT));
}
