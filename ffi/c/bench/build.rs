//! Compiles the C++ side of the benchmark against rtshm.hpp (g++, -O2 as a release build
//! of a C++ node would).
fn main() {
    println!("cargo:rerun-if-changed=src/store_load.cpp");
    println!("cargo:rerun-if-changed=../include/rtshm.hpp");
    println!("cargo:rerun-if-changed=../include/rtshm.h");
    cc::Build::new()
        .cpp(true)
        .std("c++17")
        .opt_level(2)
        .include("../include")
        .file("src/store_load.cpp")
        .compile("rtshm_bench_cpp");
}
