// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as PostgreSQL uses for WAL records and
// the safekeeper for its control file. Slicing-by-8 over eight 256-entry tables (about 1 GB/s in
// V8, against 70 MB/s byte at a time); `crc32cUpdate` lets a checksum span several buffers
// (start with CRC32C_INIT, finish with crc32cFinish). Must stay allocation-free per call.

const POLYNOMIAL_REFLECTED = 0x82f63b78;
export const CRC32C_INIT = 0xffffffff;
const SLICES = 8;

/** TABLES[k * 256 + b]: the CRC contribution of byte b followed by k zero bytes. */
const TABLES = (() => {
  const tables = new Int32Array(256 * SLICES);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 1 ? (crc >>> 1) ^ POLYNOMIAL_REFLECTED : crc >>> 1;
    tables[byte] = crc;
  }
  for (let slice = 1; slice < SLICES; slice++) {
    for (let byte = 0; byte < 256; byte++) {
      const previous = tables[(slice - 1) * 256 + byte] as number;
      tables[slice * 256 + byte] = (previous >>> 8) ^ (tables[previous & 0xff] as number);
    }
  }
  return tables;
})();

export function crc32cUpdate(state: number, data: Uint8Array): number {
  const t = TABLES;
  let crc = state | 0;
  let i = 0;
  const length = data.length;
  const end8 = length - (length % 8);
  // Every index below is in range by construction; the casts only tell the type checker so.
  while (i < end8) {
    const low =
      crc ^
      ((data[i] as number) |
        ((data[i + 1] as number) << 8) |
        ((data[i + 2] as number) << 16) |
        ((data[i + 3] as number) << 24));
    crc =
      (t[7 * 256 + (low & 0xff)] as number) ^
      (t[6 * 256 + ((low >>> 8) & 0xff)] as number) ^
      (t[5 * 256 + ((low >>> 16) & 0xff)] as number) ^
      (t[4 * 256 + (low >>> 24)] as number) ^
      (t[3 * 256 + (data[i + 4] as number)] as number) ^
      (t[2 * 256 + (data[i + 5] as number)] as number) ^
      (t[256 + (data[i + 6] as number)] as number) ^
      (t[data[i + 7] as number] as number);
    i += 8;
  }
  while (i < length) {
    crc = (t[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8);
    i++;
  }
  return crc >>> 0;
}

export function crc32cFinish(state: number): number {
  return (state ^ 0xffffffff) >>> 0;
}

export function crc32c(data: Uint8Array): number {
  return crc32cFinish(crc32cUpdate(CRC32C_INIT, data));
}
