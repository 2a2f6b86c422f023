//! Versioned, append-only schema migrations, tracked in `PRAGMA user_version`.
//!
//! Rule: never edit a migration that has shipped; add a new one with a
//! comment saying why. Version N is `MIGRATIONS[N - 1]`.

/// Each entry moves the schema from version `index` to `index + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: the first schema: accounts, contacts, conversations, messages and
    // everything they hang off. Times are Unix milliseconds.
    r#"
    CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) STRICT;

    CREATE TABLE accounts (
        id            INTEGER PRIMARY KEY,
        provider      TEXT NOT NULL CHECK (provider IN ('meta', 'wasender', 'unipile', 'demo')),
        name          TEXT NOT NULL,
        phone         TEXT,
        status        TEXT NOT NULL DEFAULT 'unverified',
        status_reason TEXT,
        status_since  INTEGER,
        enabled       INTEGER NOT NULL DEFAULT 1,
        -- Provider settings (ids, base URL, API version). Never secrets.
        config        TEXT NOT NULL DEFAULT '{}',
        created_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE contacts (
        id                   INTEGER PRIMARY KEY,
        account_id           INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        phone                TEXT,
        provider_user_id     TEXT,
        wa_id                TEXT,
        jid                  TEXT,
        is_group             INTEGER NOT NULL DEFAULT 0,
        saved_name           TEXT,
        -- 1 when the owner typed saved_name: provider syncs never overwrite it.
        saved_name_by_owner  INTEGER NOT NULL DEFAULT 0,
        profile_name         TEXT,
        verified_name        TEXT,
        company              TEXT,
        profile_picture_url  TEXT,
        profile_picture_path TEXT,
        is_business          INTEGER NOT NULL DEFAULT 0,
        status_text          TEXT,
        last_synced_at       INTEGER,
        raw                  TEXT,
        created_at           INTEGER NOT NULL,
        updated_at           INTEGER NOT NULL,
        CHECK (phone IS NOT NULL OR provider_user_id IS NOT NULL)
    ) STRICT;
    CREATE UNIQUE INDEX contacts_by_phone ON contacts(account_id, phone) WHERE phone IS NOT NULL;
    CREATE UNIQUE INDEX contacts_by_user_id ON contacts(account_id, provider_user_id) WHERE provider_user_id IS NOT NULL;

    CREATE TABLE contact_labels (
        contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
        label      TEXT NOT NULL,
        PRIMARY KEY (contact_id, label)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE conversations (
        id                INTEGER PRIMARY KEY,
        account_id        INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        contact_id        INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
        provider_chat_id  TEXT,
        unread_count      INTEGER NOT NULL DEFAULT 0,
        pinned            INTEGER NOT NULL DEFAULT 0,
        archived          INTEGER NOT NULL DEFAULT 0,
        muted             INTEGER NOT NULL DEFAULT 0,
        last_activity_at  INTEGER NOT NULL DEFAULT 0,
        last_message_id   INTEGER,
        last_inbound_at   INTEGER,
        -- Meta only: free-form messages are allowed until this time.
        window_expires_at INTEGER,
        draft             TEXT,
        created_at        INTEGER NOT NULL,
        UNIQUE (account_id, contact_id)
    ) STRICT;
    CREATE INDEX conversations_recent ON conversations(archived, last_activity_at DESC, id DESC);
    CREATE INDEX conversations_recent_by_account ON conversations(account_id, archived, last_activity_at DESC, id DESC);
    CREATE INDEX conversations_unread ON conversations(archived, last_activity_at DESC, id DESC) WHERE unread_count > 0;
    CREATE INDEX conversations_by_contact ON conversations(contact_id);
    CREATE UNIQUE INDEX conversations_by_chat ON conversations(account_id, provider_chat_id) WHERE provider_chat_id IS NOT NULL;

    CREATE TABLE conversation_labels (
        conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        label           TEXT NOT NULL,
        PRIMARY KEY (conversation_id, label)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX conversation_labels_by_label ON conversation_labels(label, conversation_id);

    CREATE TABLE media_files (
        id                INTEGER PRIMARY KEY,
        account_id        INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        provider_media_id TEXT,
        url               TEXT,
        -- Relative to the data dir; always a generated name, never the sender's.
        path              TEXT,
        file_name         TEXT,
        mime              TEXT,
        size              INTEGER,
        sha256            TEXT,
        state             TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'downloaded', 'failed')),
        error             TEXT,
        attempts          INTEGER NOT NULL DEFAULT 0,
        next_attempt_at   INTEGER,
        created_at        INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX media_to_fetch ON media_files(next_attempt_at) WHERE state != 'downloaded';

    CREATE TABLE messages (
        id                  INTEGER PRIMARY KEY,
        account_id          INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        conversation_id     INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        provider_message_id TEXT,
        direction           TEXT NOT NULL CHECK (direction IN ('in', 'out')),
        origin              TEXT CHECK (origin IN ('app', 'phone', 'automatic')),
        kind                TEXT NOT NULL,
        text                TEXT,
        caption             TEXT,
        media_id            INTEGER REFERENCES media_files(id) ON DELETE SET NULL,
        location            TEXT,
        contacts            TEXT,
        template            TEXT,
        interactive         TEXT,
        reply_to_provider_id TEXT,
        sender_id           TEXT,
        sender_name         TEXT,
        status              TEXT NOT NULL,
        -- {"sent": ms, "delivered": ms, ...}
        status_times        TEXT NOT NULL DEFAULT '{}',
        error_code          TEXT,
        error_kind          TEXT,
        error_message       TEXT,
        timestamp           INTEGER NOT NULL,
        created_at          INTEGER NOT NULL,
        edited_at           INTEGER,
        deleted_at          INTEGER,
        -- What to send (for the outbox); null once sent or for inbound.
        send_request        TEXT,
        attempts            INTEGER NOT NULL DEFAULT 0,
        next_attempt_at     INTEGER,
        raw                 TEXT
    ) STRICT;
    CREATE UNIQUE INDEX messages_by_provider_id ON messages(account_id, provider_message_id) WHERE provider_message_id IS NOT NULL;
    CREATE INDEX messages_in_conversation ON messages(conversation_id, timestamp, id);
    CREATE INDEX messages_outbox ON messages(next_attempt_at) WHERE status IN ('pending', 'sending');

    -- Reactions refer to their target by provider id, so one that arrives
    -- before its message waits here and shows up when the message does.
    CREATE TABLE reactions (
        account_id         INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        target_provider_id TEXT NOT NULL,
        reactor            TEXT NOT NULL,
        emoji              TEXT NOT NULL,
        timestamp          INTEGER NOT NULL,
        PRIMARY KEY (account_id, target_provider_id, reactor)
    ) STRICT, WITHOUT ROWID;

    -- Status updates for messages we have not seen yet (a webhook can beat
    -- the send response); applied when the message appears.
    CREATE TABLE pending_statuses (
        account_id          INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        provider_message_id TEXT NOT NULL,
        status              TEXT NOT NULL,
        timestamp           INTEGER NOT NULL,
        error_code          TEXT,
        error_kind          TEXT,
        error_message       TEXT,
        PRIMARY KEY (account_id, provider_message_id, status)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE templates (
        id                   INTEGER PRIMARY KEY,
        account_id           INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        provider_template_id TEXT,
        name                 TEXT NOT NULL,
        language             TEXT NOT NULL,
        status               TEXT NOT NULL,
        category             TEXT,
        parameter_format     TEXT NOT NULL DEFAULT 'POSITIONAL',
        components           TEXT NOT NULL DEFAULT '[]',
        synced_at            INTEGER NOT NULL,
        UNIQUE (account_id, name, language)
    ) STRICT;

    -- Every webhook body we accepted or refused to parse, for audit, dedup
    -- and replay. Bodies with a bad signature are never stored.
    CREATE TABLE webhook_events (
        id          INTEGER PRIMARY KEY,
        provider    TEXT NOT NULL,
        account_id  INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
        received_at INTEGER NOT NULL,
        body        BLOB NOT NULL,
        body_sha256 TEXT NOT NULL,
        state       TEXT NOT NULL CHECK (state IN ('applied', 'unparseable', 'unrouted')),
        error       TEXT
    ) STRICT;
    CREATE UNIQUE INDEX webhook_events_dedup ON webhook_events(provider, body_sha256);

    CREATE TABLE sync_cursors (
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        name       TEXT NOT NULL,
        cursor     TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (account_id, name)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE counters (
        name  TEXT PRIMARY KEY,
        value INTEGER NOT NULL DEFAULT 0
    ) STRICT;

    -- Full-text search. unicode61 with remove_diacritics 2 folds "Jürgen"
    -- and "Jurgen" together; kept in sync by the triggers below.
    CREATE VIRTUAL TABLE messages_fts USING fts5(body, file_name, tokenize = 'unicode61 remove_diacritics 2');
    CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts(rowid, body, file_name)
        VALUES (new.id, trim(coalesce(new.text, '') || ' ' || coalesce(new.caption, '')),
                coalesce((SELECT file_name FROM media_files WHERE id = new.media_id), ''));
    END;
    CREATE TRIGGER messages_fts_update AFTER UPDATE OF text, caption, media_id ON messages BEGIN
        DELETE FROM messages_fts WHERE rowid = old.id;
        INSERT INTO messages_fts(rowid, body, file_name)
        VALUES (new.id, trim(coalesce(new.text, '') || ' ' || coalesce(new.caption, '')),
                coalesce((SELECT file_name FROM media_files WHERE id = new.media_id), ''));
    END;
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        DELETE FROM messages_fts WHERE rowid = old.id;
    END;

    CREATE VIRTUAL TABLE contacts_fts USING fts5(names, tokenize = 'unicode61 remove_diacritics 2');
    CREATE TRIGGER contacts_fts_insert AFTER INSERT ON contacts BEGIN
        INSERT INTO contacts_fts(rowid, names) VALUES (new.id, concat_ws(' ', new.saved_name, new.profile_name, new.verified_name, new.company));
    END;
    CREATE TRIGGER contacts_fts_update AFTER UPDATE OF saved_name, profile_name, verified_name, company ON contacts BEGIN
        DELETE FROM contacts_fts WHERE rowid = old.id;
        INSERT INTO contacts_fts(rowid, names) VALUES (new.id, concat_ws(' ', new.saved_name, new.profile_name, new.verified_name, new.company));
    END;
    CREATE TRIGGER contacts_fts_delete AFTER DELETE ON contacts BEGIN
        DELETE FROM contacts_fts WHERE rowid = old.id;
    END;
    "#,
    // 2: SQLite looks up child rows by their foreign key when a parent is
    // deleted; without this index, deleting a media record scans every message.
    r#"
    CREATE INDEX messages_by_media ON messages(media_id) WHERE media_id IS NOT NULL;
    -- Meta may report a recipient's canonical wa_id that differs from the
    -- number the owner typed (Brazil, Mexico, Argentina): inbound messages
    -- from that wa_id must find the same contact.
    CREATE INDEX contacts_by_wa_id ON contacts(account_id, wa_id) WHERE wa_id IS NOT NULL;
    "#,
    // 3: gateway providers (WASender, UniPile). Their media are fetched with
    // more than an id (WASender decrypts a message key, UniPile needs the
    // message and attachment ids); WASender answers a send with its own
    // integer id that status polling needs; contact syncs report a summary.
    r#"
    ALTER TABLE media_files ADD COLUMN fetch_info TEXT;
    ALTER TABLE messages ADD COLUMN provider_send_id TEXT;
    CREATE INDEX messages_by_send_id ON messages(account_id, provider_send_id) WHERE provider_send_id IS NOT NULL;
    ALTER TABLE accounts ADD COLUMN last_sync_at INTEGER;
    ALTER TABLE accounts ADD COLUMN last_sync_result TEXT;
    "#,
    // 4: the conversation list puts pinned conversations first across the
    // whole list (not just within a page): its indexes lead with `pinned`.
    r#"
    DROP INDEX conversations_recent;
    DROP INDEX conversations_recent_by_account;
    DROP INDEX conversations_unread;
    CREATE INDEX conversations_recent ON conversations(archived, pinned DESC, last_activity_at DESC, id DESC);
    CREATE INDEX conversations_recent_by_account ON conversations(account_id, archived, pinned DESC, last_activity_at DESC, id DESC);
    CREATE INDEX conversations_unread ON conversations(archived, pinned DESC, last_activity_at DESC, id DESC) WHERE unread_count > 0;
    "#,
    // 5: raw webhook bodies are deduplicated per account: the same body
    // posted to two accounts' addresses is stored (and applied) for each.
    // Removing an account removes its bodies (looked up by account), and the
    // daily retention job finds applied bodies by age.
    r#"
    DROP INDEX webhook_events_dedup;
    CREATE UNIQUE INDEX webhook_events_dedup ON webhook_events(provider, coalesce(account_id, 0), body_sha256);
    CREATE INDEX webhook_events_by_account ON webhook_events(account_id) WHERE account_id IS NOT NULL;
    CREATE INDEX webhook_events_applied_by_age ON webhook_events(received_at) WHERE state = 'applied';
    "#,
    // 6: real traffic. An edit or a deletion for everyone can arrive before
    // the message it changes (out of order, or before a poll imports it): it
    // waits here, like `pending_statuses`, and is applied when the message
    // appears. A message the provider could not deliver whole (Meta's
    // `messages[].errors[]`) keeps the error's title in `error_message` and
    // its longer explanation in `error_details`.
    r#"
    CREATE TABLE pending_changes (
        account_id          INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        provider_message_id TEXT NOT NULL,
        change              TEXT NOT NULL CHECK (change IN ('edit', 'delete')),
        -- An edit's new text (or caption: the message's kind decides).
        text                TEXT,
        timestamp           INTEGER NOT NULL,
        PRIMARY KEY (account_id, provider_message_id, change)
    ) STRICT, WITHOUT ROWID;
    ALTER TABLE messages ADD COLUMN error_details TEXT;
    "#,
    // 7: groups and more kinds of message. An order (a catalog cart) and the
    // ad a customer came from (a click-to-WhatsApp referral) are kept with
    // the message, structured. A customer who changed number keeps one
    // contact: their earlier numbers stay here, so a late message from the
    // old number finds the same conversation, and both numbers are found by
    // search (contacts_fts now indexes the phone and the earlier numbers).
    r#"
    ALTER TABLE messages ADD COLUMN order_details TEXT;
    ALTER TABLE messages ADD COLUMN referral TEXT;
    -- When a group's subject was set (Meta's time), so a late webhook never
    -- puts back an older subject.
    ALTER TABLE contacts ADD COLUMN subject_at INTEGER;
    CREATE TABLE contact_aliases (
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        phone      TEXT NOT NULL,
        contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
        PRIMARY KEY (account_id, phone)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX contact_aliases_by_contact ON contact_aliases(contact_id);
    DROP TRIGGER contacts_fts_insert;
    DROP TRIGGER contacts_fts_update;
    CREATE TRIGGER contacts_fts_insert AFTER INSERT ON contacts BEGIN
        INSERT INTO contacts_fts(rowid, names) VALUES (new.id, concat_ws(' ', new.saved_name, new.profile_name, new.verified_name, new.company, new.phone,
            (SELECT group_concat(phone, ' ') FROM contact_aliases WHERE contact_id = new.id)));
    END;
    CREATE TRIGGER contacts_fts_update AFTER UPDATE OF saved_name, profile_name, verified_name, company, phone ON contacts BEGIN
        DELETE FROM contacts_fts WHERE rowid = old.id;
        INSERT INTO contacts_fts(rowid, names) VALUES (new.id, concat_ws(' ', new.saved_name, new.profile_name, new.verified_name, new.company, new.phone,
            (SELECT group_concat(phone, ' ') FROM contact_aliases WHERE contact_id = new.id)));
    END;
    CREATE TRIGGER contact_aliases_fts AFTER INSERT ON contact_aliases BEGIN
        DELETE FROM contacts_fts WHERE rowid = new.contact_id;
        INSERT INTO contacts_fts(rowid, names) SELECT c.id, concat_ws(' ', c.saved_name, c.profile_name, c.verified_name, c.company, c.phone,
            (SELECT group_concat(phone, ' ') FROM contact_aliases WHERE contact_id = c.id)) FROM contacts c WHERE c.id = new.contact_id;
    END;
    DELETE FROM contacts_fts;
    INSERT INTO contacts_fts(rowid, names) SELECT id, concat_ws(' ', saved_name, profile_name, verified_name, company, phone) FROM contacts;
    "#,
    // 8: rate limits. The sends a provider accepted in the last hour, per
    // account and conversation: what the hourly limit and the gap per
    // recipient count after a restart (`ratelimit`). Pruned as rows are
    // added, so it holds at most an hour of sends.
    r#"
    CREATE TABLE send_log (
        account_id      INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        sent_at         INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX send_log_by_account ON send_log(account_id, sent_at);
    CREATE INDEX send_log_by_conversation ON send_log(conversation_id);
    "#,
    // 9: what Meta says outside of messages (account-level webhooks): per
    // account and subject (the account, or `template:{name}/{language}`),
    // the latest value of each aspect with Meta's time for it, so a late
    // webhook never replaces a newer one. And when the typing indicator was
    // last sent in a conversation (at most one per 20 s).
    r#"
    CREATE TABLE account_health (
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        subject    TEXT NOT NULL,
        aspect     TEXT NOT NULL,
        value      TEXT NOT NULL,
        at         INTEGER NOT NULL,
        PRIMARY KEY (account_id, subject, aspect)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE typing_indicators (
        conversation_id INTEGER PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
        sent_at         INTEGER NOT NULL
    ) STRICT;
    "#,
    // 10: opt-out. When the customer wrote an opt-out keyword (STOP, BAJA…),
    // null when they never did or opted back in (START…); `opt_changed_at`
    // is the time of the latest keyword message, so an older one arriving
    // late never undoes a newer one.
    r#"
    ALTER TABLE contacts ADD COLUMN opted_out_at INTEGER;
    ALTER TABLE contacts ADD COLUMN opt_changed_at INTEGER;
    "#,
    // 11: background jobs. The last run of each job (per account for the
    // jobs that work per account; account 0 is the whole data dir), for
    // `wicket jobs` and Settings; and how often the retry job gave a failed
    // message another go, so it stops at its cap.
    r#"
    CREATE TABLE job_runs (
        job          TEXT NOT NULL,
        account_id   INTEGER NOT NULL DEFAULT 0,
        started_at   INTEGER NOT NULL,
        duration_ms  INTEGER NOT NULL,
        ok           INTEGER NOT NULL,
        summary      TEXT,
        error        TEXT,
        runs         INTEGER NOT NULL DEFAULT 1,
        failures     INTEGER NOT NULL DEFAULT 0,
        -- 1: asked to run again before its time (a template webhook).
        due_now      INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (job, account_id)
    ) STRICT;
    CREATE TABLE auto_retries (
        message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
        count      INTEGER NOT NULL,
        last_at    INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX messages_failed_out ON messages(created_at) WHERE status = 'failed' AND direction = 'out';
    "#,
    // 12: scheduled sending. A message the owner asked to send later waits
    // here, outside the outbox (never claimed, never `pending`), until its
    // time; the engine then queues it as an ordinary message (`message_id`)
    // in the same transaction that moves `state` on, so it is queued once.
    // `request` is what to send (`scheduled::Request`, JSON).
    r#"
    CREATE TABLE scheduled_messages (
        id              INTEGER PRIMARY KEY,
        account_id      INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        request         TEXT NOT NULL,
        summary         TEXT NOT NULL DEFAULT '',
        send_at         INTEGER NOT NULL,
        created_at      INTEGER NOT NULL,
        state           TEXT NOT NULL DEFAULT 'scheduled' CHECK (state IN ('scheduled', 'queued', 'failed', 'cancelled')),
        message_id      INTEGER REFERENCES messages(id) ON DELETE SET NULL,
        error           TEXT,
        settled_at      INTEGER
    ) STRICT;
    CREATE INDEX scheduled_due ON scheduled_messages(state, account_id, send_at);
    CREATE INDEX scheduled_by_conversation ON scheduled_messages(conversation_id, state, send_at);
    -- A customer who changed number has their conversation merged into the
    -- other one (`contacts::change_number` moves its messages, then deletes
    -- it): what was scheduled follows the messages instead of going with the
    -- deleted conversation.
    CREATE TRIGGER scheduled_follow_merge AFTER UPDATE OF conversation_id ON messages
    WHEN old.conversation_id != new.conversation_id BEGIN
        UPDATE scheduled_messages SET conversation_id = new.conversation_id WHERE conversation_id = old.conversation_id;
    END;
    "#,
    // 13: alerts. Which alerts were already announced (by key), so a
    // desktop notification goes out once per occurrence; a key is removed
    // when its alert clears. Signature failures per hour live in `counters`
    // (`store::hourly`: `webhook_rejected:0@{hour start}`).
    r#"
    CREATE TABLE alerts_seen (
        key        TEXT PRIMARY KEY,
        first_seen INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
    "#,
    // 14: coexistence and groups. How far Meta's import of the chats the
    // owner had in the WhatsApp Business app got (`history` webhooks: the
    // furthest chunk seen, so chunks in any order end the same), or why it
    // stopped (2593109: the owner declined), with the count of messages it
    // brought. When the app's address book (`smb_app_state_sync`) last set or
    // removed a contact's saved name, so an older entry never undoes a newer
    // one. And each group participant's receipts of our messages, keyed by
    // provider id (a receipt can come before its message), each time kept once.
    r#"
    CREATE TABLE history_imports (
        account_id    INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
        phase         INTEGER NOT NULL DEFAULT 0,
        chunk_order   INTEGER NOT NULL DEFAULT 0,
        progress      INTEGER NOT NULL DEFAULT 0,
        error_code    TEXT,
        error_message TEXT,
        messages      INTEGER NOT NULL DEFAULT 0,
        updated_at    INTEGER NOT NULL
    ) STRICT;
    ALTER TABLE contacts ADD COLUMN saved_name_at INTEGER;
    -- 1: imported from the app's history (never unread, never notified).
    ALTER TABLE messages ADD COLUMN history INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE message_receipts (
        account_id          INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        provider_message_id TEXT NOT NULL,
        participant         TEXT NOT NULL,
        delivered_at        INTEGER,
        read_at             INTEGER,
        played_at           INTEGER,
        PRIMARY KEY (account_id, provider_message_id, participant)
    ) STRICT, WITHOUT ROWID;
    "#,
    // 15: bulk sending. A job (what it sends, its state) and its rows, one
    // per recipient, validated before the job was stored. A row waits
    // (`waiting`) until the engine releases it into the outbox: the message
    // is inserted in the transaction that moves the row to `released`
    // (guarded by `state = 'waiting'`, so once), a few at a time so the
    // owner's own replies never queue behind the whole job. Skipped rows
    // (opted out, duplicates, cancelled) keep why.
    r#"
    CREATE TABLE bulk_jobs (
        id          INTEGER PRIMARY KEY,
        account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        request     TEXT NOT NULL,
        summary     TEXT NOT NULL DEFAULT '',
        source      TEXT NOT NULL DEFAULT '',
        state       TEXT NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'paused', 'cancelled', 'done')),
        created_at  INTEGER NOT NULL,
        finished_at INTEGER
    ) STRICT;
    CREATE INDEX bulk_jobs_by_state ON bulk_jobs(account_id, state);
    CREATE TABLE bulk_rows (
        job_id          INTEGER NOT NULL REFERENCES bulk_jobs(id) ON DELETE CASCADE,
        row_no          INTEGER NOT NULL,
        phone           TEXT,
        conversation_id INTEGER,
        content         TEXT,
        state           TEXT NOT NULL CHECK (state IN ('waiting', 'released', 'skipped')),
        reason          TEXT,
        message_id      INTEGER REFERENCES messages(id) ON DELETE SET NULL,
        PRIMARY KEY (job_id, row_no)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX bulk_rows_by_state ON bulk_rows(job_id, state, row_no);
    CREATE INDEX bulk_rows_by_message ON bulk_rows(message_id) WHERE message_id IS NOT NULL;
    "#,
    // 16: quick replies and notes. A quick reply is a saved answer under a
    // shortcut (unique, any case), with an optional file kept in the data
    // dir (`quick_replies/`, path relative to the data dir). A note is the
    // owner's private text on a contact or on a conversation (exactly one):
    // never a message, so never sent and never unread; searchable through
    // its own FTS table, kept in step by triggers (an import fills it too).
    r#"
    CREATE TABLE quick_replies (
        id         INTEGER PRIMARY KEY,
        shortcut   TEXT NOT NULL UNIQUE COLLATE NOCASE,
        text       TEXT NOT NULL DEFAULT '',
        file_path  TEXT,
        file_name  TEXT,
        mime_type  TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE notes (
        id              INTEGER PRIMARY KEY,
        account_id      INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        contact_id      INTEGER REFERENCES contacts(id) ON DELETE CASCADE,
        conversation_id INTEGER REFERENCES conversations(id) ON DELETE CASCADE,
        text            TEXT NOT NULL,
        created_at      INTEGER NOT NULL,
        updated_at      INTEGER NOT NULL,
        CHECK ((contact_id IS NULL) != (conversation_id IS NULL))
    ) STRICT;
    CREATE INDEX notes_by_contact ON notes(contact_id, created_at) WHERE contact_id IS NOT NULL;
    CREATE INDEX notes_by_conversation ON notes(conversation_id, created_at) WHERE conversation_id IS NOT NULL;
    CREATE VIRTUAL TABLE notes_fts USING fts5(text, tokenize = 'unicode61 remove_diacritics 2');
    CREATE TRIGGER notes_fts_insert AFTER INSERT ON notes BEGIN
        INSERT INTO notes_fts(rowid, text) VALUES (new.id, new.text);
    END;
    CREATE TRIGGER notes_fts_update AFTER UPDATE OF text ON notes BEGIN
        DELETE FROM notes_fts WHERE rowid = old.id;
        INSERT INTO notes_fts(rowid, text) VALUES (new.id, new.text);
    END;
    CREATE TRIGGER notes_fts_delete AFTER DELETE ON notes BEGIN
        DELETE FROM notes_fts WHERE rowid = old.id;
    END;
    "#,
    // 17: a smaller, faster search index (issue 12). messages_fts kept its
    // own copy of every message's text (about a fifth of the store): it is
    // now contentless (the text is read from `messages` when a hit is shown)
    // and deletes still work (`contentless_delete`, so an edit or an erase
    // takes the old words out). Prefix indexes of 3 and 4 letters make those
    // prefixes (search as you type) a lookup instead of a merge of every
    // matching word's list (BENCHMARKS.md). Rebuilt from the messages in place.
    r#"
    DROP TRIGGER messages_fts_insert;
    DROP TRIGGER messages_fts_update;
    DROP TRIGGER messages_fts_delete;
    DROP TABLE messages_fts;
    CREATE VIRTUAL TABLE messages_fts USING fts5(body, file_name, content = '', contentless_delete = 1, prefix = '3 4',
        tokenize = 'unicode61 remove_diacritics 2');
    INSERT INTO messages_fts(rowid, body, file_name)
        SELECT m.id, trim(coalesce(m.text, '') || ' ' || coalesce(m.caption, '')), coalesce(f.file_name, '')
        FROM messages m LEFT JOIN media_files f ON f.id = m.media_id;
    CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts(rowid, body, file_name)
        VALUES (new.id, trim(coalesce(new.text, '') || ' ' || coalesce(new.caption, '')),
                coalesce((SELECT file_name FROM media_files WHERE id = new.media_id), ''));
    END;
    CREATE TRIGGER messages_fts_update AFTER UPDATE OF text, caption, media_id ON messages BEGIN
        DELETE FROM messages_fts WHERE rowid = old.id;
        INSERT INTO messages_fts(rowid, body, file_name)
        VALUES (new.id, trim(coalesce(new.text, '') || ' ' || coalesce(new.caption, '')),
                coalesce((SELECT file_name FROM media_files WHERE id = new.media_id), ''));
    END;
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        DELETE FROM messages_fts WHERE rowid = old.id;
    END;
    "#,
    // 18: away and greeting messages (issue 15, `crate::away`). Per account,
    // the last inbound message the automatic replies looked at: existing
    // accounts start at their newest message, so turning the feature on never
    // answers old messages. Per conversation, the closed periods (by their
    // start) it already got an away message for: at most one each.
    r#"
    CREATE TABLE auto_reply_cursors (
        account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
        message_id INTEGER NOT NULL
    ) STRICT;
    INSERT INTO auto_reply_cursors (account_id, message_id)
        SELECT a.id, coalesce((SELECT max(m.id) FROM messages m WHERE m.account_id = a.id), 0) FROM accounts a;
    CREATE TABLE away_replies (
        conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        closed_since    INTEGER NOT NULL,
        message_id      INTEGER REFERENCES messages(id) ON DELETE SET NULL,
        sent_at         INTEGER NOT NULL,
        PRIMARY KEY (conversation_id, closed_since)
    ) STRICT;
    "#,
    // 19: snooze and reminders (issue 15). A snoozed conversation keeps its
    // wake-up time in `snoozed_until`: the lists hide it until then (so it
    // comes back by time alone, with or without a running app), and a new
    // inbound message clears it. A reminder is the owner's "remind me" on one
    // message; `fired_at` is set once, in the statement that claims it, so a
    // past-due reminder fires once (at the next start when nothing ran).
    r#"
    ALTER TABLE conversations ADD COLUMN snoozed_until INTEGER;
    CREATE INDEX conversations_snoozed ON conversations(snoozed_until) WHERE snoozed_until IS NOT NULL;
    CREATE TABLE reminders (
        id         INTEGER PRIMARY KEY,
        message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        remind_at  INTEGER NOT NULL,
        note       TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL,
        fired_at   INTEGER
    ) STRICT;
    CREATE INDEX reminders_due ON reminders(remind_at, id) WHERE fired_at IS NULL;
    CREATE INDEX reminders_by_message ON reminders(message_id);
    "#,
    // 20: one contact across identities (issue 15, `crate::contact_merge`).
    // A merged contact keeps the other's business-scoped id or LID as an
    // alias (its earlier numbers go to `contact_aliases`), so a webhook for
    // either key finds it. The last merge can be undone: `contact_merges`
    // keeps one row per merge and only the latest carries `record` (the
    // removed contact's rows and the ids that moved, JSON); a later merge
    // clears the earlier one's. Suggestions the owner dismissed stay
    // dismissed (a pair, smaller id first; gone with either contact).
    r#"
    CREATE TABLE contact_user_aliases (
        account_id       INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        provider_user_id TEXT NOT NULL,
        contact_id       INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
        PRIMARY KEY (account_id, provider_user_id)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX contact_user_aliases_by_contact ON contact_user_aliases(contact_id);
    CREATE TABLE contact_merges (
        id         INTEGER PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        kept_id    INTEGER NOT NULL,
        removed_id INTEGER NOT NULL,
        merged_at  INTEGER NOT NULL,
        record     TEXT,
        undone_at  INTEGER
    ) STRICT;
    CREATE TABLE merge_dismissals (
        contact_a    INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
        contact_b    INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
        dismissed_at INTEGER NOT NULL,
        PRIMARY KEY (contact_a, contact_b),
        CHECK (contact_a < contact_b)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX merge_dismissals_by_b ON merge_dismissals(contact_b);
    "#,
    // 21: the media cache (issue 15, `crate::media_cache`). `evicted_at`: the
    // file was removed to save space (the row keeps `state = 'downloaded'`,
    // read as "evicted": SQLite cannot widen the state's CHECK without
    // rebuilding media_files, whose drop would null every message's
    // media_id through ON DELETE SET NULL). `last_used_at` (served or opened)
    // and `downloaded_at` order eviction. `media_cache_totals` is the running
    // total of the files on disk, kept by triggers so every path (downloads,
    // evictions, erases, removed accounts) keeps it exact without a walk.
    r#"
    ALTER TABLE media_files ADD COLUMN downloaded_at INTEGER;
    ALTER TABLE media_files ADD COLUMN last_used_at INTEGER;
    ALTER TABLE media_files ADD COLUMN evicted_at INTEGER;
    CREATE INDEX media_by_last_use ON media_files(coalesce(last_used_at, downloaded_at, created_at), id)
        WHERE state = 'downloaded' AND evicted_at IS NULL AND path IS NOT NULL;
    CREATE TABLE media_cache_totals (
        id    INTEGER PRIMARY KEY CHECK (id = 1),
        bytes INTEGER NOT NULL,
        files INTEGER NOT NULL
    ) STRICT;
    INSERT INTO media_cache_totals (id, bytes, files)
        SELECT 1, coalesce(sum(coalesce(size, 0)), 0), count(*) FROM media_files WHERE state = 'downloaded' AND path IS NOT NULL;
    CREATE TRIGGER media_cache_insert AFTER INSERT ON media_files
        WHEN new.state = 'downloaded' AND new.evicted_at IS NULL AND new.path IS NOT NULL BEGIN
        UPDATE media_cache_totals SET bytes = bytes + coalesce(new.size, 0), files = files + 1 WHERE id = 1;
    END;
    CREATE TRIGGER media_cache_delete AFTER DELETE ON media_files
        WHEN old.state = 'downloaded' AND old.evicted_at IS NULL AND old.path IS NOT NULL BEGIN
        UPDATE media_cache_totals SET bytes = bytes - coalesce(old.size, 0), files = files - 1 WHERE id = 1;
    END;
    CREATE TRIGGER media_cache_update AFTER UPDATE OF state, evicted_at, path, size ON media_files BEGIN
        UPDATE media_cache_totals SET
            bytes = bytes
                - CASE WHEN old.state = 'downloaded' AND old.evicted_at IS NULL AND old.path IS NOT NULL THEN coalesce(old.size, 0) ELSE 0 END
                + CASE WHEN new.state = 'downloaded' AND new.evicted_at IS NULL AND new.path IS NOT NULL THEN coalesce(new.size, 0) ELSE 0 END,
            files = files
                - (old.state = 'downloaded' AND old.evicted_at IS NULL AND old.path IS NOT NULL)
                + (new.state = 'downloaded' AND new.evicted_at IS NULL AND new.path IS NOT NULL)
            WHERE id = 1;
    END;
    "#,
];

/// The schema version this build writes.
pub fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}
