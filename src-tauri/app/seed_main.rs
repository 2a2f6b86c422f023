//! `cargo run --example seed -- DIR [--showcase]`: fills an empty data dir
//! with the sample bakery inbox (`sample.rs`), times relative to now, to try
//! the window or take its screenshots without a real number. `--showcase`
//! (the README's screenshots) archives the conversation that only tests
//! need: a contact named with markup, kept to prove it stays text.

#[path = "sample.rs"]
mod sample;

fn main() {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: seed DATA_DIR (an empty or new folder)");
        std::process::exit(2);
    };
    let showcase = std::env::args().skip(2).any(|a| a == "--showcase");
    let result = wicket_core::DataDir::open(std::path::PathBuf::from(dir)).and_then(|dir| {
        let mut store = wicket_core::Store::open(&dir.db_path())?;
        if !store.accounts()?.is_empty() {
            return Err(wicket_core::Error::Invalid(format!("{} already has accounts: seed an empty data dir", dir.root().display())));
        }
        sample::seed(&mut store, &dir, wicket_core::time::now_ms())?;
        if showcase {
            let all = store.conversations(&wicket_core::store::ConversationFilter { limit: 1000, ..Default::default() })?;
            for c in all.iter().filter(|c| c.contact.profile_name.as_deref().is_some_and(|n| n.contains('<'))) {
                store.set_conversation_flags(c.id, None, Some(true), None)?;
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        eprintln!("seed: {e}");
        std::process::exit(e.exit_code());
    }
}
