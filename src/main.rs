//! `kakunin`: the command-line tool. It only parses arguments, reads files and prints; the
//! work is done by the library crates.
#![forbid(unsafe_code)]

mod conformance_verifier_cmd;
mod conformance_wallet_cmd;
mod crl_cmd;
mod demo;
mod enroll_cmd;
mod error;
mod escape;
mod holder_cmd;
mod input;
mod inspect;
mod issue_cmd;
mod issuer_cmd;
mod jpki_cmd;
mod jpki_sim_cmd;
mod proximity_cmd;
mod proximity_links;
mod sdjwt_cmd;
mod status_cmd;
mod testmodes_cmd;
mod till_cmd;
mod transcript_cmd;
mod trust_cmd;
mod vical_cmd;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Shown after `kakunin --help`: the exit codes every command shares.
const EXIT_CODES: &str = "\
Exit codes:
  0  done (the verify commands: the input verified)
  1  a verify command ran and the input did not verify; a spec vector failed
  2  usage or input error: the command line, or a file it names, is wrong
  3  failure while running: a session, a radio, a card, the wallet's storage, writing an
     output file, key generation or signing";

/// The command line.
#[derive(Parser)]
#[command(
    name = "kakunin",
    version,
    about = "Issue, hold and verify ISO 18013-5 mdoc credentials",
    after_help = EXIT_CODES
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The end-to-end demo on embedded defaults: issue, request age_over_20, present, verify.
    Demo,
    /// Test PKI (ISO 18013-5 Annex B profiles).
    Pki {
        #[command(subcommand)]
        command: PkiCommand,
    },
    /// Issue credentials.
    Issue {
        #[command(subcommand)]
        command: IssueCommand,
    },
    /// The JPKI-proofed issuer service: serve it, list a person's devices, revoke a device.
    Issuer {
        #[command(subcommand)]
        command: issuer_cmd::IssuerCommand,
    },
    /// Build a DeviceRequest (the reader side).
    Request {
        /// Document type: mdl, jp-pid, or a full docType.
        #[arg(long, default_value = "mdl")]
        doctype: String,
        /// Namespace of the elements (default: the document type's own).
        #[arg(long)]
        namespace: Option<String>,
        /// Element to request; repeat for several.
        #[arg(long = "element", required = true)]
        elements: Vec<String>,
        /// Set intentToRetain on every element.
        #[arg(long)]
        intent_to_retain: bool,
        /// Reader certificate for readerAuth (PEM/DER).
        #[arg(long, value_name = "FILE")]
        reader_cert: Option<PathBuf>,
        /// Reader private key for readerAuth.
        #[arg(long, value_name = "FILE")]
        reader_key: Option<PathBuf>,
        /// SessionTranscript to bind to; created (with a reader ephemeral key beside it) if the file does not exist. Default: OUT.transcript.
        #[arg(long, value_name = "FILE")]
        transcript: Option<PathBuf>,
        /// Where to write the DeviceRequest (CBOR).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// The holder simulator.
    Holder {
        #[command(subcommand)]
        command: HolderCommand,
    },
    /// JPKI-SIM: a test JPKI CA and virtual My Number cards (never the real J-LIS JPKI).
    JpkiSim {
        #[command(subcommand)]
        command: JpkiSimCommand,
    },
    /// The holder simulator as a proximity device: a virtual NFC card (vpcd) or a simulated BLE peripheral.
    HolderSim {
        #[command(subcommand)]
        command: HolderSimCommand,
    },
    /// The mdoc reader: engage over NFC (PC/SC) or a QR code, request, verify, print the report.
    Reader {
        /// Engage and transfer over NFC through PC/SC.
        #[arg(long)]
        nfc: bool,
        /// Use negotiated handover (TNEP) for NFC engagement.
        #[arg(long)]
        negotiated: bool,
        /// The mdoc: URI from the holder's QR code.
        #[arg(long, value_name = "URI")]
        qr: Option<String>,
        /// Transfer over the simulated BLE link.
        #[arg(long)]
        ble_sim: bool,
        /// Transfer over a real Bluetooth controller via btleplug (build with --features ble).
        #[arg(long)]
        ble: bool,
        /// Document type to request: mdl, jp-pid, or a full docType.
        #[arg(long, default_value = "mdl")]
        doctype: String,
        /// Ask for age_over_N.
        #[arg(long, value_name = "N")]
        age_over: Option<u8>,
        /// Also ask for this element; repeat for several.
        #[arg(long = "element")]
        elements: Vec<String>,
        /// Trusted IACA certificate; repeat for several.
        #[arg(long = "trust-anchor", value_name = "FILE", required = true)]
        trust_anchors: Vec<PathBuf>,
        /// Reader certificate for readerAuth (PEM/DER).
        #[arg(long, value_name = "FILE")]
        reader_cert: Option<PathBuf>,
        /// The reader certificate's private key (PKCS#8 or SEC1).
        #[arg(long, value_name = "FILE")]
        reader_key: Option<PathBuf>,
        /// PC/SC reader name (substring).
        #[arg(long, default_value = "Virtual PCD 00 00")]
        pcsc_reader: String,
        /// Use short APDUs only (for readers limited to 255 bytes).
        #[arg(long)]
        short_apdus: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Present a stored credential (SD-JWT VC) with selected disclosures and a KB-JWT.
    Present {
        #[command(subcommand)]
        command: PresentCommand,
    },
    /// Verify an SD-JWT VC presentation (exit 0 valid, 1 invalid, 2 usage or input error, 3 failure).
    VerifySdJwt {
        /// The presentation (text).
        file: PathBuf,
        /// Trusted IACA / issuer root for the x5c chain; repeat for several.
        #[arg(
            long = "trust-anchor",
            value_name = "FILE",
            required_unless_present = "issuer_jwk"
        )]
        trust_anchors: Vec<PathBuf>,
        /// Instead of an x5c chain: the issuer's public key as a JWK, configured out of band.
        #[arg(long, value_name = "FILE", conflicts_with = "trust_anchors")]
        issuer_jwk: Option<PathBuf>,
        /// Expected KB-JWT audience (required unless --no-key-binding).
        #[arg(long, required_unless_present = "no_key_binding")]
        aud: Option<String>,
        /// Expected KB-JWT nonce (required unless --no-key-binding).
        #[arg(long, required_unless_present = "no_key_binding")]
        nonce: Option<String>,
        /// Test mode: accept an SD-JWT VC without a KB-JWT (the holder is not authenticated); a KB-JWT present is verified when --aud and --nonce are given, else reported unchecked. Never a till's policy.
        #[arg(long)]
        no_key_binding: bool,
        /// Verification time (RFC 3339); default: now.
        #[arg(long, value_name = "RFC3339")]
        at: Option<String>,
        /// Also accept typ vc+sd-jwt.
        #[arg(long)]
        accept_vc_sd_jwt: bool,
        /// Check the credential's status against the lists cached in DIR (`status fetch`); offline.
        #[arg(long, value_name = "DIR")]
        status_cache: Option<PathBuf>,
        /// A CRL (DER or PEM) of a trust anchor: the x5c chain is checked against it; repeat for several. A CRL no anchor issued is an input error.
        #[arg(long = "crl", value_name = "FILE", num_args = 1.., conflicts_with = "issuer_jwk")]
        crls: Vec<PathBuf>,
        /// Print the result as JSON (checks and errors, shaped like verify-response).
        #[arg(long)]
        json: bool,
    },
    /// Run every spec-vector suite (ISO 18013-5 Annex D, RFC 9901 examples, the sd-jwt-python
    /// test cases, the Token Status List examples); exit 0 only if all pass.
    Vectors {
        /// Print a JSON object instead of one line per check.
        #[arg(long)]
        json: bool,
    },
    /// Verify a DeviceResponse completely (exit 0 valid, 1 invalid, 2 usage or input error, 3 failure).
    VerifyResponse {
        /// DeviceResponse, raw CBOR or hex.
        #[arg(long, value_name = "FILE")]
        response: PathBuf,
        /// SessionTranscript CBOR (bare array or tag-24 SessionTranscriptBytes), raw or hex.
        #[arg(long, value_name = "FILE")]
        transcript: PathBuf,
        /// Trusted IACA certificate (DER, PEM or hex); repeat for several.
        #[arg(
            long = "trust-anchor",
            value_name = "FILE",
            required_unless_present = "pin_ds"
        )]
        trust_anchors: Vec<PathBuf>,
        /// Test mode: trust this Document Signer certificate directly, no IACA (it must equal the MSO's x5chain leaf byte for byte; its validity is still checked); repeat for several. Every report line says so; a till refuses this mode.
        #[arg(long = "pin-ds", value_name = "FILE", conflicts_with_all = ["trust_anchors", "crls", "status_cache"])]
        pin_ds: Vec<PathBuf>,
        /// The reader's ephemeral private key, needed for DeviceMac (PKCS#8 DER/PEM, SEC1 PEM, raw or hex scalar).
        #[arg(long, value_name = "FILE")]
        reader_key: Option<PathBuf>,
        /// Verification time (RFC 3339); default: now.
        #[arg(long, value_name = "RFC3339")]
        at: Option<String>,
        /// Check each credential's status against the lists cached in DIR (`status fetch`); offline.
        #[arg(long, value_name = "DIR")]
        status_cache: Option<PathBuf>,
        /// A CRL (DER or PEM) of a trust anchor: the DS chain is checked against it; repeat for several. A CRL no anchor issued is an input error.
        #[arg(long = "crl", value_name = "FILE", num_args = 1..)]
        crls: Vec<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Test mode: verify issuer data only -- issuer signature, DS chain or pin, value digests, validity; no device authentication (no transcript). Reports "issuer data valid", never a valid presentation (exit 0 valid, 1 invalid, 2 usage or input error, 3 failure).
    VerifyIssuerSigned {
        /// An IssuerSigned structure (as an issuer hands it to a wallet), raw CBOR or hex.
        #[arg(
            long,
            value_name = "FILE",
            required_unless_present = "response",
            conflicts_with = "response"
        )]
        issuer_signed: Option<PathBuf>,
        /// A DeviceResponse whose documents' issuer data is checked, raw CBOR or hex.
        #[arg(long, value_name = "FILE")]
        response: Option<PathBuf>,
        /// Trusted IACA certificate (DER, PEM or hex); repeat for several. Certificates are read leniently (harmless RFC 5280 deviations are warnings).
        #[arg(
            long = "trust-anchor",
            value_name = "FILE",
            required_unless_present = "pin_ds"
        )]
        trust_anchors: Vec<PathBuf>,
        /// Trust this Document Signer certificate directly, no IACA; repeat for several.
        #[arg(long = "pin-ds", value_name = "FILE", conflicts_with = "trust_anchors")]
        pin_ds: Vec<PathBuf>,
        /// Verification time (RFC 3339); default: now.
        #[arg(long, value_name = "RFC3339")]
        at: Option<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Verify the readerAuth of a DeviceRequest (exit 0 authenticated, 1 not, 2 usage or input error, 3 failure).
    VerifyRequest {
        /// DeviceRequest, raw CBOR or hex.
        #[arg(long, value_name = "FILE")]
        request: PathBuf,
        /// SessionTranscript CBOR, raw or hex.
        #[arg(long, value_name = "FILE")]
        transcript: PathBuf,
        /// Trusted reader-authentication root certificate; repeat for several.
        #[arg(long = "trust-anchor", value_name = "FILE", required = true)]
        trust_anchors: Vec<PathBuf>,
        /// Verification time (RFC 3339); default: now.
        #[arg(long, value_name = "RFC3339")]
        at: Option<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Token Status Lists (draft-ietf-oauth-status-list): build and sign, check an index, show, fetch into a cache.
    Status {
        #[command(subcommand)]
        command: StatusCommand,
    },
    /// The signed offline trust bundle of a till: build and sign, show (unverified), verify.
    Trust {
        #[command(subcommand)]
        command: TrustCommand,
    },
    /// VICALs (ISO 18013-5 Annex C): build and sign with the test PKI, verify, show.
    Vical {
        #[command(subcommand)]
        command: VicalCommand,
    },
    /// Print any 18013-5 structure in CBOR diagnostic notation, tag-24 contents decoded.
    Inspect {
        /// Raw CBOR, hex, or an `mdoc:` engagement URI.
        file: PathBuf,
    },
    /// SessionTranscripts: build one for any handover (18013-5 QR/NFC, OpenID4VP 1.0, DC API, draft 24, 18013-7 Annex B/C), or find the one a DeviceResponse was signed over.
    Transcript {
        #[command(subcommand)]
        command: transcript_cmd::TranscriptCommand,
    },
    /// Conformance suites (docs/conformance.md): grade a verifier or a wallet under test; JUnit XML, HTML and JSON reports; exit 0 only when every required case passes.
    Conformance {
        #[command(subcommand)]
        command: ConformanceCommand,
    },
    /// The store till: its page and verification API, and its audit log (docs/till.md).
    Till {
        #[command(subcommand)]
        command: TillCommand,
    },
    /// JPKI (公的個人認証): the My Number card's certificates and signature PIN over PC/SC.
    Jpki {
        #[command(subcommand)]
        command: JpkiCommand,
    },
}

