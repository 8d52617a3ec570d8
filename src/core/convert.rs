//! Sample-format conversion from what a source delivers (i16, i32, f32) to what JS receives
//! (`'s16'` or `'f32'`, little-endian interleaved).
//!
//! Threads: runs on the producer (audio) thread. Real-time safe: no allocation, no lock, no
//! syscall, no panic (float-to-int conversion saturates; NaN becomes 0).
//!
//! Scale: integer full scale maps to [-1.0, 1.0) by dividing by 2^15 (i16) or 2^31 (i32); f32 to
//! s16 multiplies by 32768, rounds to nearest and saturates, so s16 -> f32 -> s16 is exact.

/// The sample format JS receives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    S16,
    F32,
}

impl OutputFormat {
    pub fn bytes_per_sample(self) -> usize {
        match self {
            Self::S16 => 2,
            Self::F32 => 4,
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "s16" => Some(Self::S16),
            "f32" => Some(Self::F32),
            _ => None,
        }
    }
}

/// A sample type a source can deliver.
pub trait Sample: Copy + Send + 'static {
    fn to_s16(self) -> i16;
    fn to_f32(self) -> f32;
}

impl Sample for i16 {
    #[inline]
    fn to_s16(self) -> i16 {
        self
    }
    #[inline]
    fn to_f32(self) -> f32 {
        self as f32 / 32768.0
    }
}

impl Sample for i32 {
    #[inline]
    fn to_s16(self) -> i16 {
        (self >> 16) as i16
    }
    #[inline]
    fn to_f32(self) -> f32 {
        (self as f64 / 2_147_483_648.0) as f32
    }
}

impl Sample for f32 {
    #[inline]
    fn to_s16(self) -> i16 {
        // `as` saturates and maps NaN to 0.
        (self * 32768.0).round() as i16
    }
    #[inline]
    fn to_f32(self) -> f32 {
        self
    }
}

/// Integer formats: `$t` has `$bits` bits, `$offset` is the value of silence (unsigned types).
macro_rules! int_sample {
    ($t:ty, $bits:expr, $offset:expr) => {
        impl Sample for $t {
            #[inline]
            fn to_s16(self) -> i16 {
                let centered = self as i128 - $offset as i128;
                (centered >> ($bits - 16)) as i16
            }
            #[inline]
            fn to_f32(self) -> f32 {
                let centered = self as i128 - $offset as i128;
                (centered as f64 / (1u128 << ($bits - 1)) as f64) as f32
            }
        }
    };
}

int_sample!(i64, 64, 0i64);
int_sample!(u16, 16, 32768u16);
int_sample!(u32, 32, 2_147_483_648u32);
int_sample!(u64, 64, 9_223_372_036_854_775_808u64);

impl Sample for i8 {
    #[inline]
    fn to_s16(self) -> i16 {
        (self as i16) << 8
    }
    #[inline]
    fn to_f32(self) -> f32 {
        self as f32 / 128.0
    }
}

impl Sample for u8 {
    #[inline]
    fn to_s16(self) -> i16 {
        ((self as i16) - 128) << 8
    }
    #[inline]
    fn to_f32(self) -> f32 {
        (self as f32 - 128.0) / 128.0
    }
}

impl Sample for f64 {
    #[inline]
    fn to_s16(self) -> i16 {
        (self * 32768.0).round() as i16
    }
    #[inline]
    fn to_f32(self) -> f32 {
        self as f32
    }
}

