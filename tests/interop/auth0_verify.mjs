// Verify a DeviceResponse with @auth0/mdl and print its verdict as one JSON line.
// usage: node auth0_verify.mjs RESPONSE.cbor TRANSCRIPT.cbor IACA.pem
// Exit 0 when @auth0/mdl accepts the response (every check it runs passed), 1 when not.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Verifier } = require('@auth0/mdl');

const [responsePath, transcriptPath, iacaPath] = process.argv.slice(2);
const response = readFileSync(responsePath);
const transcript = readFileSync(transcriptPath);
const iaca = readFileSync(iacaPath, 'utf8');

const checks = [];
try {
  const mdoc = await new Verifier([iaca]).verify(response, {
    encodedSessionTranscript: transcript,
    onCheck: (v, original) => {
      checks.push({ id: v.id, status: v.status, reason: v.reason });
      original(v);
    },
  });
  const elements = {};
  for (const doc of mdoc.documents) {
    for (const [ns, items] of Object.entries(doc.issuerSigned.nameSpaces)) {
      for (const item of items) {
        const v = item.elementValue;
        elements[`${ns}/${item.elementIdentifier}`] =
          v instanceof Uint8Array ? `<${v.length} bytes>` : v;
      }
    }
  }
  console.log(JSON.stringify({ valid: true, docType: mdoc.documents[0].docType, checks: checks.length, elements }));
} catch (e) {
  console.log(JSON.stringify({ valid: false, error: String(e.message ?? e), code: e.code ?? null, checks }));
  process.exit(1);
}
