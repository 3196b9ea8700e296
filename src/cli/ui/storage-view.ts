// `storage ls` as text: one row per object (size in human units, time, key relative to the
// listed prefix, as `aws s3 ls` shows them) after the "directories" one level below. When the
// table would not fit the terminal, tenant and timeline ids in the keys are shortened (first 8
// hex and …) unless `wide`; a key that still does not fit is cut at the end.
import { formatSizeBytes } from '../../common/units.js';
import type { StorageListing } from '../../cluster/storage-ops.js';
import { renderTable, shortId, tableWidth } from './table.js';
import type { Theme } from './theme.js';

export interface StorageViewOptions {
  readonly widthColumns: number;
  readonly wide: boolean;
}

const HEX_ID = /\b[0-9a-f]{32}\b/g;

export function renderStorageListing(
  listing: StorageListing,
  theme: Theme,
  options: StorageViewOptions,
): string {
  const where = `s3://${listing.bucket}/${listing.prefix}`;
  if (listing.objects.length === 0 && listing.prefixes.length === 0)
    return theme.dim(`nothing under ${where} (${listing.endpoint})`);
  const relative = (key: string): string =>
    key.startsWith(listing.prefix) ? key.slice(listing.prefix.length) : key;
  const rows = (shorten: boolean): string[][] => {
    const name = (key: string): string =>
      shorten ? relative(key).replace(HEX_ID, shortId) : relative(key);
    return [
      ...listing.prefixes.map((prefix) => [theme.dim('DIR'), '', name(prefix)]),
      ...listing.objects.map((object) => [
        formatSizeBytes(object.size),
        // Minutes are enough to tell uploads apart by eye; --json has the full time.
        object.last_modified?.slice(0, 16).replace('T', ' ') ?? '',
        name(object.key),
      ]),
    ];
  };
  const header = ['SIZE', 'MODIFIED (UTC)', 'KEY'];
  let table = renderTable(header, rows(false));
  if (tableWidth(table) > options.widthColumns)
    table = renderTable(header, rows(!options.wide), options.widthColumns);
  const count = listing.objects.length;
  const dirs = listing.prefixes.length;
  const summary = theme.dim(
    `${where}: ${count} ${count === 1 ? 'object' : 'objects'}, ${formatSizeBytes(listing.total_bytes)}` +
      (dirs > 0
        ? `; ${dirs} ${dirs === 1 ? 'directory' : 'directories'} below (see --recursive)`
        : ''),
  );
  return `${table}\n${summary}`;
}
