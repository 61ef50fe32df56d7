import {
  createCipheriv,
  createDecipheriv,
  createHash,
  randomBytes,
} from 'node:crypto';

const VERSION = 'v1';

/**
 * Seals small secrets (BMC credentials) with AES-256-GCM under a key from
 * config. Sealed text is `v1.<iv>.<tag>.<ciphertext>` in base64url; a wrong
 * key or a changed byte fails to open.
 */
export class SecretBox {
  private readonly key: Buffer;

  /** `secret` is any string of at least 32 characters; it is hashed to a 256-bit key. */
  constructor(secret: string) {
    if (secret.length < 32) {
      throw new Error('appliances.secretKey must be at least 32 characters');
    }
    this.key = createHash('sha256').update(secret, 'utf8').digest();
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([
      cipher.update(plaintext, 'utf8'),
      cipher.final(),
    ]);
    return [VERSION, iv, cipher.getAuthTag(), body]
      .map(part =>
        typeof part === 'string' ? part : part.toString('base64url'),
      )
      .join('.');
  }

  /** `context` must match the one given to `seal` (the host id), so sealed values cannot be swapped between rows. */
  open(sealed: string, context: string): string {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || body === undefined) {
      throw new Error('Not a sealed secret');
    }
    const decipher = createDecipheriv(
      'aes-256-gcm',
      this.key,
      Buffer.from(iv, 'base64url'),
    );
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([
      decipher.update(Buffer.from(body, 'base64url')),
      decipher.final(),
    ]).toString('utf8');
  }
}
