/** `resource:default/rack1-node4.host` → `rack1-node4`; names and ids pass through. */
export function hostOf(value: string): string {
  return value
    .trim()
    .replace(/^resource:(default\/)?/, '')
    .replace(/\.host$/, '');
}
