// Issue an mDL with @auth0/mdl's issuer (Document) and answer a request for age_over_20 with
// its DeviceResponse builder (DeviceSignature), for Kakunin to verify.
// usage: node auth0_issue.mjs DS_KEY.pem DS_CERT.pem TRANSCRIPT.cbor OUT_RESPONSE.cbor
// The DS key and certificate come from `kakunin pki init`; the session transcript
// (SessionTranscriptBytes, tag 24) from the test.
import { readFileSync, writeFileSync } from 'node:fs';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Document, DeviceResponse, MDoc } = require('@auth0/mdl');

const [dsKeyPath, dsCertPath, transcriptPath, outPath] = process.argv.slice(2);
const issuerPrivateKey = createPrivateKey(readFileSync(dsKeyPath)).export({ format: 'jwk' });
const issuerCertificate = readFileSync(dsCertPath, 'utf8');
const transcript = readFileSync(transcriptPath);

const device = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const devicePublic = device.publicKey.export({ format: 'jwk' });
const devicePrivate = device.privateKey.export({ format: 'jwk' });

const now = new Date();
const document = await new Document('org.iso.18013.5.1.mDL')
  .addIssuerNameSpace('org.iso.18013.5.1', {
    family_name: 'Suzuki',
    given_name: 'Taro',
    issuing_country: 'JP',
    document_number: 'AUTH0-INTEROP-1',
    age_over_20: true,
    age_over_65: false,
  })
  .useDigestAlgorithm('SHA-256')
  .addValidityInfo({ signed: now, validFrom: now, validUntil: new Date(now.getTime() + 30 * 86400e3) })
  .addDeviceKeyInfo({ deviceKey: devicePublic })
  .sign({ issuerPrivateKey, issuerCertificate, alg: 'ES256' });

const presentationDefinition = {
  id: 'kakunin-age-check',
  input_descriptors: [
    {
      id: 'org.iso.18013.5.1.mDL',
      format: { mso_mdoc: { alg: ['ES256'] } },
      constraints: {
        limit_disclosure: 'required',
        fields: [{ path: ["$['org.iso.18013.5.1']['age_over_20']"], intent_to_retain: false }],
      },
    },
  ],
};

const response = await DeviceResponse.from(new MDoc([document]))
  .usingPresentationDefinition(presentationDefinition)
  .usingSessionTranscriptBytes(transcript)
  .authenticateWithSignature(devicePrivate, 'ES256')
  .sign();
writeFileSync(outPath, response.encode());
console.log(JSON.stringify({ written: outPath }));
