import { createSigningKey, sha256 } from './signing';
import { startImageServer, ServedFile } from './imageServer';

/** A signed image channel: serves images with their detached signatures. */
export async function startChannel() {
  const server = await startImageServer();
  const key = await createSigningKey();
  return {
    server,
    key,
    /** Publishes an image and returns the install request a backend would send. */
    async publish(
      urlPath: string,
      body: Buffer,
      options: Omit<ServedFile, 'body'> & {
        version?: string;
        os?: string;
      } = {},
    ) {
      const { version, os, ...served } = options;
      server.files.set(urlPath, { body, ...served });
      server.files.set(`${urlPath}.asc`, {
        body: Buffer.from(await key.sign(body)),
      });
      return {
        version: version ?? '1.0.0',
        url: server.url(urlPath),
        sha256: sha256(body),
        signatureUrl: server.url(`${urlPath}.asc`),
        publicKeys: [key.publicKey],
        ...(os ? { os } : {}),
      };
    },
    close: () => server.close(),
  };
}

export async function waitFor<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`Timed out waiting; last value ${JSON.stringify(value)}`);
    await new Promise(r => setTimeout(r, 50));
  }
}
