import { describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { appendCustody } from './custody';
import { createEnvelope } from './envelope';
import { generateSigningKeyPair, signEnvelope, verifyEnvelope } from './signature';

const env = createEnvelope({ type: 'finding', from: 'researcher', payload: { claim: 'x', confidence: 0.9 } });

describe('Ed25519 signatures', () => {
  const keys = generateSigningKeyPair();

  it('a signed envelope verifies with the raw public key, PEM or KeyObject', () => {
    const signed = signEnvelope(env, keys.privateKey);
    expect(signed.sig).toMatch(/^[A-Za-z0-9_-]{86}$/);
    expect(verifyEnvelope(signed, keys.publicKey).ok).toBe(true);
    const pair = generateKeyPairSync('ed25519');
    const s2 = signEnvelope(env, pair.privateKey);
    expect(verifyEnvelope(s2, pair.publicKey).ok).toBe(true);
    expect(verifyEnvelope(s2, pair.privateKey).ok).toBe(true);
    expect(verifyEnvelope(s2, pair.publicKey.export({ type: 'spki', format: 'pem' }).toString()).ok).toBe(true);
  });

  it('detects any edit of a signed field, and a key that is not the signer', () => {
    const signed = signEnvelope(env, keys.privateKey);
    expect(verifyEnvelope({ ...signed, payload: { claim: 'x', confidence: 1 } }, keys.publicKey).ok).toBe(false);
    expect(verifyEnvelope({ ...signed, from: 'mallory' }, keys.publicKey).ok).toBe(false);
    const other = generateSigningKeyPair();
    const r = verifyEnvelope(signed, other.publicKey);
    expect(!r.ok && r.error.code).toBe('BAD_SIGNATURE');
    expect(verifyEnvelope({ ...signed, sig: 'AAAA' }, keys.publicKey).ok).toBe(false);
  });

  it('survives custody hops appended after signing', () => {
    const signed = signEnvelope(env, keys.privateKey);
    const moved = appendCustody(signed, { agent: 'broker', action: 'relay' });
    expect(verifyEnvelope(moved, keys.publicKey).ok).toBe(true);
  });

  it('unsigned envelopes and unreadable keys give typed errors, never throws', () => {
    const r = verifyEnvelope(env, keys.publicKey);
    expect(!r.ok && r.error.message).toMatch(/not signed/);
    const signed = signEnvelope(env, keys.privateKey);
    expect(verifyEnvelope(signed, 'short').ok).toBe(false);
    expect(verifyEnvelope(signed, '-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----').ok).toBe(false);
    expect(() => signEnvelope(env, 'not a key')).toThrow(/PKCS#8/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(() => signEnvelope(env, rsa.privateKey)).toThrow(/not ed25519/);
    const rsaSigned = signEnvelope(env, keys.privateKey);
    expect(verifyEnvelope(rsaSigned, rsa.publicKey).ok).toBe(false);
  });
});
