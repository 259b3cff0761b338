"""The `sd-jwt` package (PyPI) as a conformance target for the SD-JWT VC suite (docs/interop.md).

usage: python sdjwt_py.py {presentation} {aud} {nonce}

The library has no x5c chain validation: the adapter hands it the key of the x5c leaf
certificate of the presentation's header (what an integrator without a chain validator does),
so an untrusted issuer is its known false accept. Exit 0 accept, 1 reject; one JSON line out.
"""
import base64
import json
import sys

from cryptography import x509
from jwcrypto.jwk import JWK
from sd_jwt.verifier import SDJWTVerifier


def b64url(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def leaf_key(header):
    der = base64.b64decode(header["x5c"][0])
    return JWK.from_pyca(x509.load_der_x509_certificate(der).public_key())


def main() -> int:
    pres_path, aud, nonce = sys.argv[1:4]
    try:
        presentation = open(pres_path).read().strip()
        header = json.loads(b64url(presentation.split("~")[0].split(".")[0]))
        key = leaf_key(header)
        v = SDJWTVerifier(presentation, lambda iss, h: key, expected_aud=aud, expected_nonce=nonce)
        v.get_verified_payload()
        print(json.dumps({"valid": True}))
        return 0
    except Exception as e:  # the verdict is what we report, whatever the failure
        print(json.dumps({"valid": False, "error": f"{type(e).__name__}: {e}"}))
        return 1


if __name__ == "__main__":
    sys.exit(main())