#[derive(Subcommand)]
enum JpkiCommand {
    /// Read a JPKI card in a PC/SC reader: token, CA and authentication certificates, the
    /// signature PIN's tries left; after the PIN, the signature certificate's four facts.
    /// A wrong PIN exits 1 with the tries left, and is never retried.
    Read {
        /// PC/SC reader name (substring).
        #[arg(long, value_name = "NAME")]
        pcsc_reader: String,
        /// The PINs: a pins.json ({"signature_pin": ..}) or a text file whose first line is the
        /// signature PIN. Without it: a prompt (no echo), or standard input.
        #[arg(long, value_name = "FILE")]
        pin_file: Option<PathBuf>,
    },
}

// Parsed once per process: the size of the larger variant costs nothing worth boxing for.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum TillCommand {
    /// Serve the till's page and the verification API (docs/till.md, docs/till-api.md).
    Serve {
        /// Configuration file (TOML, see docs/examples/till.toml).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long, value_name = "ADDR")]
        listen: Option<std::net::SocketAddr>,
        /// Data directory (the default SQLite audit database lives here).
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
        /// Offer simulated customers on the page (adult, 19-year-old, expired, tampered, stalling).
        #[arg(long)]
        demo: bool,
        /// Trusted IACA certificate; repeat for several (replaces the configuration's anchors).
        #[arg(long = "trust-anchor", value_name = "FILE", num_args = 1..)]
        trust_anchors: Vec<PathBuf>,
        /// Reader certificate for readerAuth (PEM/DER).
        #[arg(long, value_name = "FILE", requires = "reader_key")]
        reader_cert: Option<PathBuf>,
        /// The reader certificate's private key.
        #[arg(long, value_name = "FILE", requires = "reader_cert")]
        reader_key: Option<PathBuf>,
        /// Audit database URL (sqlite://FILE or postgres://...); default: DIR/audit.db.
        #[arg(long, value_name = "URL")]
        db: Option<String>,
        /// Signed trust bundle (`kakunin trust bundle`); re-checked on the trust reload interval.
        #[arg(long, value_name = "FILE", requires = "bundle_signer")]
        trust_bundle: Option<PathBuf>,
        /// The trust-bundle root the bundle's signer must chain to.
        #[arg(long, value_name = "FILE", requires = "trust_bundle")]
        bundle_signer: Option<PathBuf>,
        /// CRL (PEM/DER) verified against its issuer among the trust anchors; repeat for
        /// several (added to the configuration's `trust.crls`).
        #[arg(long = "crl", value_name = "FILE", num_args = 1..)]
        crls: Vec<PathBuf>,
        /// Signed VICAL file (ISO 18013-5 Annex C); repeat for several (replaces
        /// `trust.vicals`). Its IACAs are trusted for the docTypes it lists.
        #[arg(long = "vical", value_name = "FILE", num_args = 1..)]
        vicals: Vec<PathBuf>,
        /// VICAL-authority certificate the VICALs (loose and in the bundle) must chain to;
        /// repeat for several (replaces `trust.vical_authorities`).
        #[arg(long = "vical-authority", value_name = "FILE", num_args = 1..)]
        vical_authorities: Vec<PathBuf>,
    },
    /// Export the audit log.
    Audit {
        /// Data directory of the till.
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// Audit database URL instead of DIR/audit.db.
        #[arg(long, value_name = "URL")]
        db: Option<String>,
        /// Only rows at or after this time (RFC 3339).
        #[arg(long, value_name = "RFC3339")]
        since: Option<String>,
        /// csv or json.
        #[arg(long, default_value = "csv")]
        format: String,
    },
}

