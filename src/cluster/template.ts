// Renders files from templates/ by replacing {{name}} placeholders. A placeholder without a
// value, or a value without a placeholder, is a bug and fails loudly.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assert } from '../common/assert.js';
import { PACKAGE_ROOT } from './package-root.js';

export const TEMPLATES_DIR = join(PACKAGE_ROOT, 'templates');

export function renderTemplate(template: string, values: Readonly<Record<string, string>>): string {
  const used = new Set<string>();
  const rendered = template.replace(/\{\{([a-z_]+)\}\}/g, (_match, name: string) => {
    const value = values[name];
    assert(value !== undefined, `template placeholder {{${name}}} has no value`);
    used.add(name);
    return value;
  });
  for (const name of Object.keys(values))
    assert(used.has(name), `template value ${name} has no placeholder`);
  return rendered;
}

export async function renderTemplateFile(
  name: string,
  values: Readonly<Record<string, string>>,
): Promise<string> {
  return renderTemplate(await readFile(join(TEMPLATES_DIR, name), 'utf8'), values);
}

/** A TOML literal for a string or a string array. */
export function tomlValue(value: string | boolean | number | readonly string[]): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  return `[${value.map((item) => JSON.stringify(item)).join(', ')}]`;
}
