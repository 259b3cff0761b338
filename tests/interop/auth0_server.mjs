// A small HTTP server that verifies DeviceResponses with @auth0/mdl, for the till's load
// benchmark (bench/till-load.sh): the same route and body as Kakunin's till,
// POST /api/v1/verify/mdoc {"device_response": b64url, "session_transcript": b64url},
// answering {"verdict": "OK"|"NG", "valid": bool}. The verdict is @auth0/mdl's own
// acceptance of the response plus age_over_20 === true.
// usage: node auth0_server.mjs IACA.pem PORT   (listens on 127.0.0.1 only)
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Verifier } = require('@auth0/mdl');
const version = require('@auth0/mdl/package.json').version;

const [iacaPath, port] = process.argv.slice(2);
const verifier = new Verifier([readFileSync(iacaPath, 'utf8')]);
const MAX_BODY = 256 * 1024;

const server = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/api/v1/verify/mdoc') {
    res.writeHead(404).end();
    return;
  }
  const chunks = [];
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
    if (size > MAX_BODY) { res.writeHead(413).end(); req.destroy(); return; }
    chunks.push(c);
  });
  req.on('end', async () => {
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"malformed_json"}');
      return;
    }
    let valid = false;
    let over20 = false;
    try {
      const mdoc = await verifier.verify(Buffer.from(body.device_response, 'base64url'), {
        encodedSessionTranscript: Buffer.from(body.session_transcript, 'base64url'),
      });
      valid = true;
      for (const doc of mdoc.documents) {
        for (const items of Object.values(doc.issuerSigned.nameSpaces)) {
          for (const item of items) {
            if (item.elementIdentifier === 'age_over_20' && item.elementValue === true) over20 = true;
          }
        }
      }
    } catch {
      valid = false;
    }
    const out = JSON.stringify({ verdict: valid && over20 ? 'OK' : 'NG', valid });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) }).end(out);
  });
});
server.keepAliveTimeout = 30000;
server.listen(Number(port), '127.0.0.1', () => {
  console.log(JSON.stringify({ listening: Number(port), library: '@auth0/mdl', version }));
});
