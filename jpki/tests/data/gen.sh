#!/usr/bin/env bash
# Regenerates the JPKI-SIM test fixtures of kakunin-jpki with the openssl CLI (an implementation
# independent of ours), per /work/shared/jpki-notes.md §2 (profiles) — see PROVENANCE.md.
# Throw-away keys: nothing here is, or may ever be mistaken for, a J-LIS certificate (O=JPKI-SIM).
# Dates are fixed so tests can use fixed `now` values; the outputs differ on every run only in key
# material and signatures.
set -euo pipefail
cd "$(dirname "$0")"
OUT=$PWD
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

CA_START=250101000000Z
CA_END=350101000000Z
LEAF_START=260101000000Z
LEAF_END=310630145959Z          # a 5th-birthday style notAfter: 23:59:59 JST
CRL_LAST=20260601000000Z
CRL_NEXT=20360101000000Z

cat >"$WORK/ext.cnf" <<'CNF'
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[sign_common]
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = @four_facts

[sign_card]
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
certificatePolicies = critical, 1.2.392.200149.8.5.1.1.20
subjectAltName = @four_facts

[sign_phone]
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
certificatePolicies = critical, 1.2.392.200149.8.5.1.1.40
subjectAltName = @four_facts

[auth_card]
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
certificatePolicies = critical, 1.2.392.200149.8.5.1.3.30

[auth_phone]
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
certificatePolicies = critical, 1.2.392.200149.8.5.1.3.40

# The six otherNames of notes §2.2, [0] EXPLICIT UTF8String each, plus one unknown otherName
# OID (a consumer must ignore it, notes §2.2: newer additions have unknown OIDs).
[four_facts]
otherName.1 = 1.2.392.200149.8.5.5.1;FORMAT:UTF8,UTF8:見本　花子
otherName.2 = 1.2.392.200149.8.5.5.2;FORMAT:UTF8,UTF8:00000
otherName.3 = 1.2.392.200149.8.5.5.3;FORMAT:UTF8,UTF8:2
otherName.4 = 1.2.392.200149.8.5.5.4;FORMAT:UTF8,UTF8:420000101
otherName.5 = 1.2.392.200149.8.5.5.5;FORMAT:UTF8,UTF8:東京都千代田区千代田１丁目１番地
otherName.6 = 1.2.392.200149.8.5.5.6;FORMAT:UTF8,UTF8:0000000000000010
otherName.7 = 1.2.392.200149.8.5.5.99;FORMAT:UTF8,UTF8:unknown extra fact
CNF

# One openssl-ca database per CA.
ca_cnf() { # name serial
  mkdir -p "$WORK/$1/new"
  : >"$WORK/$1/index.txt"
  echo "$2" >"$WORK/$1/serial"
  echo "$2" >"$WORK/$1/crlnumber"
  cat >"$WORK/$1/ca.cnf" <<CNF
[ca]
default_ca = this
[this]
dir = $WORK/$1
database = \$dir/index.txt
new_certs_dir = \$dir/new
serial = \$dir/serial
crlnumber = \$dir/crlnumber
default_md = sha256
policy = any
unique_subject = no
preserve = yes
email_in_dn = no
copy_extensions = none
[any]
countryName = optional
organizationName = optional
organizationalUnitName = optional
localityName = optional
commonName = optional
[req]
distinguished_name = dn
[dn]
[crl_ext]
authorityKeyIdentifier = keyid:always
CNF
}

key() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; chmod 600 "$1"; }

# make_ca NAME SERIAL SUBJECT -> NAME.key, NAME.pem (self-signed)
make_ca() {
  ca_cnf "$1" "$2"
  key "$OUT/$1.key"
  openssl req -new -key "$OUT/$1.key" -subj "$3" -config "$WORK/$1/ca.cnf" -out "$WORK/$1.csr"
  openssl ca -batch -notext -selfsign -config "$WORK/$1/ca.cnf" -keyfile "$OUT/$1.key" \
    -in "$WORK/$1.csr" -startdate "$CA_START" -enddate "$CA_END" \
    -extfile "$WORK/ext.cnf" -extensions ca_ext -out "$OUT/$1.pem" 2>/dev/null
}

