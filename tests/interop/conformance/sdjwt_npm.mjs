// @sd-jwt/sd-jwt-vc (npm) as a conformance target for the SD-JWT VC suite (docs/interop.md).
// usage: node sdjwt_npm.mjs {presentation} {aud} {nonce}
// The library has no x5c chain validation: the adapter gives it the key of the x5c leaf
// certificate of the presentation's header, so an untrusted issuer is its known false accept.
// Signatures are checked with node:crypto (ES256/ES384/ES512 by the key's curve); the KB-JWT
// aud is compared here (the library checks the nonce). Exit 0 accept, 1 reject.
import { readFileSync } from 'node:fs';
import { X509Certificate, createPublicKey, verify } from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { SDJwtVcInstance } = require('@sd-jwt/sd-jwt-vc');
const { digest } = require('@sd-jwt/crypto-nodejs');

const HASH = { 'P-256': 'sha256', 'P-384': 'sha384', 'P-521': 'sha512' };
const verifierFor = (jwk) => async (data, sig) =>
  verify(HASH[jwk.crv], Buffer.from(data), { key: createPublicKey({ key: jwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' },
    Buffer.from(sig, 'base64url'));

const [presPath, aud, nonce] = process.argv.slice(2);
try {
  const presentation = readFileSync(presPath, 'utf8').trim();
  const header = JSON.parse(Buffer.from(presentation.split('~')[0].split('.')[0], 'base64url').toString());
  const cert = new X509Certificate(Buffer.from(header.x5c[0], 'base64'));
  const sd = new SDJwtVcInstance({
    hasher: digest,
    hashAlg: 'sha-256',
    verifier: verifierFor(cert.publicKey.export({ format: 'jwk' })),
    kbVerifier: async (data, sig, payload) => verifierFor(payload.cnf.jwk)(data, sig),
  });
  const r = await sd.verify(presentation, { keyBindingNonce: nonce });
  if (!r.kb || r.kb.payload.aud !== aud) throw new Error('KB-JWT missing or aud mismatch');
  console.log(JSON.stringify({ valid: true }));
} catch (e) {
  console.log(JSON.stringify({ valid: false, error: String(e.message ?? e) }));
  process.exit(1);
}
