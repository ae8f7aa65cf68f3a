import {createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual} from 'node:crypto'

/**
 * How the sandbox stores what real Kasm stores opaquely: setting values encrypted with a key derived
 * from the installation id (so plain SQL cannot read or write them, as in Kasm), and API key
 * secrets as salted hashes.
 */

const PREFIX = 'enc:v1:'

function settingKey(installationId: string): Buffer {
  return createHash('sha256').update(`kasm-settings:${installationId.replaceAll('-', '')}`).digest()
}

export function encryptSetting(value: string, installationId: string): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', settingKey(installationId), iv)
  const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()])
  return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')
}

export function decryptSetting(stored: string, installationId: string): string {
  if (!stored.startsWith(PREFIX)) throw new Error('setting value is not encrypted by the sandbox')
  const raw = Buffer.from(stored.slice(PREFIX.length), 'base64')
  const decipher = createDecipheriv('aes-256-gcm', settingKey(installationId), raw.subarray(0, 12))
  decipher.setAuthTag(raw.subarray(12, 28))
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')
}

export function hashApiSecret(secret: string, salt: string): string {
  return createHash('sha256').update(salt + secret).digest('hex')
}

export function verifyApiSecret(secret: string, salt: string, hash: string): boolean {
  const actual = Buffer.from(hashApiSecret(secret, salt), 'hex')
  const expected = Buffer.from(hash, 'hex')
  return actual.length === expected.length && timingSafeEqual(actual, expected)
}