# issue CA LEAF SUBJECT EXTENSIONS -> LEAF.key, LEAF.pem
issue() {
  key "$OUT/$2.key"
  openssl req -new -key "$OUT/$2.key" -subj "$3" -config "$WORK/$1/ca.cnf" -out "$WORK/$2.csr"
  openssl ca -batch -notext -config "$WORK/$1/ca.cnf" -cert "$OUT/$1.pem" -keyfile "$OUT/$1.key" \
    -in "$WORK/$2.csr" -startdate "$LEAF_START" -enddate "$LEAF_END" \
    -extfile "$WORK/ext.cnf" -extensions "$4" -out "$OUT/$2.pem" 2>/dev/null
}

make_ca sign-ca 5A1E0001 "/C=JP/O=JPKI-SIM/OU=JPKI-SIM for digital signature"
make_ca auth-ca 5A1E0002 "/C=JP/O=JPKI-SIM/OU=JPKI-SIM for user authentication"
# Same DN as the sign CA, another key: a leaf it issues must not chain (pick by key, not DN).
make_ca foreign-ca 0BAD0001 "/C=JP/O=JPKI-SIM/OU=JPKI-SIM for digital signature"

issue sign-ca sign "/C=JP/L=Tokyo/L=Chiyoda-ku/CN=JPKISIM0000000000000001S" sign_card
issue sign-ca phone-sign "/C=JP/L=Tokyo/L=Chiyoda-ku/CN=JPKISIM0000000000000002S" sign_phone
issue sign-ca revoked-sign "/C=JP/L=Tokyo/L=Chiyoda-ku/CN=JPKISIM0000000000000003S" sign_card
# A signature-profile certificate without a policy (kind unknown: a typed error).
issue sign-ca nopolicy-sign "/C=JP/L=Tokyo/L=Chiyoda-ku/CN=JPKISIM0000000000000004S" sign_common
issue auth-ca auth "/C=JP/CN=JPKISIMAUTH00000000001A" auth_card
issue auth-ca phone-auth "/C=JP/CN=JPKISIMAUTH00000000002A" auth_phone
issue foreign-ca foreign-sign "/C=JP/L=Tokyo/L=Chiyoda-ku/CN=JPKISIM0000000000000009S" sign_card

# The sign CA's CRL revokes the extra card certificate (reason keyCompromise... a move is
# affiliationChanged in practice; either is a revocation); the auth CA's CRL lists nothing.
openssl ca -config "$WORK/sign-ca/ca.cnf" -cert "$OUT/sign-ca.pem" -keyfile "$OUT/sign-ca.key" \
  -revoke "$OUT/revoked-sign.pem" -crl_reason affiliationChanged 2>/dev/null
for ca in sign-ca auth-ca; do
  openssl ca -gencrl -config "$WORK/$ca/ca.cnf" -cert "$OUT/$ca.pem" -keyfile "$OUT/$ca.key" \
    -crl_lastupdate "$CRL_LAST" -crl_nextupdate "$CRL_NEXT" -md sha256 \
    -crlexts crl_ext -out "$WORK/$ca.crl.pem" 2>/dev/null
  openssl crl -in "$WORK/$ca.crl.pem" -outform DER -out "$OUT/$ca.crl"
done

# DER copies of the certificates (what a card's EF holds).
for c in sign-ca auth-ca foreign-ca sign phone-sign revoked-sign nopolicy-sign auth phone-auth foreign-sign; do
  openssl x509 -in "$OUT/$c.pem" -outform DER -out "$OUT/$c.der"
done
# ring reads PKCS#8 DER.
for k in sign phone-sign auth phone-auth sign-ca auth-ca; do
  openssl pkcs8 -topk8 -nocrypt -in "$OUT/$k.key" -outform DER -out "$OUT/$k.pk8"
done
rm -f "$OUT"/*.key
echo "fixtures written to $OUT"
