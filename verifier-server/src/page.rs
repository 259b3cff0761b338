//! The till's page, served by the binary itself (no build step): HTML, CSS and JS embedded
//! with `include_str!`, the engagement's QR code as SVG, and the live state as Server-Sent
//! Events. Everything is no-store: the page shows personal data (the portrait) only while a
//! result is on screen, and no cache keeps it.

use crate::api::AppState;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{Stream, StreamExt};
use std::convert::Infallible;
use std::time::Duration;
use tokio_stream::wrappers::WatchStream;

const INDEX: &str = include_str!("../assets/till.html");
const CSS: &str = include_str!("../assets/till.css");
const JS: &str = include_str!("../assets/till.js");

fn asset(body: &'static str, kind: &'static str) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        // `blob:` for images: the page shows the portrait from an object URL it revokes when
        // the result is cleared (till.js), so no URL of the portrait stays usable.
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' blob:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}

/// `GET /`: the page.
pub(crate) async fn index() -> Response {
    asset(INDEX, "text/html; charset=utf-8")
}

/// `GET /assets/till.css`.
pub(crate) async fn css() -> Response {
    asset(CSS, "text/css; charset=utf-8")
}

/// `GET /assets/till.js`.
pub(crate) async fn js() -> Response {
    asset(JS, "text/javascript; charset=utf-8")
}

/// `GET /api/v1/till/events`: the state on every change (and the trust data's age every
/// half minute), as Server-Sent Events named `state`.
pub(crate) async fn events(
    State(s): State<AppState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let trust = std::sync::Arc::clone(&s.trust);
    let demo = s.demo.is_some();
    let stream = WatchStream::new(s.till.subscribe()).map(move |mut v| {
        if let Some(o) = v.as_object_mut() {
            o.insert("trust".into(), crate::api::trust_view(&trust));
            o.insert("demo".into(), demo.into());
        }
        Ok(Event::default().event("state").data(v.to_string()))
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// The QR code of an `mdoc:` URI as an SVG image (ISO 18013-5 clause 8.2.2.3: byte mode,
/// error correction level L or better; M here).
pub fn qr_svg_of(uri: &str) -> Option<String> {
    use qrcode::render::svg;
    let code =
        qrcode::QrCode::with_error_correction_level(uri.as_bytes(), qrcode::EcLevel::M).ok()?;
    Some(
        code.render::<svg::Color<'_>>()
            .min_dimensions(320, 320)
            .quiet_zone(true)
            .build(),
    )
}

/// `GET /api/v1/till/qr.svg`: the engagement the till is working with, as a QR code.
pub(crate) async fn qr_svg(State(s): State<AppState>) -> Response {
    let svg = s.till.engagement().and_then(|e| qr_svg_of(&e.uri));
    match svg {
        Some(svg) => {
            let mut r = (StatusCode::OK, svg).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("image/svg+xml"),
            );
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        None => (StatusCode::NOT_FOUND, "no engagement").into_response(),
    }
}
