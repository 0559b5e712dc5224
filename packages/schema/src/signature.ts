import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign as edSign,
  verify as edVerify,
  type KeyObject,
} from 'node:crypto';
import { canonicalJson } from './canonical-json';
import type { Envelope } from './envelope';
import { SignatureError } from './errors';
import { err, ok, type Result } from './result';

/** A key as PEM text, a base64/base64url raw 32-byte Ed25519 public key, or a KeyObject. */
export type SigningKey = string | KeyObject;

export interface SigningKeyPair {
  /** Raw 32-byte Ed25519 public key, base64url: short enough for a registry field or env var. */
  publicKey: string;
  /** PKCS#8 PEM. */
  privateKey: string;
}

// SPKI DER prefix of an Ed25519 public key; the raw 32 bytes follow it.
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function generateSigningKeyPair(): SigningKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return {
    publicKey: der.subarray(ED25519_SPKI_PREFIX.length).toString('base64url'),
    privateKey: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}

function toPublicKey(key: SigningKey): KeyObject {
  if (typeof key !== 'string') return key.type === 'private' ? createPublicKey(key) : key;
  if (key.includes('-----BEGIN')) return createPublicKey(key);
  const raw = Buffer.from(key, 'base64url');
  if (raw.length !== 32) throw new SignatureError('public key must be 32 raw bytes (base64url) or PEM');
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

function toPrivateKey(key: SigningKey): KeyObject {
  return typeof key === 'string' ? createPrivateKey(key) : key;
}

/**
 * The signed bytes: canonical JSON of the envelope without `sig` and `custody`. Custody is left
 * out because every hop appends to it; it has its own hash chain (see custody.ts).
 */
export function signingInput(env: Envelope): Buffer {
  const { sig: _sig, custody: _custody, ...rest } = env;
  return Buffer.from(canonicalJson(rest), 'utf8');
}

/** Returns a copy of `env` with `sig` set to an Ed25519 signature (base64url). */
export function signEnvelope<E extends Envelope>(env: E, privateKey: SigningKey): E {
  let key: KeyObject;
  try {
    key = toPrivateKey(privateKey);
  } catch (cause) {
    throw new SignatureError('cannot read the private key: give PKCS#8 PEM or a KeyObject', { cause });
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new SignatureError(`private key is ${key.asymmetricKeyType}, not ed25519`);
  }
  return { ...env, sig: edSign(null, signingInput(env), key).toString('base64url') };
}

/** Verifies `env.sig` against `publicKey`; never throws. */
export function verifyEnvelope<E extends Envelope>(env: E, publicKey: SigningKey): Result<E, SignatureError> {
  if (env.sig === undefined) return err(new SignatureError(`envelope ${env.id} is not signed`));
  let key: KeyObject;
  try {
    key = toPublicKey(publicKey);
  } catch (cause) {
    return err(
      cause instanceof SignatureError ? cause : new SignatureError('cannot read the public key', { cause }),
    );
  }
  const sig = Buffer.from(env.sig, 'base64url');
  let valid = false;
  try {
    valid = sig.length === 64 && edVerify(null, signingInput(env), key, sig);
  } catch (cause) {
    return err(new SignatureError(`cannot verify envelope ${env.id}`, { cause }));
  }
  return valid ? ok(env) : err(new SignatureError(`signature of envelope ${env.id} does not match`));
}
