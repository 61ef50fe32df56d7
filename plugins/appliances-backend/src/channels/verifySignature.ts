import * as openpgp from 'openpgp';

export type SignatureState =
  | 'verified'
  | 'trusted-signer'
  | 'untrusted'
  | 'invalid'
  | 'unsigned'
  | 'unavailable';

/** The channel's trusted keys, read once per refresh. */
export async function readTrustedKeys(
  armored: string[],
): Promise<openpgp.PublicKey[]> {
  return Promise.all(
    armored.map(armoredKey => openpgp.readKey({ armoredKey })),
  );
}

/** Reads an armored or binary detached signature. */
export async function readDetachedSignature(
  bytes: Buffer,
): Promise<openpgp.Signature> {
  const text = bytes.toString('utf8');
  if (text.includes('-----BEGIN PGP SIGNATURE-----')) {
    return openpgp.readSignature({ armoredSignature: text });
  }
  return openpgp.readSignature({ binarySignature: new Uint8Array(bytes) });
}

/** Whether the signature claims to be made by one of the trusted keys. */
export function isFromTrustedKey(
  signature: openpgp.Signature,
  keys: openpgp.PublicKey[],
): boolean {
  return signature
    .getSigningKeyIDs()
    .some(id => keys.some(key => key.getKeys(id).length > 0));
}

/** Verifies a detached signature over image bytes against the trusted keys. */
export async function verifyDetached(
  image: Uint8Array,
  signature: openpgp.Signature,
  keys: openpgp.PublicKey[],
): Promise<boolean> {
  const message = await openpgp.createMessage({ binary: image });
  const result = await openpgp.verify({
    message,
    signature,
    verificationKeys: keys,
  });
  // Several signatures may be attached; one valid signature by a trusted key suffices.
  const outcomes = await Promise.allSettled(
    result.signatures.map(s => s.verified),
  );
  return outcomes.some(o => o.status === 'fulfilled' && o.value === true);
}
