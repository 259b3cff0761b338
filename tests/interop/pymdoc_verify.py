"""Verify a DeviceResponse with pymdoccbor (PyPI) and print its verdict as one JSON line.

usage: python3 pymdoc_verify.py RESPONSE.cbor IACA.pem
pymdoccbor checks the issuer signature, the certificate chain to the given root and every
element digest (it does not check device authentication). Exit 0 when it accepts, 1 when not.
"""
import json
import sys

from cryptography import x509
from pymdoccbor.mdoc.verifier import MdocCbor


def main() -> int:
    response = open(sys.argv[1], "rb").read()
    root = x509.load_pem_x509_certificate(open(sys.argv[2], "rb").read())
    mdoc = MdocCbor()
    mdoc.loads(response)
    try:
        valid = mdoc.verify(trusted_root_certs=[root], verify_hashes=True)
    except Exception as e:  # the verdict is what we report, whatever the failure
        print(json.dumps({"valid": False, "error": str(e)}))
        return 1
    valid = valid and len(mdoc.documents) > 0
    disclosure = {
        f"{ns}/{k}": (f"<{len(v)} bytes>" if isinstance(v, (bytes, bytearray)) else v)
        for ns, claims in mdoc.disclosure_map.items()
        for k, v in claims.items()
    }
    print(json.dumps({"valid": valid, "documents": len(mdoc.documents), "invalid": len(mdoc.documents_invalid),
                      "elements": disclosure}, default=str))
    return 0 if valid else 1


if __name__ == "__main__":
    sys.exit(main())
