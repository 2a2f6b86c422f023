//! Commands that take a file's bytes (an attachment, a quick reply's file)
//! receive them as the raw IPC body, never as base64 inside JSON: base64
//! costs a third more bytes, a JS string of the whole file, and a JSON parse
//! and decode of it here. The arguments travel beside the bytes in one
//! header, `x-wicket-args`: their JSON, percent-encoded by the window
//! (`encodeURIComponent`, so file names in any script survive a header).
//! The window's side is `callWithBytes` in `ui/src/api.ts`.

use serde::de::DeserializeOwned;
use tauri::ipc::{InvokeBody, Request};
use wicket_core::Error;

/// The header that carries a bytes command's JSON arguments.
pub const ARGS_HEADER: &str = "x-wicket-args";

/// The command's arguments from [`ARGS_HEADER`].
pub fn args<T: DeserializeOwned>(request: &Request<'_>, command: &str) -> Result<T, Error> {
    let missing = || Error::Invalid(format!("{command} needs its arguments in the {ARGS_HEADER} header (the window sends them with the file)"));
    let raw = request.headers().get(ARGS_HEADER).ok_or_else(missing)?.to_str().map_err(|_| missing())?;
    let json = percent_decode(raw).ok_or_else(missing)?;
    serde_json::from_str(&json).map_err(|e| Error::Invalid(format!("{command}'s arguments are not valid: {e}")))
}

/// The file's bytes: the raw body. A JSON body means an old window build
/// sent base64: refused with the message a cut-off upload gets.
pub fn bytes<'a>(request: &'a Request<'_>, file_name: &str) -> Result<&'a [u8], Error> {
    match request.body() {
        InvokeBody::Raw(bytes) => Ok(bytes),
        InvokeBody::Json(_) => Err(Error::Invalid(format!("{file_name} did not arrive whole: attach it again"))),
    }
}

/// Undoes `encodeURIComponent`; `None` for a malformed escape or bytes that
/// are not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hex = [bytes.next()?, bytes.next()?];
            out.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn percent_decoding_undoes_encode_uri_component() {
        // encodeURIComponent('{"file_name":"Ünïcode 価格表.pdf"}')
        let encoded = "%7B%22file_name%22%3A%22%C3%9Cn%C3%AFcode%20%E4%BE%A1%E6%A0%BC%E8%A1%A8.pdf%22%7D";
        assert_eq!(percent_decode(encoded).as_deref(), Some(r#"{"file_name":"Ünïcode 価格表.pdf"}"#));
        assert_eq!(percent_decode("100%"), None, "a cut escape");
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%FF"), None, "not UTF-8");
    }
}
