/** The name of an instance's disk and domain on its host. */
export function diskNameOf(instanceId: string) {
  return `i-${instanceId}`;
}
