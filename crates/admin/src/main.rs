//! The admin page's entry point, built for the browser by Trunk (`crates/admin/Trunk.toml`).

#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

fn main() {
    studio_admin::mount();
}