/// Converts `src` into `dst` (raw little-endian bytes of `format`). `dst` must hold exactly
/// `src.len() * format.bytes_per_sample()` bytes; a shorter `dst` converts only what fits.
#[inline]
pub fn convert_into<S: Sample>(src: &[S], format: OutputFormat, dst: &mut [u8]) {
    match format {
        OutputFormat::S16 => {
            for (d, s) in dst.chunks_exact_mut(2).zip(src) {
                d.copy_from_slice(&s.to_s16().to_le_bytes());
            }
        }
        OutputFormat::F32 => {
            for (d, s) in dst.chunks_exact_mut(4).zip(src) {
                d.copy_from_slice(&s.to_f32().to_le_bytes());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Scalar reference in f64, written independently of the trait impls.
    fn ref_s16(x: f64) -> i16 {
        let v = (x * 32768.0).round();
        v.clamp(-32768.0, 32767.0) as i16
    }

    fn conv<S: Sample>(src: &[S], f: OutputFormat) -> Vec<u8> {
        let mut out = vec![0u8; src.len() * f.bytes_per_sample()];
        convert_into(src, f, &mut out);
        out
    }

    fn as_i16(b: &[u8]) -> Vec<i16> {
        b.chunks_exact(2)
            .map(|c| i16::from_le_bytes([c[0], c[1]]))
            .collect()
    }

    fn as_f32(b: &[u8]) -> Vec<f32> {
        b.chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    }

    #[test]
    fn every_i16_value_converts_bit_exactly() {
        let all: Vec<i16> = (i16::MIN..=i16::MAX).collect();
        assert_eq!(as_i16(&conv(&all, OutputFormat::S16)), all);
        let f = as_f32(&conv(&all, OutputFormat::F32));
        for (x, y) in all.iter().zip(&f) {
            assert_eq!(*y, (*x as f64 / 32768.0) as f32);
            assert_eq!(y.to_s16(), *x, "s16 -> f32 -> s16 must round-trip");
        }
    }

    #[test]
    fn i32_matches_the_scalar_reference() {
        let mut vals = vec![
            i32::MIN,
            i32::MIN + 1,
            -65536,
            -65535,
            -1,
            0,
            1,
            65535,
            65536,
            i32::MAX,
        ];
        let mut x: u32 = 0x1234_5678;
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            vals.push(x as i32);
        }
        let s = as_i16(&conv(&vals, OutputFormat::S16));
        let f = as_f32(&conv(&vals, OutputFormat::F32));
        for ((v, s), f) in vals.iter().zip(&s).zip(&f) {
            assert_eq!(*s as i64, (*v as i64).div_euclid(65536), "i32 {v} -> s16");
            assert_eq!(*f, (*v as f64 / 2f64.powi(31)) as f32, "i32 {v} -> f32");
        }
    }

    #[test]
    fn every_device_format_maps_silence_and_full_scale_like_the_reference() {
        assert_eq!(
            (0u8.to_s16(), 128u8.to_s16(), 255u8.to_s16()),
            (-32768, 0, 32512)
        );
        assert_eq!(
            (i8::MIN.to_s16(), 0i8.to_s16(), 1i8.to_s16()),
            (-32768, 0, 256)
        );
        assert_eq!(
            (0u16.to_s16(), 32768u16.to_s16(), 65535u16.to_s16()),
            (-32768, 0, 32767)
        );
        assert_eq!(
            (0u32.to_s16(), (1u32 << 31).to_s16(), u32::MAX.to_s16()),
            (-32768, 0, 32767)
        );
        assert_eq!(
            (i64::MIN.to_s16(), 0i64.to_s16(), i64::MAX.to_s16()),
            (-32768, 0, 32767)
        );
        assert_eq!((0u64.to_s16(), (1u64 << 63).to_s16()), (-32768, 0));
        assert_eq!(
            (0.5f64.to_s16(), (-1.0f64).to_s16(), 2.0f64.to_s16()),
            (16384, -32768, 32767)
        );
        for v in [0u16, 1, 12345, 32768, 65535] {
            assert_eq!(v.to_f32(), ((v as f64 - 32768.0) / 32768.0) as f32);
        }
        for v in [0u8, 1, 127, 128, 255] {
            assert_eq!(v.to_f32(), ((v as f64 - 128.0) / 128.0) as f32);
        }
        assert_eq!(i64::MIN.to_f32(), -1.0);
        assert_eq!(0.25f64.to_f32(), 0.25);
    }

    #[test]
    fn f32_matches_the_scalar_reference_and_saturates() {
        let mut vals: Vec<f32> = (-40_000..=40_000).map(|i| i as f32 / 32768.0).collect();
        vals.extend([
            1.0,
            -1.0,
            1.5,
            -1.5,
            0.49999 / 32768.0,
            f32::INFINITY,
            f32::NEG_INFINITY,
        ]);
        let s = as_i16(&conv(&vals, OutputFormat::S16));
        for (v, s) in vals.iter().zip(&s) {
            assert_eq!(*s, ref_s16(*v as f64), "f32 {v} -> s16");
        }
        assert_eq!(as_i16(&conv(&[f32::NAN], OutputFormat::S16)), vec![0]);
        let f = as_f32(&conv(&vals, OutputFormat::F32));
        assert!(vals.iter().zip(&f).all(|(a, b)| a.to_bits() == b.to_bits()));
    }
}
