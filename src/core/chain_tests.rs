//! Chain tests: passthrough exactness, channel mapping, and the resampler's frequency and SNR.

use super::*;
use crate::core::convert::OutputFormat;
use crate::core::packetizer::MissPolicy;
use crate::core::pipeline::{PacketLayout, Pipeline};
use std::sync::Arc;

fn run<S: Sample>(
    chain: &mut Chain,
    out_ch: u16,
    rate: u32,
    format: OutputFormat,
    blocks: &[Vec<S>],
) -> Vec<u8> {
    let fpp = 256 / out_ch as u32;
    let layout = PacketLayout {
        sample_rate: rate,
        channels: out_ch,
        format,
        frames_per_packet: fpp,
    };
    let p = Arc::new(Pipeline::new(layout, 64));
    let mut pk = Packetizer::new(p.clone(), std::thread::current(), MissPolicy::Drop);
    let mut out = Vec::new();
    let drain = |p: &Pipeline, out: &mut Vec<u8>| {
        while let Some(d) = p.ready.pop() {
            // SAFETY: the slot is Ready; the producer no longer writes it.
            let b = unsafe {
                std::slice::from_raw_parts(p.pool.slot_ptr(d.slot), p.packet_bytes(d.frames))
            };
            out.extend_from_slice(b);
            p.pool.recycle(d.slot);
        }
    };
    for b in blocks {
        chain.process(b, 0, &mut pk);
        drain(&p, &mut out);
    }
    pk.finish();
    drain(&p, &mut out);
    assert_eq!(p.pool.stats().misses, 0);
    out
}

