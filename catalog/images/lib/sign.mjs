// @ts-check
// Detached OpenPGP signatures with the sample channel's TEST-ONLY key. The
// signature carries the key's creation time, so the same file always gets the
// same signature.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as openpgp from 'openpgp';

const keyDir = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../channels/TEST-ONLY-signing-key',
);

let key;
async function signingKey() {
  key ??= await openpgp.readPrivateKey({
    armoredKey: fs.readFileSync(
      path.join(keyDir, 'secret-key.TEST-ONLY.asc'),
      'utf8',
    ),
  });
  return key;
}

/** Writes `<file>.asc`. */
export async function signFile(file) {
  const signingKeys = await signingKey();
  const signature = await openpgp.sign({
    message: await openpgp.createMessage({ binary: fs.readFileSync(file) }),
    signingKeys,
    detached: true,
    format: 'armored',
    date: signingKeys.getCreationTime(),
    // No random salt notation: the same file gets the same signature (EdDSA is deterministic).
    config: { nonDeterministicSignaturesViaNotation: false },
  });
  fs.writeFileSync(`${file}.asc`, signature);
}
