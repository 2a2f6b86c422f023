//! An account's media worker: downloads the account's inbound media apart
//! from its senders and its polls, so a file that takes minutes (or a
//! provider that hangs mid-download) holds up no send and no other account.

use super::worker::Ctx;
use super::EngineEvent;
use crate::error::Result;
use crate::media_fetch;
use crate::store::Store;
use crate::time::now_ms;

/// Files looked at per pass.
const BATCH: usize = 5;

/// One pass: downloads the account's due media, one file at a time.
pub(super) async fn fetch_due(ctx: &Ctx, store: &mut Store) -> Result<()> {
    let due = store.media_to_fetch_for_account(ctx.account.id, now_ms(), BATCH)?;
    if due.is_empty() {
        return Ok(());
    }
    let Ok(client) = ctx.client.get().await else { return Ok(()) };
    let timer = crate::jobs::RunTimer::start(crate::jobs::MEDIA_DOWNLOADS, Some(ctx.account.id));
    let (mut downloaded, mut failed) = (0, vec![]);
    for media in due {
        let ok = match media_fetch::fetch_one(store, &ctx.dir, &client, &media).await {
            Ok(_) => true,
            Err(e) => {
                tracing::warn!(media = media.id, "media download failed: {e}");
                failed.push(e.to_string());
                false
            }
        };
        downloaded += usize::from(ok);
        let _ = ctx.events.send(EngineEvent::MediaFetched { media_id: media.id, ok });
    }
    // Recorded as failed only when nothing came down: one bad file among good ones is that file's error.
    let outcome = if downloaded == 0 && !failed.is_empty() { Err(crate::error::Error::Invalid(failed.join("; "))) } else { Ok((downloaded, failed.len())) };
    timer.finish(store, &outcome, |(ok, bad)| format!("{ok} file(s) downloaded, {bad} to retry later"));
    Ok(())
}
