// Times @sd-jwt/sd-jwt-vc (installed in tests/interop by scripts/install-peers.sh) verifying
// the same SD-JWT VC presentation Kakunin times, after checking that it verifies.
// usage: node time-sd-jwt-vc.mjs PRESENTATION CERT AUD NONCE [ITERATIONS]
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '..', '..', 'tests', 'interop', 'package.json'));
const { SDJwtVcInstance } = require('@sd-jwt/sd-jwt-vc');
const { ES256, digest } = require('@sd-jwt/crypto-nodejs');
const version = JSON.parse(readFileSync(join(here, '..', '..', 'tests', 'interop', 'node_modules', '@sd-jwt', 'sd-jwt-vc', 'package.json'), 'utf8')).version;

const [presPath, certPath, aud, nonce, iters] = process.argv.slice(2);
const presentation = readFileSync(presPath, 'utf8').trim();
const jwk = new X509Certificate(readFileSync(certPath)).publicKey.export({ format: 'jwk' });
const sd = new SDJwtVcInstance({
  hasher: digest,
  hashAlg: 'sha-256',
  verifier: await ES256.getVerifier(jwk),
  kbVerifier: async (data, sig, payload) => (await ES256.getVerifier(payload.cnf.jwk))(data, sig),
});
const verify = async () => {
  const r = await sd.verify(presentation, { keyBindingNonce: nonce });
  if (!r.kb || r.kb.payload.aud !== aud) throw new Error('KB-JWT missing or aud mismatch');
};
await verify();
const n = Number(iters) || 300;
for (let i = 0; i < n / 10; i++) await verify();
const start = process.hrtime.bigint();
for (let i = 0; i < n; i++) await verify();
const nsPerOp = Math.round(Number(process.hrtime.bigint() - start) / n);

// The library's own signature floor: the two ES256 verifications it needs (issuer JWS and
// KB-JWT), with the same @sd-jwt/crypto-nodejs verifier, keys imported once.
const parts = presentation.split('~');
const [issuerJwt, kbJwt] = [parts[0], parts[parts.length - 1]];
const b64json = (s) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
const holderJwk = b64json(issuerJwt.split('.')[1]).cnf.jwk;
const issuerVerifier = await ES256.getVerifier(jwk);
const holderVerifier = await ES256.getVerifier(holderJwk);
const signed = (jws) => [jws.slice(0, jws.lastIndexOf('.')), jws.slice(jws.lastIndexOf('.') + 1)];
const floor = async () => {
  if (!(await issuerVerifier(...signed(issuerJwt))) || !(await holderVerifier(...signed(kbJwt)))) {
    throw new Error('bare signature check failed');
  }
};
for (let i = 0; i < n / 10; i++) await floor();
const floorStart = process.hrtime.bigint();
for (let i = 0; i < n; i++) await floor();
const floorNs = Math.round(Number(process.hrtime.bigint() - floorStart) / n);
console.log(JSON.stringify({ lib: '@sd-jwt/sd-jwt-vc', version, ns_per_op: nsPerOp, floor_ns_per_op: floorNs, iterations: n }));
