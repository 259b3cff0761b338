//! ISO/IEC 18013-5 data structures (clause 8.3.2 and 9.1), decoded from received bytes.
//!
//! Every structure keeps the exact bytes that later get hashed, signed or MACed
//! (IssuerSignedItemBytes, MobileSecurityObjectBytes, DeviceNameSpacesBytes, the
//! SessionTranscript, ItemsRequestBytes). Unknown map keys are ignored for forward
//! compatibility; missing or mistyped required fields are errors naming the path.

mod build;
mod engagement;
mod error;
pub(crate) mod fields;
mod handover;
mod limits;
mod mso;
mod reader_auth;
mod request;
mod response;
mod transcript;

pub use build::{
    decode_issuer_signed, encode_device_request, encode_device_response, encode_issuer_signed,
    encode_items_request, encode_mso_bytes, full_date, issuer_signed_item_bytes,
    issuer_signed_item_bytes_from_tail, issuer_signed_item_tail, tdate, DocumentParts, MsoParts,
    NamespaceDigests,
};
pub use engagement::{encode_device_engagement, DeviceEngagement, RetrievalMethod, Security};
pub use error::{Expected, InvalidReason, MdocError};
pub use handover::{
    jwk_thumbprint, tag24_item, Handover, HandoverError, HandoverKind, Iso7AnnexBHandover,
    Iso7AnnexCHandover, NfcHandover, OpenId4VpDcApiDraft24Handover, OpenId4VpDcApiHandover,
    OpenId4VpHandover, QrHandover, MAX_HANDOVER_BYTES, MAX_HANDOVER_TEXT,
};
pub use limits::{
    Collection, MAX_DIGESTS, MAX_DOCUMENTS, MAX_DOC_REQUESTS, MAX_ELEMENTS, MAX_ITEMS,
    MAX_NAMESPACES,
};
pub use mso::{KeyAuthorizations, MobileSecurityObject, MsoStatus, ValidityInfo};
pub use reader_auth::{
    sign_reader_auth, verify_reader_auth, verify_reader_auth_with_crls, ReaderAuthError,
};
pub use request::{DeviceRequest, DocRequest, ItemsRequest, RequestedElement};
pub use response::{
    DeviceAuth, DeviceResponse, DeviceSigned, Document, DocumentError, ElementError,
    IssuerNameSpace, IssuerSigned, IssuerSignedItem,
};
pub use transcript::{device_authentication_bytes, reader_authentication_bytes, SessionTranscript};

/// The mDL document type (clause 7.1).
pub const MDL_DOCTYPE: &str = "org.iso.18013.5.1.mDL";
/// The mDL namespace (clause 7.2).
pub const MDL_NAMESPACE: &str = "org.iso.18013.5.1";
/// The Japanese PID document type (docs/profiles/jp-pid-mdoc.md).
pub const JP_PID_DOCTYPE: &str = "org.kakunin.jp.pid.1";
/// The Japanese PID namespace (docs/profiles/jp-pid-mdoc.md).
pub const JP_PID_NAMESPACE: &str = "org.kakunin.jp.pid.1";

/// DeviceResponse status: OK (Table 8).
pub const STATUS_OK: u64 = 0;
/// DeviceResponse status: general error.
pub const STATUS_GENERAL_ERROR: u64 = 10;
/// DeviceResponse status: CBOR decoding error.
pub const STATUS_CBOR_DECODING_ERROR: u64 = 11;
/// DeviceResponse status: CBOR validation error.
pub const STATUS_CBOR_VALIDATION_ERROR: u64 = 12;