fn f32s(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn i16s(b: &[u8]) -> Vec<i16> {
    b.chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect()
}

#[test]
fn a_matching_config_is_a_bit_exact_passthrough() {
    let mut c = Chain::new(2, 48_000, 2, 48_000, &ChannelMap::Auto).unwrap();
    assert!(c.is_passthrough());
    let block: Vec<i16> = (0..2000).map(|i| (i * 7 % 65536 - 32768) as i16).collect();
    let out = i16s(&run(
        &mut c,
        2,
        48_000,
        OutputFormat::S16,
        std::slice::from_ref(&block),
    ));
    assert_eq!(out, block);
}

#[test]
fn stereo_to_mono_averages_and_mono_to_stereo_duplicates() {
    let mut down = Chain::new(2, 48_000, 1, 48_000, &ChannelMap::Auto).unwrap();
    let out = f32s(&run(
        &mut down,
        1,
        48_000,
        OutputFormat::F32,
        &[vec![0.5f32, 0.25, -1.0, 0.0]],
    ));
    assert_eq!(out, vec![0.375, -0.5]);
    let mut up = Chain::new(1, 48_000, 2, 48_000, &ChannelMap::Auto).unwrap();
    let out = f32s(&run(
        &mut up,
        2,
        48_000,
        OutputFormat::F32,
        &[vec![0.5f32, -0.25]],
    ));
    assert_eq!(out, vec![0.5, 0.5, -0.25, -0.25]);
    let mut six = Chain::new(6, 48_000, 2, 48_000, &ChannelMap::Auto).unwrap();
    let frame = vec![0.1f32, 0.2, 0.3, 0.4, 0.5, 0.6];
    let out = f32s(&run(&mut six, 2, 48_000, OutputFormat::F32, &[frame]));
    assert!(
        (out[0] - 0.3).abs() < 1e-6 && (out[1] - 0.4).abs() < 1e-6,
        "{out:?}"
    );
}

#[test]
fn an_explicit_channel_map_picks_channels_and_bad_maps_are_refused() {
    let mut c = Chain::new(2, 48_000, 2, 48_000, &ChannelMap::Explicit(vec![1, 0])).unwrap();
    assert!(!c.is_passthrough());
    let out = i16s(&run(
        &mut c,
        2,
        48_000,
        OutputFormat::S16,
        &[vec![100i16, -200, 300, -400]],
    ));
    assert_eq!(out, vec![-200, 100, -400, 300]);
    assert!(Chain::new(2, 48_000, 1, 48_000, &ChannelMap::Explicit(vec![2])).is_err());
    assert!(Chain::new(2, 48_000, 2, 48_000, &ChannelMap::Explicit(vec![0])).is_err());
}

/// Least-squares fit of a sine at `freq` (plus DC); returns (amplitude, SNR in dB).
pub fn sine_fit(x: &[f32], freq: f64, rate: f64) -> (f64, f64) {
    let w = std::f64::consts::TAU * freq / rate;
    let (mut ss, mut sc, mut cc, mut ys, mut yc) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (n, &v) in x.iter().enumerate() {
        let (s, c) = (w * n as f64).sin_cos();
        ss += s * s;
        sc += s * c;
        cc += c * c;
        ys += v as f64 * s;
        yc += v as f64 * c;
    }
    let det = ss * cc - sc * sc;
    let a = (ys * cc - yc * sc) / det;
    let b = (yc * ss - ys * sc) / det;
    let (mut sig, mut err) = (0.0, 0.0);
    for (n, &v) in x.iter().enumerate() {
        let (s, c) = (w * n as f64).sin_cos();
        let fit = a * s + b * c;
        sig += fit * fit;
        err += (v as f64 - fit).powi(2);
    }
    ((a * a + b * b).sqrt(), 10.0 * (sig / err).log10())
}

fn resample_tone(in_rate: u32, in_ch: usize, out_rate: u32, out_ch: usize) -> (f64, f64, usize) {
    let frames = in_rate as usize; // one second
    let tone: Vec<f32> = (0..frames)
        .flat_map(|n| {
            let v = 0.5 * (std::f64::consts::TAU * 1000.0 * n as f64 / in_rate as f64).sin();
            std::iter::repeat_n(v as f32, in_ch)
        })
        .collect();
    // Irregular device blocks, as real hosts deliver.
    let mut blocks = Vec::new();
    let mut at = 0;
    for size in [160usize, 7, 1024, 333].iter().cycle() {
        if at >= frames {
            break;
        }
        let end = (at + size).min(frames);
        blocks.push(tone[at * in_ch..end * in_ch].to_vec());
        at = end;
    }
    let mut c = Chain::new(in_ch, in_rate, out_ch, out_rate, &ChannelMap::Auto).unwrap();
    let out = f32s(&run(
        &mut c,
        out_ch as u16,
        out_rate,
        OutputFormat::F32,
        &blocks,
    ));
    let mono: Vec<f32> = out.chunks_exact(out_ch).map(|f| f[0]).collect();
    // Skip the resampler's start-up transient and the flushed tail.
    let body = &mono[out_rate as usize / 10..mono.len() - out_rate as usize / 10];
    let (amp, snr) = sine_fit(body, 1000.0, out_rate as f64);
    (amp, snr, mono.len())
}

#[test]
fn resampling_keeps_the_tone_at_16k_mono_and_44k1_stereo() {
    // (out rate, out channels, fewest frames expected for 1 s: the resampler delay is trimmed)
    for (rate, ch, min_frames) in [(16_000, 1, 15_000), (44_100, 2, 43_500)] {
        let (amp, snr, frames) = resample_tone(48_000, 2, rate, ch);
        eprintln!("48 kHz stereo -> {rate} Hz x{ch}: amplitude {amp:.5}, SNR {snr:.1} dB, {frames} frames");
        assert!((amp - 0.5).abs() < 0.005, "{rate} Hz: amplitude {amp}");
        assert!(snr > 60.0, "{rate} Hz: SNR {snr:.1} dB");
        assert!(
            (min_frames..=rate as usize).contains(&frames),
            "{rate} Hz: {frames} frames for 1 s"
        );
    }
}

#[test]
fn the_sine_fit_detects_a_wrong_frequency() {
    let x: Vec<f32> = (0..16_000)
        .map(|n| (std::f64::consts::TAU * 1010.0 * n as f64 / 16_000.0).sin() as f32)
        .collect();
    let (_, snr) = sine_fit(&x, 1000.0, 16_000.0);
    assert!(snr < 10.0, "a 1 % frequency error must ruin the fit: {snr}");
}

/// RMS of a 1 kHz tone (amplitude 0.5) after resampling 48 kHz mono to `out_rate`, in dB
/// relative to the input tone's RMS.
fn alias_level_db(out_rate: u32) -> f64 {
    let in_rate = 48_000u32;
    let frames = in_rate as usize;
    let tone: Vec<f32> = (0..frames)
        .map(|n| (0.5 * (std::f64::consts::TAU * 1000.0 * n as f64 / in_rate as f64).sin()) as f32)
        .collect();
    let blocks: Vec<Vec<f32>> = tone.chunks(480).map(|c| c.to_vec()).collect();
    let mut c = Chain::new(1, in_rate, 1, out_rate, &ChannelMap::Auto).unwrap();
    let out = f32s(&run(&mut c, 1, out_rate, OutputFormat::F32, &blocks));
    let body = &out[out.len() / 5..out.len() * 4 / 5];
    let rms = (body.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / body.len() as f64).sqrt();
    20.0 * (rms / (0.5 / 2f64.sqrt())).log10()
}

#[test]
fn a_tone_above_the_output_nyquist_is_removed_by_at_least_60_db() {
    // 1 kHz is above half of each of these rates: it must not alias into the output.
    for out_rate in [1_000, 1_500, 1_900] {
        let db = alias_level_db(out_rate);
        eprintln!("48 kHz -> {out_rate} Hz: a 1 kHz tone comes out at {db:.1} dB");
        assert!(db <= -60.0, "{out_rate} Hz: 1 kHz aliases at {db:.1} dB");
    }
}