#[derive(Subcommand)]
enum PresentCommand {
    /// Present an unused SD-JWT VC from the wallet.
    SdJwt {
        /// Wallet directory holding the SD-JWT VCs.
        #[arg(long, value_name = "DIR")]
        wallet: PathBuf,
        /// Claim path to disclose (dotted, e.g. age_equal_or_over.20); repeat for several.
        #[arg(long = "disclose", required = true)]
        disclose: Vec<String>,
        /// The verifier's identifier, put in the KB-JWT `aud`.
        #[arg(long)]
        aud: String,
        /// The verifier's nonce, put in the KB-JWT `nonce`.
        #[arg(long)]
        nonce: String,
        /// Presentation time, the KB-JWT `iat` (RFC 3339); default: now.
        #[arg(long, value_name = "RFC3339")]
        at: Option<String>,
        /// Write the presentation here instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum HolderSimCommand {
    /// Serve one proximity presentation from a wallet.
    Serve {
        /// Wallet directory to present from.
        #[arg(long, value_name = "DIR")]
        wallet: PathBuf,
        /// Be a virtual NFC card attached to pcscd through vpcd.
        #[arg(long)]
        nfc: bool,
        /// Offer negotiated handover (TNEP) instead of static handover.
        #[arg(long)]
        negotiated: bool,
        /// Advertise on the simulated BLE link (prints the mdoc: QR URI).
        #[arg(long)]
        ble_sim: bool,
        /// Advertise on a real Bluetooth controller via BlueZ (build with --features ble).
        #[arg(long)]
        ble: bool,
        /// Reader-authentication roots; requests without valid readerAuth are refused.
        #[arg(long = "reader-trust", value_name = "FILE")]
        reader_trust: Vec<PathBuf>,
        /// A CRL (DER or PEM) of a reader root: a reader whose certificate it lists (or whose CRL is stale) is untrusted; repeat for several.
        #[arg(long = "reader-crl", value_name = "FILE", requires = "reader_trust")]
        reader_crls: Vec<PathBuf>,
        /// Consent: all, none, or a comma-separated list of elements (element or namespace/element).
        #[arg(long, default_value = "all")]
        approve: String,
        /// vpcd address.
        #[arg(long, default_value = "127.0.0.1:35963")]
        vpcd: String,
        /// Serve N sessions in a row, e.g. for `conformance wallet`: with --ble-sim on the same engagement (one per reader connection), with --nfc one fresh card per tap (the reader releasing the card ends a tap).
        #[arg(long, value_name = "N", default_value_t = 1)]
        sessions: u32,
        /// Misbehave on purpose: a fault profile (docs/faults.md); BLE profiles need --ble-sim or --ble, NFC ones --nfc.
        #[arg(long, value_name = "NAME")]
        fault: Option<kakunin_holder_sim::faults::Fault>,
        /// The issuer PKI directory (`kakunin pki init`) whose ds-1 re-signs the MSO for `--fault stale-mso`.
        #[arg(long = "fault-pki", value_name = "DIR", requires = "fault")]
        fault_pki: Option<PathBuf>,
    },
    /// Enrol at a JPKI-proofed issuer (`issuer serve`): prove the person with the card (or the phone's smartphone JPKI), store both credential batches in the wallet.
    Enroll {
        /// vpcd: the card in a PC/SC reader (`jpki-sim serve` through vpcd); phone: the profile's smartphone JPKI.
        #[arg(long, value_enum)]
        card: enroll_cmd::CardSource,
        /// The JPKI-SIM profile directory, DIR/NAME (needed for --card phone).
        #[arg(long, value_name = "DIR/NAME")]
        profile: Option<PathBuf>,
        /// The issuer's base URL (http:// or https://).
        #[arg(long, value_name = "URL")]
        issuer: String,
        /// Wallet directory to store the credentials in (created if missing).
        #[arg(long, value_name = "DIR")]
        wallet: PathBuf,
        /// PINs: a pins.json, or signature PIN on line 1 and authentication PIN on line 2 (else prompt or standard input).
        #[arg(long, value_name = "FILE")]
        pin_file: Option<PathBuf>,
        /// PC/SC reader (name substring); default: the first "Virtual PCD" reader answering the JPKI-AP.
        #[arg(long, value_name = "NAME")]
        pcsc_reader: Option<String>,
        /// mdoc credentials to ask for (1-32).
        #[arg(long, value_name = "N", default_value_t = 4)]
        mdoc: usize,
        /// SD-JWT VCs to ask for (1-32).
        #[arg(long = "sd-jwt", value_name = "N", default_value_t = 4)]
        sd_jwt: usize,
        /// A label for this device at the issuer.
        #[arg(long, value_name = "TEXT")]
        label: Option<String>,
    },
}

#[derive(Subcommand)]
enum JpkiSimCommand {
    /// Create a JPKI-SIM CA directory: both CAs, their CRLs, and a card + smartphone profile per person (PINs in each profile's 0600 pins.json).
    #[command(
        after_help = "Person facts pair with the --card options by order; give each fact \
once per --card or not at all (invented defaults). Without --card: one profile `taro`."
    )]
    Init {
        /// The CA directory to create (must not hold a CA already).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// A profile (directory) name; repeat for several people.
        #[arg(long = "card", value_name = "NAME")]
        cards: Vec<String>,
        /// 氏名 (as registered), per --card.
        #[arg(long = "name")]
        names: Vec<String>,
        /// Date of birth, YYYY-MM-DD, per --card.
        #[arg(long = "birth-date", value_name = "YYYY-MM-DD")]
        birth_dates: Vec<String>,
        /// Sex: male, female or not-known, per --card.
        #[arg(long = "sex")]
        sexes: Vec<String>,
        /// 住所, per --card.
        #[arg(long = "address")]
        addresses: Vec<String>,
        /// Prefecture in romaji for the subject DN and CRL partition (default Tokyo), per --card.
        #[arg(long = "prefecture")]
        prefectures: Vec<String>,
        /// Municipality in romaji (default Chiyoda-ku), per --card.
        #[arg(long = "city")]
        cities: Vec<String>,
    },
    /// Revoke a person's signature certificates (card and phone) and re-sign jpki-sign.crl, as a move or a name change does.
    Revoke {
        /// The CA directory made by `jpki-sim init`.
        #[arg(long, value_name = "DIR")]
        ca: PathBuf,
        /// The profile name.
        #[arg(long, value_name = "NAME")]
        card: String,
        /// RFC 5280 reason name (default affiliationChanged).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Serve a virtual My Number card to pcscd through vsmartcard-vpcd (JPKI ATR), until killed.
    Serve {
        /// The profile directory, DIR/NAME.
        #[arg(long, value_name = "DIR/NAME")]
        card: PathBuf,
        /// vpcd address (its second slot is port 35964).
        #[arg(long, default_value = "127.0.0.1:35963")]
        vpcd: String,
    },
}

