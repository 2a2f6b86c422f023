//! WASender contacts: the paged contact list, one contact by number, and
//! a contact's profile picture (fetched without the API key).

use super::client::WasenderClient;
use super::errors::Credential;
use super::mapping::{contact_from_item, integer, phone_digits, string};
use crate::error::{Error, ErrorKind, Result};
use crate::providers::http::provider_error;
use crate::providers::{MediaBytes, SyncedContact};
use serde_json::Value;

/// Contacts asked for per page.
const CONTACTS_PAGE_SIZE: u32 = 100;
/// A guard against a provider that never stops paging.
const MAX_CONTACT_PAGES: u32 = 1000;

impl WasenderClient {
    /// Every contact (`GET /contacts?paginated=true`, all pages; the plain
    /// array answer is accepted too). Entries without a usable JID are skipped.
    pub async fn contacts(&self) -> Result<Vec<SyncedContact>> {
        Ok(self.contact_list().await?.contacts)
    }

    /// Every contact (all pages), and the entries without a usable JID (by
    /// their id as WASender gave it, or their position).
    pub async fn contact_list(&self) -> Result<crate::providers::ContactList> {
        let mut out = Vec::new();
        let mut unusable = Vec::new();
        let mut page: u32 = 1;
        loop {
            let url = format!("{}?paginated=true&page={page}&limit={CONTACTS_PAGE_SIZE}", self.url("contacts"));
            let answer = self.call(self.api.get(url), "listing the contacts", Credential::ApiKey).await?;
            let (items, total_pages) = contacts_page(&answer);
            let before = out.len();
            for item in &items {
                match contact_from_item(item, None, true) {
                    Some(c) => out.push(c),
                    None => {
                        tracing::debug!("skipped a WASender contact without a usable JID");
                        let named = ["id", "jid", "lid", "phoneNumber"].iter().find_map(|k| string(item.get(*k)));
                        unusable.push(named.unwrap_or_else(|| format!("contact #{} on page {page}", unusable.len() + 1)));
                    }
                }
            }
            tracing::debug!(page, fetched = items.len(), mapped = out.len() - before, "WASender contacts page");
            match total_pages {
                Some(total) if u64::from(page) < total && !items.is_empty() => page += 1,
                _ => break,
            }
            if page > MAX_CONTACT_PAGES {
                return Err(provider_error(ErrorKind::Unknown, format!("WASender returned more than {MAX_CONTACT_PAGES} pages of contacts: stopped")));
            }
        }
        Ok(crate::providers::ContactList { contacts: out, unusable })
    }

    /// One contact by number (`GET /contacts/{digits}`); `None` when
    /// WASender does not know it.
    pub async fn contact(&self, phone: &str) -> Result<Option<SyncedContact>> {
        let digits = phone_digits(phone).ok_or_else(|| Error::Invalid(format!("{phone:?} is not a phone number")))?;
        let answer = match self.call(self.api.get(self.url(&format!("contacts/{digits}"))), "looking up the contact", Credential::ApiKey).await {
            Ok(a) => a,
            Err(Error::Provider(pe)) if pe.code.as_deref() == Some("404") => return Ok(None),
            Err(e) => return Err(e),
        };
        let item = match answer.get("data") {
            Some(d @ Value::Object(_)) => d,
            Some(_) => return Ok(None),
            None if answer.get("jid").is_some() || answer.get("id").is_some() => &answer,
            None => return Ok(None),
        };
        Ok(contact_from_item(item, Some(&digits), true))
    }

    /// A contact's profile picture (`GET /contacts/{digits}/picture`, then
    /// the image itself, size-limited); `None` when there is none.
    pub async fn profile_picture(&self, phone: &str, max_bytes: u64) -> Result<Option<MediaBytes>> {
        let digits = phone_digits(phone).ok_or_else(|| Error::Invalid(format!("{phone:?} is not a phone number")))?;
        let what = "looking up the profile picture";
        let answer = match self.call(self.api.get(self.url(&format!("contacts/{digits}/picture"))), what, Credential::ApiKey).await {
            Ok(a) => a,
            Err(Error::Provider(pe)) if pe.code.as_deref() == Some("404") => return Ok(None),
            Err(e) => return Err(e),
        };
        let data = answer.get("data");
        let url = ["imgUrl", "url", "profilePictureUrl", "pictureUrl"]
            .iter()
            .find_map(|k| string(data.and_then(|d| d.get(*k))).or_else(|| string(answer.get(*k))))
            .or_else(|| data.and_then(Value::as_str).map(str::to_string))
            .filter(|u| u.starts_with("http"));
        let Some(url) = url else {
            return Ok(None);
        };
        let (bytes, mime) = self.download(&url, max_bytes, "profile picture").await?;
        Ok(Some(MediaBytes { bytes, mime, expected_sha256: None }))
    }
}

/// The items of a contacts answer and the number of pages, if it says.
fn contacts_page(answer: &Value) -> (Vec<Value>, Option<u64>) {
    let data = answer.get("data").unwrap_or(answer);
    if let Value::Array(items) = data {
        return (items.clone(), None);
    }
    let items = ["items", "data", "contacts"]
        .iter()
        .find_map(|k| data.get(*k).and_then(Value::as_array))
        .map(|a| a.iter().filter(|i| i.is_object()).cloned().collect())
        .unwrap_or_default();
    let total = integer(data.pointer("/pagination/totalPages"))
        .or_else(|| integer(data.pointer("/pagination/total_pages")))
        .or_else(|| integer(data.pointer("/pagination/last_page")))
        .or_else(|| integer(data.get("last_page")))
        .or_else(|| integer(data.pointer("/meta/last_page")))
        .and_then(|n| u64::try_from(n).ok());
    (items, total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn contact_pages_in_every_shape() {
        let (items, total) = contacts_page(&json!({"success": true, "data": [{"jid": "1"}]}));
        assert_eq!((items.len(), total), (1, None));
        let (items, total) = contacts_page(&json!({"data": {"items": [{"jid": "1"}], "pagination": {"totalPages": "3"}}}));
        assert_eq!((items.len(), total), (1, Some(3)));
        let (items, total) = contacts_page(&json!({"data": {"data": [{"jid": "1"}, {"jid": "2"}], "last_page": 2}}));
        assert_eq!((items.len(), total), (2, Some(2)));
    }
}
