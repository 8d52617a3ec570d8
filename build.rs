fn main() {
    napi_build::setup();
    // `server_path`: the platforms where cpal has its ALSA and PulseAudio hosts (its
    // `platform/mod.rs`), and with them pcmtap's PulseAudio/PipeWire server path
    // (`src/capture/linux.rs`, `server.rs`, the subscription hub). One name for that list.
    println!("cargo::rustc-check-cfg=cfg(server_path)");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if matches!(os.as_str(), "linux" | "dragonfly" | "freebsd" | "netbsd") {
        println!("cargo::rustc-cfg=server_path");
    }
}