#[derive(Subcommand)]
enum TrustCommand {
    /// Build and sign a trust bundle with the trust-bundle signer of a `pki init` directory.
    Bundle {
        /// PKI directory made by `pki init`.
        #[arg(long, value_name = "DIR")]
        pki: PathBuf,
        /// The PKI's key and certificate that sign; its certificate goes in the x5chain.
        #[arg(long, default_value = "trust-bundle-1")]
        signer: String,
        /// An IACA certificate (PEM, DER or hex); repeat for several.
        #[arg(long = "iaca", value_name = "FILE")]
        iacas: Vec<PathBuf>,
        /// A signed VICAL, carried as is; repeat for several.
        #[arg(long = "vical", value_name = "FILE")]
        vicals: Vec<PathBuf>,
        /// A reader-authentication root certificate; repeat for several.
        #[arg(long = "reader-root", value_name = "FILE")]
        reader_roots: Vec<PathBuf>,
        /// A CRL (DER), carried as is; repeat for several.
        #[arg(long = "crl", value_name = "FILE")]
        crls: Vec<PathBuf>,
        /// A status-list cache directory (`status fetch --cache`): every list in it is carried.
        #[arg(long, value_name = "DIR")]
        status_cache: Option<PathBuf>,
        /// The bundle version; a till only replaces its bundle by a greater one (default: the creation time in Unix seconds).
        #[arg(long, value_name = "N")]
        version: Option<u64>,
        /// The creation time (RFC 3339); default: now.
        #[arg(long, value_name = "RFC3339")]
        at: Option<String>,
        /// Where to write the bundle.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Decode a trust bundle and print it, labelled unverified (no signature check).
    Show {
        /// The bundle file.
        file: PathBuf,
    },
    /// Verify a trust bundle (exit 0 valid, 1 invalid, 2 usage or input error).
    Verify {
        /// The bundle file.
        #[arg(long, value_name = "FILE")]
        bundle: PathBuf,
        /// The trust-bundle root the signer must chain to (never a root inside the bundle).
        #[arg(long = "trust-anchor", value_name = "FILE", required = true)]
        trust_anchors: Vec<PathBuf>,
        /// Verification time (RFC 3339); default: now.
        #[arg(long, value_name = "RFC3339")]
        at: Option<String>,
    },
}

#[derive(Subcommand)]
enum VicalCommand {
    /// Build and sign a VICAL listing IACA certificates, signed by the PKI's vical-signer.
    Build {
        /// PKI directory made by `pki init` (its vical-signer key and certificate sign).
        #[arg(long, value_name = "DIR")]
        pki: PathBuf,
        /// An IACA certificate to list (PEM, DER or hex); repeat for several.
        #[arg(long = "iaca", value_name = "FILE", required = true)]
        iacas: Vec<PathBuf>,
        /// A docType the IACAs are trusted for; repeat for several (default: org.iso.18013.5.1.mDL).
        #[arg(long = "doc-type", value_name = "DT")]
        doc_types: Vec<String>,
        /// `vicalProvider`.
        #[arg(
            long,
            value_name = "NAME",
            default_value = "Kakunin test VICAL provider"
        )]
        provider: String,
        /// `vicalIssueID`.
        #[arg(long, value_name = "N")]
        issue_id: Option<u64>,
        /// Hours from `date` to `nextUpdate` (0: no nextUpdate).
        #[arg(long, value_name = "N", default_value_t = 24)]
        next_update_hours: u64,
        /// The list's `date` (RFC 3339); default: now.
        #[arg(long, value_name = "RFC3339")]
        at: Option<String>,
        /// Where to write the VICAL (CBOR).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Verify a VICAL and print every entry (exit 0 valid, 1 invalid, 2 usage or input error).
    Verify {
        /// The VICAL (CBOR or hex).
        #[arg(long, value_name = "FILE")]
        vical: PathBuf,
        /// A VICAL-authority certificate the signer must chain to; repeat for several.
        #[arg(long = "trust-anchor", value_name = "FILE", required = true)]
        trust_anchors: Vec<PathBuf>,
        /// Verification time (RFC 3339); default: now.
        #[arg(long, value_name = "RFC3339")]
        at: Option<String>,
        /// Seconds a list is still accepted after its nextUpdate.
        #[arg(long, value_name = "SECONDS", default_value_t = 0)]
        grace: u64,
        /// Refuse a list whose vicalIssueID is lower (rollback).
        #[arg(long, value_name = "N")]
        min_issue_id: Option<u64>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Decode a VICAL and print it, UNVERIFIED (no signature or signer check).
    Show {
        /// The VICAL (CBOR or hex).
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum StatusCommand {
    /// Build and sign a status list with a key and certificate of a `pki init` directory.
    Build {
        /// PKI directory made by `pki init`.
        #[arg(long, value_name = "DIR")]
        pki: PathBuf,
        /// The PKI's key and certificate that sign (ds-1, jws-1, ...); its certificate goes in the x5chain.
        #[arg(long, default_value = "ds-1")]
        signer: String,
        /// The list's URI (its `sub`; credentials refer to it as `status.status_list.uri`).
        #[arg(long, value_name = "URI")]
        uri: String,
        /// Bits per entry: 1, 2, 4 or 8.
        #[arg(long)]
        bits: u8,
        /// Number of entries.
        #[arg(long, value_name = "N")]
        size: u64,
        /// Set an entry: INDEX=VALUE with VALUE VALID, INVALID, SUSPENDED or 0-255; repeat for several.
        #[arg(long = "set", value_name = "INDEX=VALUE")]
        set: Vec<String>,
        /// jwt (application/statuslist+jwt) or cwt (application/statuslist+cwt).
        #[arg(long, default_value = "jwt")]
        format: String,
        /// `ttl`: seconds a consumer may cache the list.
        #[arg(long, value_name = "SECONDS")]
        ttl: Option<u64>,
        /// Seconds from `iat` to `exp` (0: no `exp`).
        #[arg(long, value_name = "SECONDS", default_value_t = 86_400)]
        valid_for: u64,
        /// Issuance time, the `iat` (RFC 3339); default: now.
        #[arg(long, value_name = "RFC3339")]
        at: Option<String>,
        /// Where to write the token (JWT text or CWT binary).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Check one index (exit 0 VALID, 1 any other status or undetermined, 2 usage or input error).
    Check {
        /// The Status List Token (JWT, CWT binary or hex).
        #[arg(long, value_name = "FILE")]
        list: PathBuf,
        /// The credential's index in the list.
        #[arg(long, value_name = "N")]
        index: u64,
        /// The credential's IACA certificate; the list's signer must chain to it. Repeat for several.
        #[arg(long = "trust-anchor", value_name = "FILE", required = true)]
        trust_anchors: Vec<PathBuf>,
        /// The credential's `status.status_list.uri`, matched against the list's `sub`.
        #[arg(long, value_name = "URI")]
        uri: Option<String>,
        /// Check time (RFC 3339); default: now.
        #[arg(long, value_name = "RFC3339")]
        at: Option<String>,
        /// When the list was fetched, for its `ttl` (RFC 3339); default: its `iat`.
        #[arg(long, value_name = "RFC3339")]
        fetched_at: Option<String>,
        /// Seconds of grace after `exp` and `ttl` before the list counts as stale.
        #[arg(long, value_name = "SECONDS", default_value_t = 0)]
        grace: u64,
    },
    /// Fetch a status list over HTTP or HTTPS into a cache directory (If-None-Match with the cached ETag; exit 0 stored or unchanged, 2 usage, 3 failure).
    Fetch {
        /// The list's URI (a credential's `status.status_list.uri`): https://, or plain http:// (the list is signed; see --https-only).
        #[arg(long, value_name = "URI")]
        uri: String,
        /// The cache directory (created if missing); `verify-response --status-cache DIR` reads it.
        #[arg(long, value_name = "DIR")]
        cache: PathBuf,
        /// The form to ask for (Accept): jwt, cwt or any.
        #[arg(long, default_value = "any")]
        accept: String,
        /// Seconds for the whole exchange.
        #[arg(long, value_name = "SECONDS", default_value_t = 10)]
        timeout: u64,
        /// Largest list accepted, in bytes (default: 24 MiB, the verifier's own limit).
        #[arg(long, value_name = "BYTES")]
        max_size: Option<usize>,
        /// A CA certificate (PEM, one or more blocks, or DER) an https server must chain to; repeat for several. Without it the platform's root store is used.
        #[arg(long = "ca", value_name = "FILE")]
        ca: Vec<PathBuf>,
        /// With --ca: trust the platform's root store as well.
        #[arg(long)]
        platform_roots: bool,
        /// Refuse plain http:// URIs (and redirects to them).
        #[arg(long)]
        https_only: bool,
    },
    /// Decode a status list and print its claims and non-VALID entries (no signature check).
    Show {
        /// The Status List Token (JWT, CWT binary or hex).
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum PkiCommand {
    /// Create an IACA, Document Signer(s), a reader root with a reader certificate, and a VICAL authority with a VICAL signer; refuses to overwrite.
    Init {
        /// ISO 3166-1 alpha-2 country of the IACA.
        #[arg(long, default_value = "JP")]
        country: String,
        /// Directory to create the PKI in (must not exist or be empty).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Number of Document Signer certificates.
        #[arg(long, default_value_t = 1)]
        document_signers: usize,
    },
    /// Build and sign a CRL (RFC 5280) of the IACA or the reader root; PEM if FILE ends in .pem, else DER.
    Crl {
        /// The PKI directory made by `pki init`.
        #[arg(long, value_name = "DIR")]
        pki: PathBuf,
        /// Which CA issues the CRL: iaca (DS and JWS signer certificates) or reader-root.
        #[arg(long, default_value = "iaca")]
        issuer: String,
        /// Revoke a certificate: its name in the PKI (ds-1, reader) or its serial in hex, with an optional RFC 5280 reason (keyCompromise, superseded, certificateHold, ... or a code); repeat for several.
        #[arg(long, value_name = "SERIAL[:REASON]")]
        revoke: Vec<String>,
        /// nextUpdate, this many hours after thisUpdate.
        #[arg(long, value_name = "N", default_value_t = 24)]
        next_update_hours: i64,
        /// Omit nextUpdate (RFC 5280 asks for one; for testing verifiers).
        #[arg(long, conflicts_with = "next_update_hours")]
        no_next_update: bool,
        /// CRLNumber (default: thisUpdate in seconds since 1970).
        #[arg(long, value_name = "N")]
        number: Option<u64>,
        /// thisUpdate and the revocation date (RFC 3339); default: now.
        #[arg(long, value_name = "RFC3339")]
        at: Option<String>,
        /// Where to write the CRL.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum IssueCommand {
    /// Issue a batch of SD-JWT VCs (Japanese PID profile) for one holder into a wallet directory.
    SdJwt {
        /// The PKI directory made by `pki init` (its JWT issuer key signs).
        #[arg(long, value_name = "DIR")]
        pki: PathBuf,
        /// Claims as a JSON object (Japanese PID profile, see docs/examples/jp-pid-claims.json).
        #[arg(long, value_name = "FILE")]
        claims: PathBuf,
        /// The holder's public JWK (or a JWK Set); one key per credential.
        #[arg(long = "holder-jwk", value_name = "FILE")]
        holder_jwks: Vec<PathBuf>,
        /// Generate a holder key per credential (stored with it in the wallet).
        #[arg(long)]
        new_holder_keys: bool,
        /// Number of credentials in the batch (single use each).
        #[arg(long, default_value_t = 1)]
        count: usize,
        /// Wallet directory to write the credentials into.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Days of validity from the issuance time (`exp`).
        #[arg(long, default_value_t = 30)]
        valid_days: i64,
        /// Issuance time, `iat` and `nbf` (RFC 3339); default: now.
        #[arg(long, value_name = "RFC3339")]
        at: Option<String>,
        /// The `iss` claim.
        #[arg(long, default_value = "https://issuer.kakunin.invalid")]
        iss: String,
        /// The `_sd_alg` digest: sha-256, sha-384 or sha-512.
        #[arg(long, default_value = "sha-256")]
        sd_alg: String,
        /// Put each credential on this token status list (`status.status_list.uri`).
        #[arg(long, value_name = "URI")]
        status_list: Option<String>,
        /// The status list index of the first credential; the next ones follow.
        #[arg(long, default_value_t = 0, requires = "status_list")]
        status_index: u64,
    },
    /// Issue a batch of mdoc credentials for one holder into a wallet directory.
    Mdoc {
        /// The PKI directory made by `pki init`.
        #[arg(long, value_name = "DIR")]
        pki: PathBuf,
        /// Claims as a JSON object of element identifiers (see docs/examples/).
        #[arg(long, value_name = "FILE")]
        claims: PathBuf,
        /// mdl, jp-pid, or a full docType.
        #[arg(long, default_value = "mdl")]
        doctype: String,
        /// The holder's device key (private key of a simulated holder, or SPKI public key); one per credential.
        #[arg(long = "device-key", value_name = "FILE")]
        device_keys: Vec<PathBuf>,
        /// Generate a fresh device key per credential (stored with it in the wallet).
        #[arg(long)]
        new_device_keys: bool,
        /// Number of credentials in the batch (single use each).
        #[arg(long, default_value_t = 1)]
        count: usize,
        /// Wallet directory to write the credentials into.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Days of validity from now.
        #[arg(long, default_value_t = 30)]
        valid_days: i64,
        /// Which Document Signer of the PKI signs.
        #[arg(long, default_value = "ds-1")]
        signer: String,
        /// Issuance time (RFC 3339); default: now.
        #[arg(long, value_name = "RFC3339")]
        at: Option<String>,
        /// Put each credential on this token status list (the MSO `status.status_list.uri`).
        #[arg(long, value_name = "URI")]
        status_uri: Option<String>,
        /// The status list index of the first credential; the next ones follow.
        #[arg(long, value_name = "N", default_value_t = 0, requires = "status_uri")]
        status_index: u64,
    },
}

#[derive(Subcommand)]
enum ConformanceCommand {
    /// Feed a verifier under test the mdoc and SD-JWT VC suites (valid and one-fault cases, each with its expected verdict) and grade its answers.
    #[command(group(clap::ArgGroup::new("target").required(true).args(["target_cmd", "target_url"])))]
    Verifier {
        /// The verifier as a command; placeholders {response} {transcript} {trust} {reader_key} {at} {presentation} {aud} {nonce} are filled per case; exit 0 = accept, 1 = reject.
        #[arg(long, value_name = "CMD")]
        target_cmd: Option<String>,
        /// The verifier as an HTTP API (its verdict is read from the answer).
        #[arg(long, value_name = "URL")]
        target_url: Option<String>,
        /// Which suite: mdoc, sd-jwt or all.
        #[arg(long, default_value = "all")]
        suite: String,
        /// Seconds each case may take before it is graded failed (timeout).
        #[arg(long, value_name = "SECONDS", default_value_t = 20)]
        case_timeout: u64,
        /// Directory for junit.xml, report.html and report.json (created if missing).
        #[arg(long, value_name = "DIR")]
        report: PathBuf,
        /// A separate command for the SD-JWT VC cases (same placeholders); --target-cmd then serves the mdoc cases.
        #[arg(long, value_name = "CMD", requires = "target_cmd")]
        sd_jwt_target_cmd: Option<String>,
        /// A file holding the bearer token of the --target-url API.
        #[arg(long, value_name = "FILE", requires = "target_url")]
        target_token_file: Option<PathBuf>,
        /// Keep the suite's PKI in DIR: created if missing, reused if present (configure the target to trust DIR/iaca.cert.pem).
        #[arg(long, value_name = "DIR")]
        suite_pki: Option<PathBuf>,
        /// Only the cases whose id matches GLOB (`*` and `?`), e.g. 'mdoc/fault/*'.
        #[arg(long, value_name = "GLOB")]
        cases: Option<String>,
        /// At most N cases (after --cases).
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        /// Verification time of the generated cases (RFC 3339); default 2026-11-24T10:00:00Z.
        #[arg(long, value_name = "RFC3339")]
        at: Option<String>,
        /// Cases run at the same time (1 to 64).
        #[arg(long, value_name = "N", default_value_t = 1)]
        jobs: usize,
    },
    /// Act as a reader against a wallet under test with the wallet suite and check its answers, status codes and session behaviour.
    #[command(group(clap::ArgGroup::new("wallet_transport").required(true).args(["nfc", "qr"])))]
    Wallet {
        /// Reach the wallet over NFC (a PC/SC reader).
        #[arg(long)]
        nfc: bool,
        /// PC/SC reader (name substring), with --nfc.
        #[arg(long, value_name = "NAME", requires = "nfc")]
        pcsc_reader: Option<String>,
        /// The wallet's engagement as an `mdoc:` QR URI.
        #[arg(long, value_name = "URI", requires = "ble_sim")]
        qr: Option<String>,
        /// Over the simulated BLE link (with --qr).
        #[arg(long)]
        ble_sim: bool,
        /// Directory for junit.xml, report.html and report.json (created if missing).
        #[arg(long, value_name = "DIR")]
        report: PathBuf,
        /// IACA the wallet's credentials chain to (every answer is verified against it); repeat for several.
        #[arg(long = "trust-anchor", value_name = "FILE", required = true)]
        trust_anchors: Vec<PathBuf>,
        /// A reader certificate the wallet trusts (its root is in the wallet's reader trust): signs readerAuth.
        #[arg(long, value_name = "FILE")]
        reader_cert: PathBuf,
        /// The reader certificate's private key.
        #[arg(long, value_name = "FILE")]
        reader_key: PathBuf,
        /// Seconds each case may take before it is graded failed.
        #[arg(long, value_name = "SECONDS", default_value_t = 8)]
        case_timeout: u64,
        /// Make the SD-JWT VC case required (the wallet holds a JP PID SD-JWT VC).
        #[arg(long)]
        require_sd_jwt: bool,
        /// The wallet holds no JP PID mdoc: its cases become optional.
        #[arg(long)]
        without_jp_pid: bool,
    },
}

// Parsed once per process: the size of the larger variant costs nothing worth boxing for.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum HolderCommand {
    /// Answer a DeviceRequest from the wallet.
    Respond {
        /// Wallet directory to answer from.
        #[arg(long, value_name = "DIR")]
        wallet: PathBuf,
        /// The DeviceRequest (CBOR, raw or hex).
        #[arg(long, value_name = "FILE")]
        request: PathBuf,
        /// The SessionTranscript the response is bound to (raw or hex).
        #[arg(long, value_name = "FILE")]
        transcript: PathBuf,
        /// Where to write the DeviceResponse (CBOR).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Reader-authentication roots; when given, requests without valid readerAuth are refused.
        #[arg(long = "reader-trust", value_name = "FILE")]
        reader_trust: Vec<PathBuf>,
        /// Consent: all, none, or a comma-separated list of elements (element or namespace/element).
        #[arg(long, default_value = "all")]
        approve: String,
        /// Require the unlock PIN in FILE (its one line; stands in for the device's biometric).
        /// PINs are never taken on the command line.
        #[arg(long, value_name = "FILE")]
        pin_file: Option<PathBuf>,
        /// The PIN the user entered: the one line of FILE.
        #[arg(long, value_name = "FILE", conflicts_with = "pin_stdin")]
        entered_pin_file: Option<PathBuf>,
        /// The PIN the user entered: the first line of standard input (as typed at a prompt).
        #[arg(long)]
        pin_stdin: bool,
        /// Authenticate with DeviceMac instead of DeviceSignature.
        #[arg(long)]
        device_mac: bool,
        /// Presentation time (RFC 3339); default: now.
        #[arg(long, value_name = "RFC3339")]
        at: Option<String>,
        /// Misbehave on purpose: a response-layer fault profile (docs/faults.md), for testing readers and verifiers.
        #[arg(long, value_name = "NAME")]
        fault: Option<kakunin_holder_sim::faults::Fault>,
        /// The issuer PKI directory (`kakunin pki init`) whose ds-1 re-signs the MSO for `--fault stale-mso`.
        #[arg(long = "fault-pki", value_name = "DIR", requires = "fault")]
        fault_pki: Option<PathBuf>,
    },
    /// List the wallet's credentials.
    List {
        /// Wallet directory.
        #[arg(long, value_name = "DIR")]
        wallet: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo => demo::run(),
        Command::Pki {
            command:
                PkiCommand::Init {
                    country,
                    out,
                    document_signers,
                },
        } => issue_cmd::pki_init(&country, &out, document_signers).map(|_| ExitCode::SUCCESS),
        Command::Pki {
            command:
                PkiCommand::Crl {
                    pki,
                    issuer,
                    revoke,
                    next_update_hours,
                    no_next_update,
                    number,
                    at,
                    out,
                },
        } => crl_cmd::build(&crl_cmd::BuildArgs {
            pki: &pki,
            issuer: &issuer,
            revoke: &revoke,
            next_update_hours,
            no_next_update,
            number,
            at: at.as_deref(),
            out: &out,
        }),
        Command::Issue {
            command:
                IssueCommand::Mdoc {
                    pki,
                    claims,
                    doctype,
                    device_keys,
                    new_device_keys,
                    count,
                    out,
                    valid_days,
                    signer,
                    at,
                    status_uri,
                    status_index,
                },
        } => issue_cmd::issue_mdoc(&issue_cmd::IssueArgs {
            pki: &pki,
            claims: &claims,
            doctype: &doctype,
            device_keys: &device_keys,
            new_device_keys,
            count,
            out: &out,
            valid_days,
            signer: &signer,
            at: at.as_deref(),
            status: status_uri.map(|uri| kakunin_issuer::StatusList {
                uri,
                first_index: status_index,
            }),
        })
        .map(|_| ExitCode::SUCCESS),
        Command::Request {
            doctype,
            namespace,
            elements,
            intent_to_retain,
            reader_cert,
            reader_key,
            transcript,
            out,
        } => holder_cmd::request(&holder_cmd::RequestArgs {
            doctype: &doctype,
            namespace: namespace.as_deref(),
            elements: &elements,
            retain: intent_to_retain,
            reader_cert: reader_cert.as_deref(),
            reader_key: reader_key.as_deref(),
            transcript: transcript.as_deref(),
            out: &out,
        })
        .map(|_| ExitCode::SUCCESS),
        Command::Holder {
            command:
                HolderCommand::Respond {
                    wallet,
                    request,
                    transcript,
                    out,
                    reader_trust,
                    approve,
                    pin_file,
                    entered_pin_file,
                    pin_stdin,
                    device_mac,
                    at,
                    fault,
                    fault_pki,
                },
        } => holder_cmd::holder_respond(&holder_cmd::RespondArgs {
            wallet: &wallet,
            request: &request,
            transcript: &transcript,
            out: &out,
            reader_trust: &reader_trust,
            approve: &approve,
            pin_file: pin_file.as_deref(),
            entered_pin_file: entered_pin_file.as_deref(),
            pin_stdin,
            device_mac,
            at: at.as_deref(),
            fault,
            fault_pki: fault_pki.as_deref(),
        })
        .map(|_| ExitCode::SUCCESS),
        Command::Holder {
            command: HolderCommand::List { wallet },
        } => holder_cmd::list(&wallet).map(|_| ExitCode::SUCCESS),
        Command::HolderSim {
            command:
                HolderSimCommand::Serve {
                    wallet,
                    nfc,
                    negotiated,
                    ble_sim,
                    ble,
                    reader_trust,
                    reader_crls,
                    approve,
                    vpcd,
                    sessions,
                    fault,
                    fault_pki,
                },
        } => proximity_cmd::serve(&proximity_cmd::ServeArgs {
            ble,
            wallet: &wallet,
            nfc,
            negotiated,
            ble_sim,
            reader_trust: &reader_trust,
            reader_crls: &reader_crls,
            approve: &approve,
            vpcd: &vpcd,
            sessions,
            fault,
            fault_pki: fault_pki.as_deref(),
        }),
        Command::HolderSim {
            command:
                HolderSimCommand::Enroll {
                    card,
                    profile,
                    issuer,
                    wallet,
                    pin_file,
                    pcsc_reader,
                    mdoc,
                    sd_jwt,
                    label,
                },
        } => enroll_cmd::enroll(&enroll_cmd::EnrollArgs {
            card,
            profile: profile.as_deref(),
            issuer: &issuer,
            wallet: &wallet,
            pin_file: pin_file.as_deref(),
            pcsc_reader: pcsc_reader.as_deref(),
            mdoc,
            sd_jwt,
            label: label.as_deref(),
        }),
        Command::Reader {
            nfc,
            negotiated,
            qr,
            ble_sim,
            ble,
            doctype,
            age_over,
            elements,
            trust_anchors,
            reader_cert,
            reader_key,
            pcsc_reader,
            short_apdus,
            json,
        } => proximity_cmd::reader(&proximity_cmd::ReaderArgs {
            ble,
            nfc,
            negotiated,
            qr: qr.as_deref(),
            ble_sim,
            doctype: &doctype,
            age_over,
            elements: &elements,
            trust_anchors: &trust_anchors,
            reader_cert: reader_cert.as_deref(),
            reader_key: reader_key.as_deref(),
            pcsc_reader: &pcsc_reader,
            extended: !short_apdus,
            json,
        }),
        Command::Issue {
            command:
                IssueCommand::SdJwt {
                    pki,
                    claims,
                    holder_jwks,
                    new_holder_keys,
                    count,
                    out,
                    valid_days,
                    at,
                    iss,
                    sd_alg,
                    status_list,
                    status_index,
                },
        } => sdjwt_cmd::issue(&sdjwt_cmd::IssueArgs {
            pki: &pki,
            claims: &claims,
            holder_jwks: &holder_jwks,
            new_holder_keys,
            count,
            out: &out,
            valid_days,
            at: at.as_deref(),
            issuer_id: &iss,
            sd_alg: &sd_alg,
            status_list: status_list.map(|uri| (uri, status_index)),
        }),
        Command::Present {
            command:
                PresentCommand::SdJwt {
                    wallet,
                    disclose,
                    aud,
                    nonce,
                    at,
                    out,
                },
        } => sdjwt_cmd::present(&sdjwt_cmd::PresentArgs {
            wallet: &wallet,
            disclose: &disclose,
            aud: &aud,
            nonce: &nonce,
            at: at.as_deref(),
            out: out.as_deref(),
        }),
        Command::VerifySdJwt {
            file,
            trust_anchors,
            issuer_jwk,
            aud,
            nonce,
            no_key_binding,
            at,
            accept_vc_sd_jwt,
            status_cache,
            crls,
            json,
        } => sdjwt_cmd::verify(&sdjwt_cmd::VerifyArgs {
            file: &file,
            trust_anchors: &trust_anchors,
            issuer_jwk: issuer_jwk.as_deref(),
            aud: aud.as_deref(),
            nonce: nonce.as_deref(),
            no_key_binding,
            at: at.as_deref(),
            accept_vc_typ: accept_vc_sd_jwt,
            status_cache: status_cache.as_deref(),
            crls: &crls,
            json,
        }),
        Command::Vectors { json } => Ok(run_vectors(json)),
        Command::VerifyResponse {
            response,
            transcript,
            trust_anchors,
            pin_ds,
            reader_key,
            at,
            status_cache,
            crls,
            json,
        } => verify_response(&VerifyResponseArgs {
            response: &response,
            transcript: &transcript,
            anchors: &trust_anchors,
            pin_ds: &pin_ds,
            reader_key: reader_key.as_deref(),
            at: at.as_deref(),
            status_cache: status_cache.as_deref(),
            crl_files: &crls,
            json,
        }),
        Command::VerifyIssuerSigned {
            issuer_signed,
            response,
            trust_anchors,
            pin_ds,
            at,
            json,
        } => testmodes_cmd::verify_issuer_signed(&testmodes_cmd::IssuerSignedArgs {
            issuer_signed: issuer_signed.as_deref(),
            response: response.as_deref(),
            trust_anchors: &trust_anchors,
            pin_ds: &pin_ds,
            at: at.as_deref(),
            json,
        }),
        Command::VerifyRequest {
            request,
            transcript,
            trust_anchors,
            at,
            json,
        } => verify_request(&request, &transcript, &trust_anchors, at.as_deref(), json),
        Command::Vical { command } => match command {
            VicalCommand::Build {
                pki,
                iacas,
                doc_types,
                provider,
                issue_id,
                next_update_hours,
                at,
                out,
            } => vical_cmd::build(&vical_cmd::BuildArgs {
                pki: &pki,
                iacas: &iacas,
                doc_types: &doc_types,
                provider: &provider,
                issue_id,
                next_update_hours,
                at: at.as_deref(),
                out: &out,
            }),
            VicalCommand::Verify {
                vical,
                trust_anchors,
                at,
                grace,
                min_issue_id,
                json,
            } => vical_cmd::verify(&vical_cmd::VerifyArgs {
                vical: &vical,
                trust_anchors: &trust_anchors,
                at: at.as_deref(),
                grace,
                min_issue_id,
                json,
            }),
            VicalCommand::Show { file } => vical_cmd::show(&file),
        },
        Command::Issuer { command } => issuer_cmd::run(command),
        Command::Status { command } => match command {
            StatusCommand::Build {
                pki,
                signer,
                uri,
                bits,
                size,
                set,
                format,
                ttl,
                valid_for,
                at,
                out,
            } => status_cmd::build(&status_cmd::BuildArgs {
                pki: &pki,
                signer: &signer,
                uri: &uri,
                bits,
                size,
                set: &set,
                format: &format,
                ttl,
                valid_for,
                at: at.as_deref(),
                out: &out,
            }),
            StatusCommand::Check {
                list,
                index,
                trust_anchors,
                uri,
                at,
                fetched_at,
                grace,
            } => status_cmd::check(&status_cmd::CheckArgs {
                list: &list,
                index,
                trust_anchors: &trust_anchors,
                uri: uri.as_deref(),
                at: at.as_deref(),
                fetched_at: fetched_at.as_deref(),
                grace,
            }),
            StatusCommand::Show { file } => status_cmd::show(&file),
            StatusCommand::Fetch {
                uri,
                cache,
                accept,
                timeout,
                max_size,
                ca,
                platform_roots,
                https_only,
            } => status_cmd::fetch(&status_cmd::FetchArgs {
                uri: &uri,
                cache: &cache,
                accept: &accept,
                timeout,
                max_size,
                ca: &ca,
                platform_roots,
                https_only,
            }),
        },
        Command::Trust { command } => match command {
            TrustCommand::Bundle {
                pki,
                signer,
                iacas,
                vicals,
                reader_roots,
                crls,
                status_cache,
                version,
                at,
                out,
            } => trust_cmd::bundle(&trust_cmd::BundleArgs {
                pki: &pki,
                signer: &signer,
                iacas: &iacas,
                vicals: &vicals,
                reader_roots: &reader_roots,
                crls: &crls,
                status_cache: status_cache.as_deref(),
                version,
                at: at.as_deref(),
                out: &out,
            }),
            TrustCommand::Show { file } => trust_cmd::show(&file),
            TrustCommand::Verify {
                bundle,
                trust_anchors,
                at,
            } => trust_cmd::verify(&bundle, &trust_anchors, at.as_deref()),
        },
        Command::Transcript { command } => transcript_cmd::run(command),
        Command::Inspect { file } => inspect::run(&file).map_err(error::CliError::from),
        Command::Conformance {
            command:
                ConformanceCommand::Verifier {
                    target_cmd,
                    target_url,
                    suite,
                    case_timeout,
                    report,
                    sd_jwt_target_cmd,
                    target_token_file,
                    suite_pki,
                    cases,
                    limit,
                    at,
                    jobs,
                },
        } => conformance_verifier_cmd::run(&conformance_verifier_cmd::Args {
            target_cmd: target_cmd.as_deref(),
            target_url: target_url.as_deref(),
            suite: &suite,
            case_timeout: std::time::Duration::from_secs(case_timeout),
            report: &report,
            sd_jwt_target_cmd: sd_jwt_target_cmd.as_deref(),
            target_token_file: target_token_file.as_deref(),
            suite_pki: suite_pki.as_deref(),
            cases: cases.as_deref(),
            limit,
            at: at.as_deref(),
            jobs,
        }),
        Command::Conformance {
            command:
                ConformanceCommand::Wallet {
                    nfc,
                    pcsc_reader,
                    qr,
                    ble_sim,
                    report,
                    trust_anchors,
                    reader_cert,
                    reader_key,
                    case_timeout,
                    require_sd_jwt,
                    without_jp_pid,
                },
        } => conformance_wallet_cmd::run(&conformance_wallet_cmd::Args {
            nfc,
            pcsc_reader: pcsc_reader.as_deref(),
            qr: qr.as_deref(),
            ble_sim,
            report: &report,
            trust_anchors: &trust_anchors,
            reader_cert: &reader_cert,
            reader_key: &reader_key,
            case_timeout: std::time::Duration::from_secs(case_timeout),
            require_sd_jwt,
            without_jp_pid,
        }),
        Command::Till {
            command:
                TillCommand::Serve {
                    config,
                    listen,
                    data,
                    demo,
                    trust_anchors,
                    reader_cert,
                    reader_key,
                    db,
                    trust_bundle,
                    bundle_signer,
                    crls,
                    vicals,
                    vical_authorities,
                },
        } => till_cmd::serve(&till_cmd::ServeArgs {
            config: config.as_deref(),
            listen,
            data: data.as_deref(),
            demo,
            trust_anchors: &trust_anchors,
            reader_cert: reader_cert.as_deref(),
            reader_key: reader_key.as_deref(),
            db: db.as_deref(),
            trust_bundle: trust_bundle.as_deref(),
            bundle_signer: bundle_signer.as_deref(),
            crls: &crls,
            vicals: &vicals,
            vical_authorities: &vical_authorities,
        }),
        Command::Till {
            command:
                TillCommand::Audit {
                    data,
                    db,
                    since,
                    format,
                },
        } => till_cmd::audit(&data, db.as_deref(), since.as_deref(), &format),
        Command::Jpki {
            command:
                JpkiCommand::Read {
                    pcsc_reader,
                    pin_file,
                },
        } => jpki_cmd::read(&pcsc_reader, pin_file.as_deref()),
        Command::JpkiSim { command } => match command {
            JpkiSimCommand::Init {
                out,
                cards,
                names,
                birth_dates,
                sexes,
                addresses,
                prefectures,
                cities,
            } => jpki_sim_cmd::init(
                &out,
                &jpki_sim_cmd::CardArgs {
                    cards: &cards,
                    names: &names,
                    birth_dates: &birth_dates,
                    sexes: &sexes,
                    addresses: &addresses,
                    prefectures: &prefectures,
                    cities: &cities,
                },
            ),
            JpkiSimCommand::Revoke { ca, card, reason } => {
                jpki_sim_cmd::revoke(&ca, &card, reason.as_deref())
            }
            JpkiSimCommand::Serve { card, vpcd } => jpki_sim_cmd::serve(&card, &vpcd),
        },
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // Error texts quote names from requests, responses and credentials.
            eprintln!("kakunin: {}", escape::escape(&e.to_string()));
            ExitCode::from(e.exit_code())
        }
    }
}

fn run_vectors(json: bool) -> ExitCode {
    let suites = kakunin_spec_vectors::run_all_suites();
    let count = |checks: &[kakunin_spec_vectors::VectorCheck]| {
        let passed = checks.iter().filter(|c| c.passed()).count();
        (passed, checks.len() - passed)
    };
    let failed: usize = suites.iter().map(|s| count(&s.checks).1).sum();
    let passed: usize = suites.iter().map(|s| count(&s.checks).0).sum();
    if json {
        let out = serde_json::json!({
            "passed": passed,
            "failed": failed,
            "suites": suites.iter().map(|s| {
                let (p, f) = count(&s.checks);
                serde_json::json!({
                    "suite": s.name, "source": s.source, "passed": p, "failed": f,
                    "checks": s.checks.iter().map(|c| serde_json::json!({
                        "id": c.id, "clause": c.clause, "description": c.description,
                        "passed": c.passed(), "failure": c.failure,
                    })).collect::<Vec<_>>(),
                })
            }).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    } else {
        for s in &suites {
            println!("== {} ({})", s.name, s.source);
            for c in &s.checks {
                match &c.failure {
                    None => println!("PASS  {:<52} {:<16} {}", c.id, c.clause, c.description),
                    Some(f) => println!(
                        "FAIL  {:<52} {:<16} {} -- {f}",
                        c.id, c.clause, c.description
                    ),
                }
            }
            let (p, f) = count(&s.checks);
            println!("{}: {p} passed, {f} failed", s.name);
        }
        println!("all suites: {passed} passed, {failed} failed");
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The arguments of `verify-response`.
struct VerifyResponseArgs<'a> {
    response: &'a std::path::Path,
    transcript: &'a std::path::Path,
    anchors: &'a [PathBuf],
    pin_ds: &'a [PathBuf],
    reader_key: Option<&'a std::path::Path>,
    at: Option<&'a str>,
    status_cache: Option<&'a std::path::Path>,
    crl_files: &'a [PathBuf],
    json: bool,
}

fn verify_response(a: &VerifyResponseArgs<'_>) -> Result<ExitCode, error::CliError> {
    let VerifyResponseArgs {
        response,
        transcript,
        anchors,
        pin_ds,
        reader_key,
        at,
        status_cache,
        crl_files,
        json,
    } = *a;
    let response = input::read_cbor(response)?;
    let transcript = input::read_cbor(transcript)?;
    let pins = testmodes_cmd::read_pins(pin_ds)?;
    let anchors = if pins.is_empty() {
        input::read_anchors(anchors)?
    } else {
        kakunin_core::trust::TrustAnchors::default()
    };
    let key = reader_key.map(input::read_private_key).transpose()?;
    let at = input::parse_time(at)?;
    let cache = status_cache.map(status_cmd::open_cache).transpose()?;
    let crls = crl_cmd::read_crls(crl_files, &anchors)?;
    let mut verifier = kakunin_verifier::Verifier::new(&anchors);
    if !crl_files.is_empty() {
        verifier = verifier.with_crls(&crls);
    }
    if let Some(k) = &key {
        verifier = verifier.with_reader_key(k);
    }
    if let Some(cache) = &cache {
        verifier = verifier.with_status(kakunin_verifier::StatusOptions::new(cache));
    }
    if !pins.is_empty() {
        verifier = verifier.with_pinned_ds(&pins);
    }
    let report = verifier.verify_device_response(&response, &transcript, at);
    if json {
        println!("{}", input::json_text(&report.to_json()));
    } else {
        print!(
            "{}",
            testmodes_cmd::mark_lines(report.trust_mode, &input::render_response_report(&report))
        );
    }
    Ok(if report.valid() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn verify_request(
    request: &std::path::Path,
    transcript: &std::path::Path,
    anchors: &[PathBuf],
    at: Option<&str>,
    json: bool,
) -> Result<ExitCode, error::CliError> {
    let request = input::read_cbor(request)?;
    let transcript = input::read_cbor(transcript)?;
    let anchors = input::read_anchors(anchors)?;
    let at = input::parse_time(at)?;
    let report = kakunin_verifier::verify_device_request(&request, &transcript, &anchors, at);
    if json {
        println!("{}", input::json_text(&report.to_json()));
    } else {
        print!("{}", input::render_request_report(&report));
    }
    Ok(if report.all_reader_authenticated() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[cfg(test)]
mod cli_tests {
    use super::*;

    #[test]
    fn till_serve_takes_crl_files() {
        let cli = Cli::try_parse_from([
            "kakunin", "till", "serve", "--crl", "a.crl", "b.pem", "--crl", "c.der",
        ])
        .unwrap();
        match cli.command {
            Command::Till {
                command: TillCommand::Serve { crls, .. },
            } => assert_eq!(
                crls,
                vec![
                    PathBuf::from("a.crl"),
                    PathBuf::from("b.pem"),
                    PathBuf::from("c.der")
                ]
            ),
            _ => panic!("not till serve"),
        }
        // Without the flag: no CRL files.
        let cli = Cli::try_parse_from(["kakunin", "till", "serve"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Till { command: TillCommand::Serve { ref crls, .. } } if crls.is_empty()
        ));
        // A value is required.
        assert!(Cli::try_parse_from(["kakunin", "till", "serve", "--crl"]).is_err());
    }
}
