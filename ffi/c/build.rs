//! Names the shared library `librtshm_c.so` inside (its SONAME), so that programs linked
//! against it by path load it by name at run time (from the rpath or the loader's path).
fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,librtshm_c.so");
}
