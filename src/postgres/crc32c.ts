// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as PostgreSQL uses for WAL records and
// the safekeeper for its control file. Table-driven, 8 bits at a time; `crc32cUpdate` lets a
// checksum span several buffers (start with CRC32C_INIT, finish with crc32cFinish).

const POLYNOMIAL_REFLECTED = 0x82f63b78;
export const CRC32C_INIT = 0xffffffff;

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 1 ? (crc >>> 1) ^ POLYNOMIAL_REFLECTED : crc >>> 1;
    table[byte] = crc >>> 0;
  }
  return table;
})();

export function crc32cUpdate(state: number, data: Uint8Array): number {
  let crc = state >>> 0;
  for (const byte of data) crc = ((TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8)) >>> 0;
  return crc;
}

export function crc32cFinish(state: number): number {
  return (state ^ 0xffffffff) >>> 0;
}

export function crc32c(data: Uint8Array): number {
  return crc32cFinish(crc32cUpdate(CRC32C_INIT, data));
}
