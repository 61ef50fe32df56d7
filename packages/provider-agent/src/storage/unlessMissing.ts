/** True for "no such file or directory" and nothing else. */
export function isMissing(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/**
 * What a filesystem call resolves to, or `absent` when its path does not
 * exist. Any other failure (permissions, I/O, a file where a directory
 * should be) is thrown: it never passes for "absent".
 */
export async function unlessMissing<T, A>(
  call: Promise<T>,
  absent: A,
): Promise<T | A> {
  try {
    return await call;
  } catch (e) {
    if (isMissing(e)) return absent;
    throw e;
  }
}
