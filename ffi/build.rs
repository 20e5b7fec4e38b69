//! Gives the shared library its SONAME and librados's symbol version node.

fn main() {
    println!("cargo:rerun-if-changed=librbdrs.map");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux") {
        return;
    }
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,librbdrs.so.1");
    println!("cargo:rustc-cdylib-link-arg=-Wl,--version-script={dir}/librbdrs.map");
}
