//! Named caps on the collections of received 18013-5 structures (DESIGN.md: "every
//! collection has a named cap"). The CBOR decoder already bounds bytes, depth and items
//! ([`crate::cbor::Limits`]); these bound what the structures may hold, so a phone cannot
//! make a till build thousands of documents or verify millions of digests. A structure over a
//! cap is [`super::MdocError::Invalid`] with [`super::InvalidReason::TooMany`], naming the
//! [`Collection`] and its cap.
//!
//! The values leave wide room over any real credential: an mDL has about 40 elements in two
//! namespaces, a wallet answers with one document per DocRequest, and a till asks for two
//! docTypes.

/// Documents in one DeviceResponse (`documents`), and entries of its `documentErrors`.
pub const MAX_DOCUMENTS: usize = 16;
/// DocRequests in one DeviceRequest.
pub const MAX_DOC_REQUESTS: usize = 16;
/// Namespaces in one document's IssuerNameSpaces, DeviceNameSpaces or `errors`, in one
/// ItemsRequest, and in one MSO's `valueDigests` or `keyAuthorizations`.
pub const MAX_NAMESPACES: usize = 32;
/// Elements of one document, counted over all its namespaces, separately for the
/// issuer-signed items, the device-signed elements and the `errors`; and elements asked for
/// in one ItemsRequest, over all its namespaces.
pub const MAX_ELEMENTS: usize = 1024;
/// Value digests in one MSO, over all namespaces (more than [`MAX_ELEMENTS`], since an MSO
/// covers every element the issuer signed, disclosed or not).
pub const MAX_DIGESTS: usize = 4096;

/// CBOR data items in one received structure (every 18013-5 and session structure is
/// decoded with this [`crate::cbor::Limits::max_items`]), and in one DeviceResponse over its
/// top level and every embedded (tag 24) item together. A decoded item takes 56 bytes and its
/// owned value 32, so this keeps one response's trees to a few tens of MiB whatever the
/// input; a DeviceResponse at every other cap needs about 180 000.
pub const MAX_ITEMS: usize = 1 << 18;

/// Which capped collection of a received structure is too large.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Collection {
    /// DeviceResponse `documents` ([`MAX_DOCUMENTS`]).
    Documents,
    /// DeviceResponse `documentErrors` ([`MAX_DOCUMENTS`]).
    DocumentErrors,
    /// DeviceRequest `docRequests` ([`MAX_DOC_REQUESTS`]).
    DocRequests,
    /// Namespaces of one document, ItemsRequest or MSO ([`MAX_NAMESPACES`]).
    Namespaces,
    /// Elements of one document or ItemsRequest ([`MAX_ELEMENTS`]).
    Elements,
    /// Value digests of one MSO ([`MAX_DIGESTS`]).
    Digests,
}

impl Collection {
    /// The cap on this collection.
    pub const fn max(self) -> usize {
        match self {
            Collection::Documents | Collection::DocumentErrors => MAX_DOCUMENTS,
            Collection::DocRequests => MAX_DOC_REQUESTS,
            Collection::Namespaces => MAX_NAMESPACES,
            Collection::Elements => MAX_ELEMENTS,
            Collection::Digests => MAX_DIGESTS,
        }
    }

    /// What the collection holds, in words.
    pub const fn name(self) -> &'static str {
        match self {
            Collection::Documents => "documents",
            Collection::DocumentErrors => "document errors",
            Collection::DocRequests => "DocRequests",
            Collection::Namespaces => "namespaces",
            Collection::Elements => "elements",
            Collection::Digests => "value digests",
        }
    }
}

impl core::fmt::Display for Collection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// `Err` when `count` (so far) is over the cap of `what`, naming `path`.
pub(crate) fn check_cap(
    count: usize,
    what: Collection,
    path: impl core::fmt::Display + Copy,
) -> Result<(), super::MdocError> {
    if count > what.max() {
        return Err(super::fields::invalid(
            path,
            super::InvalidReason::TooMany {
                what,
                max: what.max(),
            },
        ));
    }
    Ok(())
}

#[cfg(test)]
#[path = "limits_tests.rs"]
mod tests;
