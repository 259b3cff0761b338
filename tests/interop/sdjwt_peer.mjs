// @sd-jwt/sd-jwt-vc (npm) as a peer for Kakunin's SD-JWT VC interop tests. One JSON line out.
//   node sdjwt_peer.mjs verify PRESENTATION.txt ISSUER_CERT.pem AUD NONCE
//     verifies a presentation (issuer signature with the certificate's key, disclosures,
//     KB-JWT signature with cnf.jwk, nonce; aud checked here); exit 0 valid, 1 not.
//   node sdjwt_peer.mjs issue ISSUER_KEY.pem ISSUER_CERT.pem OUT.txt AUD NONCE
//     issues an SD-JWT VC (x5c = the certificate) with name and age_equal_or_over.{20,65}
//     selectively disclosable, and presents age_equal_or_over.20 with a KB-JWT.
import { readFileSync, writeFileSync } from 'node:fs';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { SDJwtVcInstance } = require('@sd-jwt/sd-jwt-vc');
const { ES256, digest, generateSalt } = require('@sd-jwt/crypto-nodejs');

const [mode, ...args] = process.argv.slice(2);

function certKeyJwk(certPath) {
  const cert = new X509Certificate(readFileSync(certPath));
  return { jwk: cert.publicKey.export({ format: 'jwk' }), der: cert.raw };
}

try {
  if (mode === 'verify') {
    const [presPath, certPath, aud, nonce] = args;
    const presentation = readFileSync(presPath, 'utf8').trim();
    const { jwk } = certKeyJwk(certPath);
    const sd = new SDJwtVcInstance({
      hasher: digest,
      hashAlg: 'sha-256',
      verifier: await ES256.getVerifier(jwk),
      kbVerifier: async (data, sig, payload) => (await ES256.getVerifier(payload.cnf.jwk))(data, sig),
    });
    const r = await sd.verify(presentation, { keyBindingNonce: nonce });
    if (!r.kb || r.kb.payload.aud !== aud) throw new Error('KB-JWT missing or aud mismatch');
    console.log(JSON.stringify({ valid: true, claims: r.payload }));
  } else if (mode === 'issue') {
    const [keyPath, certPath, outPath, aud, nonce] = args;
    const issuerJwk = createPrivateKey(readFileSync(keyPath)).export({ format: 'jwk' });
    const { jwk: issuerPub, der } = certKeyJwk(certPath);
    const holder = await ES256.generateKeyPair();
    const sd = new SDJwtVcInstance({
      signer: await ES256.getSigner(issuerJwk),
      signAlg: 'ES256',
      verifier: await ES256.getVerifier(issuerPub),
      hasher: digest,
      hashAlg: 'sha-256',
      saltGenerator: generateSalt,
      kbSigner: await ES256.getSigner(holder.privateKey),
      kbSignAlg: 'ES256',
    });
    const now = Math.floor(Date.now() / 1000);
    const credential = await sd.issue(
      {
        iss: 'https://peer.example/sd-jwt-vc',
        vct: 'urn:kakunin:jp-pid:1',
        iat: now,
        exp: now + 3600,
        cnf: { jwk: holder.publicKey },
        name: 'Suzuki Taro',
        age_equal_or_over: { 20: true, 65: false },
      },
      { _sd: ['name', 'age_equal_or_over'], age_equal_or_over: { _sd: ['20', '65'] } },
      { header: { typ: 'dc+sd-jwt', x5c: [der.toString('base64')] } },
    );
    const presentation = await sd.present(
      credential,
      { age_equal_or_over: { 20: true } },
      { kb: { payload: { aud, nonce, iat: now } } },
    );
    writeFileSync(outPath, presentation);
    console.log(JSON.stringify({ written: outPath }));
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
} catch (e) {
  console.log(JSON.stringify({ valid: false, error: String(e.message ?? e) }));
  process.exit(1);
}
