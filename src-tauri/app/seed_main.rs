//! `cargo run --example seed -- DIR`: fills an empty data dir with the sample
//! bakery inbox (`sample.rs`), times relative to now, to try the window or
//! take its screenshots without a real number.

#[path = "sample.rs"]
mod sample;

fn main() {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: seed DATA_DIR (an empty or new folder)");
        std::process::exit(2);
    };
    let result = wicket_core::DataDir::open(std::path::PathBuf::from(dir)).and_then(|dir| {
        let mut store = wicket_core::Store::open(&dir.db_path())?;
        if !store.accounts()?.is_empty() {
            return Err(wicket_core::Error::Invalid(format!("{} already has accounts: seed an empty data dir", dir.root().display())));
        }
        sample::seed(&mut store, &dir, wicket_core::time::now_ms())
    });
    if let Err(e) = result {
        eprintln!("seed: {e}");
        std::process::exit(e.exit_code());
    }
}
