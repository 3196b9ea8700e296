// Object ids and lengths of the PostgreSQL built-in types this project puts in RowDescriptions
// (values from pg_type.dat). Only what a RowDescription needs; no value conversion here.

export const TYPE_OIDS = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  oid: 26,
  json: 114,
  float4: 700,
  float8: 701,
  varchar: 1043,
  timestamptz: 1184,
  uuid: 2950,
  pgLsn: 3220,
  jsonb: 3802,
} as const;

/** pg_type.typlen of the fixed-size types above; everything else reports -1 (variable). */
const FIXED_TYPE_BYTES = new Map<number, number>([
  [TYPE_OIDS.bool, 1],
  [TYPE_OIDS.int8, 8],
  [TYPE_OIDS.int2, 2],
  [TYPE_OIDS.int4, 4],
  [TYPE_OIDS.oid, 4],
  [TYPE_OIDS.float4, 4],
  [TYPE_OIDS.float8, 8],
  [TYPE_OIDS.timestamptz, 8],
  [TYPE_OIDS.uuid, 16],
  [TYPE_OIDS.pgLsn, 8],
]);

/** The typlen a RowDescription reports for `typeOid`: its size in bytes, or -1. */
export function typeSizeBytes(typeOid: number): number {
  return FIXED_TYPE_BYTES.get(typeOid) ?? -1;
}
