// Backstage's rules for entity names and namespaces (at most 63 characters each).
const NAME = '[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?';
const NAMESPACE = '[a-z0-9]+(?:-+[a-z0-9]+)*';

const OWNER_REF = new RegExp(`^(user|group):(?:(${NAMESPACE})/)?(${NAME})$`);

/**
 * The canonical ref (`group:default/platform`) of a user or group that may
 * own something, or undefined when `ref` is not one: owners become catalog
 * relations, so anything else (`' '`, `user:default/<script>`, a component)
 * is refused.
 */
export function normalizeOwnerRef(ref: string): string | undefined {
  const match = OWNER_REF.exec(ref);
  if (!match) return undefined;
  const [, kind, namespace = 'default', name] = match;
  if (namespace.length > 63 || name.length > 63) return undefined;
  return `${kind}:${namespace}/${name}`;
}
