// @auth0/mdl (npm) as a conformance target for the mdoc suite (docs/interop.md).
// usage: node auth0_mdl.mjs {response} {transcript} {trust} {reader_key}
// {reader_key} may be the empty string (DeviceSignature cases). @auth0/mdl checks time
// against the real clock (it takes no verification time): run the suite with --at now.
// Exit 0 when @auth0/mdl accepts, 1 when it rejects; one JSON line out.
import { readFileSync } from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Verifier } = require('@auth0/mdl');
const { COSEKeyFromJWK } = require('cose-kit');

const [responsePath, transcriptPath, trustPath, readerKeyPath] = process.argv.slice(2);
try {
  const options = { encodedSessionTranscript: readFileSync(transcriptPath) };
  if (readerKeyPath) {
    const jwk = createPrivateKey(readFileSync(readerKeyPath)).export({ format: 'jwk' });
    options.ephemeralReaderKey = COSEKeyFromJWK(jwk);
  }
  const mdoc = await new Verifier([readFileSync(trustPath, 'utf8')]).verify(readFileSync(responsePath), options);
  console.log(JSON.stringify({ valid: true, documents: mdoc.documents.length }));
} catch (e) {
  console.log(JSON.stringify({ valid: false, error: String(e.message ?? e) }));
  process.exit(1);
}
