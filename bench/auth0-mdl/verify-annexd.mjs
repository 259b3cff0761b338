// Times @auth0/mdl verifying the ISO 18013-5 Annex D DeviceResponse (DeviceMac, reader's
// ephemeral key, NFC SessionTranscript, IACA root), after checking that it really verifies
// and that it rejects a one-byte change. Prints one JSON line.
//
// The Annex D certificates and MSO expired in 2021, and @auth0/mdl reads the clock with
// `new Date()` for certificate and MSO validity; so this script pins the global Date to
// 2021-01-01T00:00:00Z (the time Kakunin's checks use), instead of disabling any check.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';

const PINNED = Date.UTC(2021, 0, 1, 0, 0, 0);
const RealDate = Date;
class PinnedDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(PINNED);
    else super(...args);
  }
  static now() {
    return PINNED;
  }
}
globalThis.Date = PinnedDate;

const require = createRequire(import.meta.url);
const { Verifier } = require('@auth0/mdl');
const version = JSON.parse(readFileSync(require.resolve('@auth0/mdl/package.json'), 'utf8')).version;

const here = dirname(fileURLToPath(import.meta.url));
const dir = join(here, '..', '..', 'spec-vectors', 'data', 'annex-d');
const hex = (name) => Buffer.from(readFileSync(join(dir, `${name}.hex`), 'utf8').trim(), 'hex');

const response = hex('device_response');
const transcript = hex('session_transcript_bytes');
// @auth0/mdl takes the reader's ephemeral private key as an encoded COSE_Key:
// {1: 2 (EC2), -1: 1 (P-256), -2: x, -3: y, -4: d}, written out here byte by byte.
const bstr32 = (b) => Buffer.concat([Buffer.from([0x58, 0x20]), b]);
const readerKey = Buffer.concat([
  Buffer.from([0xa5, 0x01, 0x02, 0x20, 0x01, 0x21]),
  bstr32(hex('e_reader_key_pub_x')),
  Buffer.from([0x22]),
  bstr32(hex('e_reader_key_pub_y')),
  Buffer.from([0x23]),
  bstr32(hex('e_reader_key_priv_d')),
]);
const iacaPem =
  '-----BEGIN CERTIFICATE-----\n' +
  hex('iaca_cert.der').toString('base64').match(/.{1,64}/g).join('\n') +
  '\n-----END CERTIFICATE-----\n';

const verifier = new Verifier([iacaPem]);

async function verify(bytes, record) {
  return verifier.verify(bytes, {
    encodedSessionTranscript: transcript,
    ephemeralReaderKey: readerKey,
    onCheck: (v, original) => {
      if (record) record.push(v);
      original(v); // the default callback throws on a FAILED check
    },
  });
}

// 1. It verifies, and every check it ran passed.
const checks = [];
const mdoc = await verify(response, checks);
const failed = checks.filter((c) => c.status !== 'PASSED');
if (failed.length > 0 || checks.length === 0) {
  console.error('@auth0/mdl did not accept the Annex D response:', failed);
  process.exit(1);
}
const doc = mdoc.documents[0];
if (doc.docType !== 'org.iso.18013.5.1.mDL') {
  console.error('unexpected docType', doc.docType);
  process.exit(1);
}

// 2. It rejects the response with "Doe" changed to "Foe" (byte 200).
const tampered = Buffer.from(response);
tampered[200] = 'F'.charCodeAt(0);
let rejected = false;
try {
  await verify(tampered, null);
} catch {
  rejected = true;
}
if (!rejected) {
  console.error('@auth0/mdl accepted a tampered response');
  process.exit(1);
}

// 3. Time it.
const iterations = Number(process.argv[process.argv.indexOf('--iterations') + 1]) || 200;
for (let i = 0; i < Math.max(20, iterations / 10); i++) await verify(response, null);
const start = process.hrtime.bigint();
for (let i = 0; i < iterations; i++) await verify(response, null);
const ns = Number(process.hrtime.bigint() - start) / iterations;
console.log(JSON.stringify({ lib: '@auth0/mdl', version, ns_per_op: Math.round(ns), iterations, checks: checks.length }));
