// The binary embeds `suites/`, `schemas/` and `snapshots/` (include_dir!), and tests enumerate suite files at
// compile time (rstest #[files]): rebuild when either folder changes, or new files go unseen.
fn main() {
    println!("cargo:rerun-if-changed=suites");
    println!("cargo:rerun-if-changed=schemas");
    println!("cargo:rerun-if-changed=snapshots");
}
