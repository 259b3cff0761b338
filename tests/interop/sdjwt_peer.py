"""The `sd-jwt` package (PyPI) as a peer for Kakunin's SD-JWT VC interop tests. One JSON line out.

  python3 sdjwt_peer.py verify PRESENTATION.txt ISSUER_CERT.pem AUD NONCE
      verifies a presentation (issuer signature, disclosures, KB-JWT with aud and nonce);
      exit 0 valid, 1 not.
  python3 sdjwt_peer.py issue ISSUER_KEY.pem ISSUER_CERT.pem OUT.txt AUD NONCE
      issues an SD-JWT VC (x5c = the certificate) with name and age_equal_or_over.{20,65}
      selectively disclosable, and presents age_equal_or_over.20 with a KB-JWT.
"""
import base64
import json
import sys
import time

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from jwcrypto.jwk import JWK
from sd_jwt.common import SDObj
from sd_jwt.holder import SDJWTHolder
from sd_jwt.issuer import SDJWTIssuer
from sd_jwt.verifier import SDJWTVerifier


def cert(path):
    c = x509.load_pem_x509_certificate(open(path, "rb").read())
    return JWK.from_pyca(c.public_key()), base64.b64encode(c.public_bytes(Encoding.DER)).decode()


def main() -> int:
    mode, args = sys.argv[1], sys.argv[2:]
    try:
        if mode == "verify":
            pres_path, cert_path, aud, nonce = args
            presentation = open(pres_path).read().strip()
            issuer_key, _ = cert(cert_path)
            v = SDJWTVerifier(presentation, lambda iss, header: issuer_key, expected_aud=aud, expected_nonce=nonce)
            print(json.dumps({"valid": True, "claims": v.get_verified_payload()}))
            return 0
        if mode == "issue":
            key_path, cert_path, out_path, aud, nonce = args
            issuer_key = JWK.from_pem(open(key_path, "rb").read())
            _, x5c = cert(cert_path)
            holder = JWK.generate(kty="EC", crv="P-256")
            now = int(time.time())
            claims = {
                "iss": "https://peer.example/sd-jwt-py",
                "vct": "urn:kakunin:jp-pid:1",
                "iat": now,
                "exp": now + 3600,
                SDObj("name"): "Sato Jiro",
                SDObj("age_equal_or_over"): {SDObj("20"): True, SDObj("65"): False},
            }
            issuer = SDJWTIssuer(
                claims,
                issuer_key,
                holder_key=holder,
                sign_alg="ES256",
                extra_header_parameters={"typ": "dc+sd-jwt", "x5c": [x5c]},
            )
            h = SDJWTHolder(issuer.sd_jwt_issuance)
            h.create_presentation({"age_equal_or_over": {"20": True}}, nonce=nonce, aud=aud, holder_key=holder, sign_alg="ES256")
            open(out_path, "w").write(h.sd_jwt_presentation)
            print(json.dumps({"written": out_path}))
            return 0
        raise ValueError(f"unknown mode {mode}")
    except Exception as e:  # the verdict is what we report
        print(json.dumps({"valid": False, "error": f"{type(e).__name__}: {e}"}))
        return 1


if __name__ == "__main__":
    sys.exit(main())
