import { createHash } from 'node:crypto';

/** An OpenPGP key pair and a detached signer, for channel images in tests and benches. */
export async function createSigningKey(name = 'Tempest Test Channel') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const openpgp: typeof import('openpgp') = require('openpgp');
  const { privateKey, publicKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy' as any,
    userIDs: [{ name, email: 'channel@example.com' }],
    format: 'armored',
  });
  const key = await openpgp.readPrivateKey({ armoredKey: privateKey });
  return {
    publicKey,
    async sign(data: Uint8Array): Promise<string> {
      const message = await openpgp.createMessage({ binary: data });
      return (await openpgp.sign({
        message,
        signingKeys: key,
        detached: true,
        format: 'armored',
      })) as string;
    },
  };
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
