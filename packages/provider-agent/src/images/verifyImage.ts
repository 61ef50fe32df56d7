import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { AgentError } from '../errors/AgentError';

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file))
    hash.update(chunk as Buffer);
  return hash.digest('hex');
}

// Loaded on first use: openpgp is large and most agent starts never verify.
function loadOpenpgp(): typeof import('openpgp') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('openpgp');
}

/** Reads the caller's armored public keys; INVALID_REQUEST when one is not a key. */
export async function readPublicKeys(armoredPublicKeys: string[]) {
  const openpgp = loadOpenpgp();
  try {
    return (
      await Promise.all(
        armoredPublicKeys.map(armoredKeys => openpgp.readKeys({ armoredKeys })),
      )
    ).flat();
  } catch (e) {
    throw new AgentError(
      'INVALID_REQUEST',
      `A public key could not be read: ${(e as Error).message}`,
    );
  }
}

/**
 * Verifies a detached OpenPGP signature over a file, streaming it, against the
 * armored public keys the caller trusts. Throws SIGNATURE_INVALID otherwise.
 */
export async function verifyDetachedSignature(
  file: string,
  armoredSignature: string,
  armoredPublicKeys: string[],
): Promise<{ keyId: string }> {
  const openpgp = loadOpenpgp();
  const keys = await readPublicKeys(armoredPublicKeys);
  let signature;
  try {
    signature = await openpgp.readSignature({ armoredSignature });
  } catch (e) {
    throw new AgentError(
      'SIGNATURE_INVALID',
      `The signature could not be read: ${(e as Error).message}`,
    );
  }
  const message = await openpgp.createMessage({
    binary: Readable.toWeb(
      fs.createReadStream(file),
    ) as unknown as ReadableStream<Uint8Array>,
  });
  const result = await openpgp.verify({
    message,
    signature,
    verificationKeys: keys,
    format: 'binary',
  });
  // The signed data is streamed through verification; drain it before asking for the verdict.
  const reader = (
    result.data as unknown as ReadableStream<Uint8Array>
  ).getReader();
  while (!(await reader.read()).done) {
    // draining
  }
  // Each signature packet may be by another key; the first that verifies wins.
  const reasons: string[] = [];
  for (const sig of result.signatures) {
    try {
      await sig.verified;
      return { keyId: sig.keyID.toHex() };
    } catch (e) {
      reasons.push((e as Error).message);
    }
  }
  throw new AgentError(
    'SIGNATURE_INVALID',
    `The detached signature does not verify against any trusted key${
      reasons.length ? ` (${reasons.join('; ')})` : ''
    }`,
  );
}
