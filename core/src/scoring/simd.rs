//! Explicit SIMD for the batch fast path: 16 rows × 16 item codes transposed and decoded in
//! registers.
//!
//! The block-columnar fast path ([`super::fast`]) works on item-major columns, but a batch
//! arrives row-major. Moving one byte at a time from the row-major buffer into the columns was
//! the cost that dominated scoring. Here a byte-wide buffer is read 16 rows × 16 bytes at a
//! time, transposed in 64 byte-interleave instructions (four rounds of `unpacklo`/`unpackhi`),
//! and every item column is decoded in the same registers into its *offset* `value − vmin`
//! (`u8`) with a validity mask, then stored once into the block's item-major scratch.
//!
//! Which backend runs is chosen at compile time from the target, never from global state:
//! * `x86_64`: SSE2, part of the x86_64 baseline (no runtime detection needed);
//! * `wasm32` built with `-C target-feature=+simd128`: WebAssembly SIMD128;
//! * anything else: no SIMD backend, [`BatchKernel::Auto`] runs the scalar kernel.
//!
//! The same tiles feed the fused kernel ([`super::fused`], x86_64 only): for instruments of the
//! common screening shape, decode, sums, bands and every condition of 64 complete rows are
//! computed in registers and the output columns written once.
//!
//! [`BatchKernel::Scalar`] forces the scalar kernel — per-item 256-entry tables built
//! independently of the affine decode the SIMD kernel uses — so tests can check that both give
//! identical bytes.

use super::plan::NOT_AN_OPTION;

/// Which kernel the batch fast path uses for decoding byte-wide buffers.
///
/// Results are identical byte for byte whichever kernel runs; the choice only changes speed.
/// Buffers wider than one byte (`i16`, `i32`, …) always use the scalar column decoder.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum BatchKernel {
    /// The SIMD kernel where the target has one (see [`BatchKernel::simd_backend`]), else scalar.
    #[default]
    Auto,
    /// Force the portable scalar kernel (for tests and comparisons).
    Scalar,
}

impl BatchKernel {
    /// The SIMD backend compiled into this build (`"sse2"`, `"simd128"`), or `None` when
    /// [`BatchKernel::Auto`] falls back to the scalar kernel.
    pub const fn simd_backend() -> Option<&'static str> {
        imp::BACKEND
    }
    /// Whether this choice runs a SIMD kernel in this build.
    pub const fn uses_simd(self) -> bool {
        matches!(self, BatchKernel::Auto) && imp::BACKEND.is_some()
    }
}

/// Rows per transposed tile (and lanes per vector).
pub(crate) const LANES: usize = 16;

/// How one item's byte codes decode, for both kernels.
#[derive(Clone, Debug)]
pub(crate) struct ByteItem {
    /// Smallest scored value over the item's options.
    pub vmin: i16,
    /// Offset `value − vmin` by raw byte (0 for a byte that is not an option).
    pub dtab: [u8; 256],
    /// `0xFF` where the byte is an option, `0` where it is not.
    pub oktab: [u8; 256],
    /// The affine form used by the SIMD kernel, when the options are one run of consecutive
    /// codes whose values rise or fall by one per code: `d = ((b − lo) ^ x) + y`, valid iff
    /// `b − lo ≤ range` (wrapping `u8` arithmetic).
    // Read only by the SIMD kernels (x86_64; wasm32 with simd128): a wasm32 build without simd128 keeps it unread.
    #[cfg_attr(not(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128"))), allow(dead_code))]
    pub affine: Option<Affine>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Affine {
    pub lo: u8,
    pub range: u8,
    pub x: u8,
    pub y: u8,
    /// The same constants in all 16 lanes (loaded, not rebuilt, per tile).
    pub lo16: [u8; 16],
    pub range16: [u8; 16],
    pub x16: [u8; 16],
    pub y16: [u8; 16],
}

impl Affine {
    fn new(lo: u8, range: u8, x: u8, y: u8) -> Affine {
        Affine {
            lo,
            range,
            x,
            y,
            lo16: [lo; 16],
            range16: [range; 16],
            x16: [x; 16],
            y16: [y; 16],
        }
    }
}

impl ByteItem {
    /// From the item's value table over raw bytes (`NOT_AN_OPTION` for non-options). `None` when
    /// the values span more than 255 (their offsets would not fit a byte).
    pub fn new(val: &[i16; 256]) -> Option<ByteItem> {
        let valid: Vec<usize> = (0..256).filter(|&b| val[b] != NOT_AN_OPTION).collect();
        let vmin = valid.iter().map(|&b| val[b]).min()?;
        let vmax = valid.iter().map(|&b| val[b]).max()?;
        if i32::from(vmax) - i32::from(vmin) > 255 {
            return None;
        }
        let mut dtab = [0u8; 256];
        let mut oktab = [0u8; 256];
        for &b in &valid {
            dtab[b] = (i32::from(val[b]) - i32::from(vmin)) as u8;
            oktab[b] = 0xFF;
        }
        // Affine when the valid bytes are one run lo..=hi with values stepping by exactly ±1.
        let (lo, hi) = (valid[0], valid[valid.len() - 1]);
        let run = valid.len() == hi - lo + 1;
        let rising = run && valid.iter().all(|&b| i32::from(val[b]) == i32::from(val[lo]) + (b - lo) as i32);
        let falling = run && !rising && valid.iter().all(|&b| i32::from(val[b]) == i32::from(val[hi]) + (hi - b) as i32);
        let range = (hi - lo) as u8;
        let affine = if rising {
            Some(Affine::new(lo as u8, range, 0, 0))
        } else if falling {
            // range − d  ==  (d ^ 0xFF) + range + 1   (mod 256)
            Some(Affine::new(lo as u8, range, 0xFF, range.wrapping_add(1)))
        } else {
            None
        };
        Some(ByteItem { vmin, dtab, oktab, affine })
    }
}

/// Decode rows `r0..r0 + bn` of a byte-wide row-major buffer (`n` items per row, `T::byte`)
/// into the item-major offset columns `dcol` (`dcol[j * block + r]`) and per-row masks `ok`
/// (`0xFF` when every cell of the row is an option). `bn ≤ block`, `block` a multiple of 16.
#[allow(clippy::too_many_arguments)]
pub(crate) fn decode_block<T: super::batch::Code>(
    kernel: BatchKernel,
    codes: &[T],
    n: usize,
    r0: usize,
    bn: usize,
    items: &[ByteItem],
    block: usize,
    dcol: &mut [u8],
    ok: &mut [u8],
) {
    match T::bytes(codes) {
        Some(bytes) => decode_bytes(kernel, bytes, n, r0, bn, items, block, dcol, ok),
        // Not reached: the byte decoder is planned for byte-wide buffers only. Every row then
        // takes the row path.
        None => ok[..bn].fill(0),
    }
}

#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn decode_bytes(kernel: BatchKernel, codes: &[u8], n: usize, r0: usize, bn: usize, items: &[ByteItem], block: usize, dcol: &mut [u8], ok: &mut [u8]) {
    if kernel.uses_simd() && n > 0 {
        imp::decode_block(codes, n, r0, bn, items, block, dcol, ok);
    } else {
        decode_block_scalar(codes, n, r0, bn, items, block, dcol, ok);
    }
}

/// The fused kernel's register file: one 64-row value per instruction of the lane program.
/// Registers `0..MAX_REGS` hold the sure world, `MAX_REGS..` the possible one (three-valued groups).
pub(crate) type Regs = [[[u8; 16]; super::fused::GROUP]; 2 * super::fused::MAX_REGS];

/// A zeroed register file (allocated once per worker).
pub(crate) fn new_regs() -> Box<Regs> {
    Box::new([[[0u8; 16]; super::fused::GROUP]; 2 * super::fused::MAX_REGS])
}

/// Score a block through the fused kernel ([`super::fused`]) into the output view at row `w0`.
/// Returns `false` — the block's columns then partly written and to be rewritten by the block
/// path — as soon as a tile holds an invalid cell (or an unanswered one, for a plan that is not
/// three-valued), and always in a build without a SIMD backend.
#[allow(clippy::too_many_arguments)]
pub(crate) fn fused_block<T: super::batch::Code, S: super::fused::TileSink>(
    fp: &super::fused::FusedPlan,
    codes: &[T],
    r0: usize,
    bn: usize,
    w0: usize,
    out: &mut S,
    regs: &mut Regs,
) -> bool {
    match T::bytes(codes) {
        Some(bytes) => imp::BACKEND.is_some() && imp::fused_block(fp, bytes, r0, bn, w0, out, regs),
        None => false,
    }
}

/// The portable kernel: one table lookup per cell.
#[allow(clippy::too_many_arguments)]
fn decode_block_scalar(codes: &[u8], n: usize, r0: usize, bn: usize, items: &[ByteItem], block: usize, dcol: &mut [u8], ok: &mut [u8]) {
    let ok = &mut ok[..bn];
    ok.fill(0xFF);
    let rows = &codes[r0 * n..(r0 + bn) * n];
    for (j, it) in items.iter().enumerate() {
        let col = &mut dcol[j * block..j * block + bn];
        for ((o, m), row) in col.iter_mut().zip(ok.iter_mut()).zip(rows.chunks_exact(n)) {
            let b = row[j] as usize;
            *o = it.dtab[b];
            *m &= it.oktab[b];
        }
    }
}

/// Item chunks of a row: `(first byte, first new item)` — 16-byte windows covering `0..n`; the last
/// window is moved back to end at `n` (overlapping the previous one) when `n ≥ 16`.
#[inline]
#[cfg_attr(not(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128"))), allow(dead_code))]
fn windows(n: usize) -> impl Iterator<Item = (usize, usize)> {
    let full = n / LANES;
    let tail = (n % LANES != 0 && n >= LANES).then(|| (n - LANES, full * LANES));
    (0..full.max(1)).map(|k| (k * LANES, k * LANES)).chain(tail)
}

/// The byte-lane operations both SIMD backends provide, and the tile kernel written once over them.
#[cfg(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128")))]
mod tile {
    use super::{windows, ByteItem, Regs, LANES};
    use crate::scoring::batch::Code;
    use crate::scoring::fused::{Acc, FusedPlan, Op, Program, Rel, Src, TileOut, TileSink, GROUP, GROUP_ROWS};

    pub(super) trait Lanes: Copy {
        fn load(a: &[u8; 16]) -> Self;
        fn store(self, o: &mut [u8; 16]);
        fn splat(x: u8) -> Self;
        /// Interleave the low (high) 8 bytes of `a` and `b`: `a0 b0 a1 b1 …`.
        fn unpack_lo(a: Self, b: Self) -> Self;
        fn unpack_hi(a: Self, b: Self) -> Self;
        fn sub(a: Self, b: Self) -> Self;
        fn add(a: Self, b: Self) -> Self;
        fn xor(a: Self, b: Self) -> Self;
        fn and(a: Self, b: Self) -> Self;
        fn min_u8(a: Self, b: Self) -> Self;
        fn max_u8(a: Self, b: Self) -> Self;
        fn or(a: Self, b: Self) -> Self;
        /// `0xFF` in equal lanes, `0` elsewhere.
        fn eq(a: Self, b: Self) -> Self;
    }

    /// A register's tiles as vectors (a loop: `array::map` compiled to a call per op).
    #[inline(always)]
    fn load_group<V: Lanes>(x: &[[u8; 16]; GROUP]) -> [V; GROUP] {
        let mut out = [V::splat(0); GROUP];
        for (o, r) in out.iter_mut().zip(x) {
            *o = V::load(r);
        }
        out
    }

    /// Transpose 16 × 16 bytes: `out[k]` lane `r` = `x[r]` lane `k`. Four rounds of
    /// `z[2i] = lo(y[i], y[i+8]), z[2i+1] = hi(y[i], y[i+8])` (a perfect shuffle per round).
    #[inline(always)]
    fn transpose<V: Lanes>(y: [V; 16]) -> [V; 16] {
        // Written out (not a loop over rounds) so the 16 vectors stay in registers.
        #[inline(always)]
        fn round<V: Lanes>(y: [V; 16]) -> [V; 16] {
            let [a0, a1, a2, a3, a4, a5, a6, a7, b0, b1, b2, b3, b4, b5, b6, b7] = y;
            [
                V::unpack_lo(a0, b0),
                V::unpack_hi(a0, b0),
                V::unpack_lo(a1, b1),
                V::unpack_hi(a1, b1),
                V::unpack_lo(a2, b2),
                V::unpack_hi(a2, b2),
                V::unpack_lo(a3, b3),
                V::unpack_hi(a3, b3),
                V::unpack_lo(a4, b4),
                V::unpack_hi(a4, b4),
                V::unpack_lo(a5, b5),
                V::unpack_hi(a5, b5),
                V::unpack_lo(a6, b6),
                V::unpack_hi(a6, b6),
                V::unpack_lo(a7, b7),
                V::unpack_hi(a7, b7),
            ]
        }
        round(round(round(round(y))))
    }

    #[inline(always)]
    fn row16<T: Code>(codes: &[T], at: usize) -> [u8; 16] {
        match codes.get(at..at + 16).and_then(|s| <&[T; 16]>::try_from(s).ok()) {
            // A fixed 16-element map: one unaligned vector load for byte types.
            // (A loop rather than `a.map`, which compiled to a call per row.)
            Some(a) => {
                let mut o = [0u8; 16];
                for (o, c) in o.iter_mut().zip(a) {
                    *o = c.byte();
                }
                o
            }
            // The buffer's last bytes: pad with zeros (lanes past the row are never used).
            None => {
                let mut a = [0u8; 16];
                for (o, c) in a.iter_mut().zip(codes.get(at..).unwrap_or(&[])) {
                    *o = c.byte();
                }
                a
            }
        }
    }

    /// `live` rows of `n` codes from `base` (16 bytes each, zeros past the rows), transposed:
    /// `out[k]` lane `r` is byte `k` of row `r`. One copy shared by both kernels.
    // Inlined where speed counts; one shared copy in WebAssembly, where module size counts.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    #[cfg_attr(target_arch = "wasm32", inline(never))]
    fn load_tile<V: Lanes, T: Code>(codes: &[T], base: usize, n: usize, live: usize) -> [V; 16] {
        let x: [V; 16] = match codes.get(base..base + 15 * n + LANES) {
            // A whole tile inside the buffer: 16 plain loads, written out (an array built by a
            // closure was a call per tile, and its result went through memory).
            Some(tile) if live == LANES => {
                let ld = |k: usize| V::load(&row16(tile, k * n));
                [
                    ld(0),
                    ld(1),
                    ld(2),
                    ld(3),
                    ld(4),
                    ld(5),
                    ld(6),
                    ld(7),
                    ld(8),
                    ld(9),
                    ld(10),
                    ld(11),
                    ld(12),
                    ld(13),
                    ld(14),
                    ld(15),
                ]
            }
            // The buffer's last rows, or a block's partial tile: padded loads.
            _ => std::array::from_fn(|k| if k < live { V::load(&row16(codes, base + k * n)) } else { V::splat(0) }),
        };
        transpose(x)
    }

    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    pub(super) fn decode_block<V: Lanes, T: Code>(
        codes: &[T],
        n: usize,
        r0: usize,
        bn: usize,
        items: &[ByteItem],
        block: usize,
        dcol: &mut [u8],
        ok: &mut [u8],
    ) {
        let mut g = 0;
        while g < bn {
            let live = (bn - g).min(LANES);
            let mut all_ok = V::splat(0xFF);
            for (c, first_new) in windows(n) {
                let cols = load_tile::<V, T>(codes, (r0 + g) * n + c, n, live);
                // Per-lane validity masks, reduced after the loop (no loop-carried dependency).
                let mut goods = [V::splat(0xFF); 16];
                for (l, &v) in cols.iter().enumerate() {
                    let j = c + l;
                    if j < first_new || j >= n {
                        continue;
                    }
                    let it = &items[j];
                    let out: &mut [u8; 16] = match dcol.get_mut(j * block + g..j * block + g + LANES).and_then(|s| s.try_into().ok()) {
                        Some(o) => o,
                        None => continue,
                    };
                    match &it.affine {
                        Some(a) => {
                            let d = V::sub(v, V::load(&a.lo16));
                            let good = V::eq(V::min_u8(d, V::load(&a.range16)), d);
                            let d = if a.x == 0 { d } else { V::add(V::xor(d, V::load(&a.x16)), V::load(&a.y16)) };
                            V::and(d, good).store(out);
                            goods[l] = good;
                        }
                        None => {
                            // Stored raw; decoded through the item's table below.
                            v.store(out);
                        }
                    }
                }
                for i in 0..8 {
                    goods[i] = V::and(goods[i], goods[i + 8]);
                }
                for i in 0..4 {
                    goods[i] = V::and(goods[i], goods[i + 4]);
                }
                all_ok = V::and(all_ok, V::and(V::and(goods[0], goods[1]), V::and(goods[2], goods[3])));
            }
            if let Some(o) = ok.get_mut(g..g + LANES).and_then(|s| <&mut [u8; 16]>::try_from(s).ok()) {
                all_ok.store(o);
            }
            g += LANES;
        }
        for (j, it) in items.iter().enumerate() {
            if it.affine.is_none() {
                let col = &mut dcol[j * block..j * block + bn];
                for (o, m) in col.iter_mut().zip(ok[..bn].iter_mut()) {
                    let b = *o as usize;
                    *o = it.dtab[b];
                    *m &= it.oktab[b];
                }
            }
        }
    }

    /// Combine 64 rows of a result into a register.
    #[inline(always)]
    fn combine<V: Lanes>(r: &mut [[u8; 16]; GROUP], x: [V; GROUP], acc: Acc) {
        for (r, x) in r.iter_mut().zip(x) {
            let v = match acc {
                Acc::Set => x,
                Acc::And => V::and(V::load(r), x),
                Acc::Or => V::or(V::load(r), x),
                Acc::Count => V::sub(V::load(r), x),
            };
            v.store(r);
        }
    }

    /// Whether the first `here` lanes of `m` are all `0xFF`.
    #[inline(always)]
    fn all_set<V: Lanes>(m: V, here: usize) -> bool {
        let mut b = [0u8; 16];
        m.store(&mut b);
        if here == LANES {
            u128::from_ne_bytes(b) == u128::MAX
        } else {
            b[..here].iter().all(|&x| x == 0xFF)
        }
    }

    /// Per item or scale (index `& 15`), per tile of a group: one vector.
    type Cols<V> = [[V; GROUP]; 16];

    /// One group's decoded operands. A complete group's program reads only `off`, `raw` and
    /// `sums` (the other fields may point anywhere).
    struct Operands<'a, V> {
        off: &'a Cols<V>,
        raw: &'a Cols<V>,
        /// `0xFF` where the item is answered.
        good: &'a Cols<V>,
        state: &'a Cols<V>,
        /// Per scale: the offset sum of the answered items (`lo`), the sum with every unanswered
        /// item at its largest value (`hi`), and the unanswered listings.
        sums: &'a Cols<V>,
        his: &'a Cols<V>,
        unans: &'a Cols<V>,
    }

    /// `¬a` in every tile of a group (a loop: `array::map` compiled to a call per op).
    #[inline(always)]
    fn not_group<V: Lanes>(mut m: [V; GROUP]) -> [V; GROUP] {
        let ff = V::splat(0xFF);
        m.iter_mut().for_each(|a| *a = V::xor(*a, ff));
        m
    }

    /// `a REL k` in every tile of a group (unsigned bytes).
    #[inline(always)]
    fn test_group<V: Lanes>(mut m: [V; GROUP], rel: Rel, kv: V) -> [V; GROUP] {
        match rel {
            Rel::Ge => m.iter_mut().for_each(|a| *a = V::eq(V::max_u8(*a, kv), *a)),
            Rel::Le => m.iter_mut().for_each(|a| *a = V::eq(V::min_u8(*a, kv), *a)),
            Rel::Eq => m.iter_mut().for_each(|a| *a = V::eq(*a, kv)),
        }
        m
    }

    /// Run the lane program over one group. `TRI`: the group holds rows with unanswered cells,
    /// and every register is a pair — `rt` the sure world, `rm` the possible one
    /// ([`crate::scoring::fused::tri_bits`]); otherwise only `rt` is used and item states and
    /// unanswered counts are zero.
    #[inline(always)]
    fn run_ops<V: Lanes, const TRI: bool>(prog: &Program, o: &Operands<'_, V>, rt: &mut [[[u8; 16]; GROUP]], rm: &mut [[[u8; 16]; GROUP]]) {
        let zero = V::splat(0);
        let ff = V::splat(0xFF);
        let not = |a: V| V::xor(a, ff);
        for op in &prog.ops {
            match *op {
                Op::Cmp {
                    src,
                    rel,
                    k,
                    neg,
                    un,
                    dst,
                    acc,
                } => {
                    let kv = V::splat(k);
                    if !TRI {
                        // The operand's tiles, then the test: each a straight loop over the
                        // group (the match per tile was a call per op).
                        let mut m = [zero; GROUP];
                        match src {
                            Src::Off(j) => m = o.off[usize::from(j) & 15],
                            Src::Raw(j) => m = o.raw[usize::from(j) & 15],
                            Src::Sum(s) => m = o.sums[usize::from(s) & 15],
                            Src::Reg(r) => m = load_group::<V>(&rt[usize::from(r)]),
                            Src::State(_) | Src::Unans(_) => {}
                        }
                        m = test_group(m, rel, kv);
                        if neg {
                            m.iter_mut().for_each(|a| *a = not(*a));
                        }
                        combine(&mut rt[usize::from(dst)], m, acc);
                        continue;
                    }
                    // As in the complete path, every dispatch (operand kind, relation, negation,
                    // the unanswered verdict) is decided once per op, each tile loop straight.
                    let (sure, poss) = match src {
                        // An interval: sure when the whole interval passes, possible when some of it does.
                        Src::Sum(_) | Src::Reg(_) => {
                            let (lo, hi) = match src {
                                Src::Sum(s) => (o.sums[usize::from(s) & 15], o.his[usize::from(s) & 15]),
                                Src::Reg(r) => (load_group::<V>(&rt[usize::from(r)]), load_group::<V>(&rm[usize::from(r)])),
                                _ => ([zero; GROUP], [zero; GROUP]),
                            };
                            let (s, p) = match rel {
                                Rel::Ge => (test_group(lo, Rel::Ge, kv), test_group(hi, Rel::Ge, kv)),
                                Rel::Le => (test_group(hi, Rel::Le, kv), test_group(lo, Rel::Le, kv)),
                                Rel::Eq => {
                                    let (el, eh) = (test_group(lo, Rel::Eq, kv), test_group(hi, Rel::Eq, kv));
                                    let (ll, gh) = (test_group(lo, Rel::Le, kv), test_group(hi, Rel::Ge, kv));
                                    let mut s = [zero; GROUP];
                                    let mut p = [zero; GROUP];
                                    for t in 0..GROUP {
                                        s[t] = V::and(el[t], eh[t]);
                                        p[t] = V::and(ll[t], gh[t]);
                                    }
                                    (s, p)
                                }
                            };
                            if neg {
                                (not_group(p), not_group(s))
                            } else {
                                (s, p)
                            }
                        }
                        Src::Off(j) | Src::Raw(j) => {
                            let a = match src {
                                Src::Raw(_) => o.raw[usize::from(j) & 15],
                                _ => o.off[usize::from(j) & 15],
                            };
                            let good = &o.good[usize::from(j) & 15];
                            let mut c = test_group(a, rel, kv);
                            for t in 0..GROUP {
                                c[t] = V::and(if neg { not(c[t]) } else { c[t] }, good[t]);
                            }
                            // An unanswered item's lanes take the leaf's verdict over its options.
                            let with_un = |c: [V; GROUP]| {
                                let mut x = c;
                                for t in 0..GROUP {
                                    x[t] = V::or(c[t], not(good[t]));
                                }
                                x
                            };
                            (if un & 1 != 0 { with_un(c) } else { c }, if un & 2 != 0 { with_un(c) } else { c })
                        }
                        Src::State(j) | Src::Unans(j) => {
                            let a = match src {
                                Src::State(_) => o.state[usize::from(j) & 15],
                                _ => o.unans[usize::from(j) & 15],
                            };
                            let c = test_group(a, rel, kv);
                            let c = if neg { not_group(c) } else { c };
                            (c, c)
                        }
                    };
                    combine(&mut rt[usize::from(dst)], sure, acc);
                    combine(&mut rm[usize::from(dst)], poss, acc);
                }
                Op::Const { on, dst } => {
                    let v = if on { ff } else { zero };
                    for r in &mut rt[usize::from(dst)] {
                        v.store(r);
                    }
                    if TRI {
                        for r in &mut rm[usize::from(dst)] {
                            v.store(r);
                        }
                    }
                }
                Op::Combine { a, dst, acc } => {
                    let x = load_group::<V>(&rt[usize::from(a)]);
                    combine(&mut rt[usize::from(dst)], x, acc);
                    if TRI {
                        let x = load_group::<V>(&rm[usize::from(a)]);
                        combine(&mut rm[usize::from(dst)], x, acc);
                    }
                }
                Op::Not { a, dst } => {
                    if TRI {
                        // Kleene's not: sure' = ¬possible, possible' = ¬sure.
                        let (xt, xm) = (rt[usize::from(a)], rm[usize::from(a)]);
                        for (r, v) in rt[usize::from(dst)].iter_mut().zip(xm) {
                            not(V::load(&v)).store(r);
                        }
                        for (r, v) in rm[usize::from(dst)].iter_mut().zip(xt) {
                            not(V::load(&v)).store(r);
                        }
                    } else {
                        let x = rt[usize::from(a)];
                        for (r, v) in rt[usize::from(dst)].iter_mut().zip(x) {
                            not(V::load(&v)).store(r);
                        }
                    }
                }
            }
        }
    }

    /// Tile `t`'s results into `to` (see [`run_ops`] for `TRI`).
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn tile_results<V: Lanes, const TRI: bool>(
        fp: &FusedPlan,
        prog: &Program,
        o: &Operands<'_, V>,
        rt: &[[[u8; 16]; GROUP]],
        rm: &[[[u8; 16]; GROUP]],
        t: usize,
        to: &mut TileOut,
    ) {
        let zero = V::splat(0);
        let ff = V::splat(0xFF);
        let mut any_unscored = zero;
        for (si, sc) in fp.scales.iter().enumerate() {
            let s = o.sums[si & 15][t];
            let mut b = V::splat(sc.band0);
            for &(at, d) in &sc.steps {
                let ge = V::eq(V::max_u8(s, V::splat(at)), s);
                b = V::add(b, V::and(ge, V::splat(d)));
            }
            if TRI {
                // A scale with an unanswered listing: unscored, no band (−1).
                let u = o.unans[si & 15][t];
                let unscored = V::xor(V::eq(u, zero), ff);
                b = V::or(b, unscored);
                any_unscored = V::or(any_unscored, unscored);
                u.store(&mut to.unans[si & 15]);
            }
            s.store(&mut to.sums[si & 15]);
            b.store(&mut to.bands[si & 15]);
        }
        let mut fb = zero;
        let mut fu = zero;
        for (i, &r) in prog.flags.iter().enumerate() {
            let bit = V::splat(1u8 << (i & 7));
            let sure = V::load(&rt[usize::from(r)][t]);
            fb = V::or(fb, V::and(sure, bit));
            if TRI {
                let undecided = V::and(V::load(&rm[usize::from(r)][t]), V::xor(sure, ff));
                fu = V::or(fu, V::and(undecided, bit));
            }
        }
        fb.store(&mut to.flags);
        if TRI {
            fu.store(&mut to.flags_u);
        }
        let mut vb = zero;
        for &(r, code) in &prog.validity {
            vb = V::max_u8(vb, V::and(V::load(&rt[usize::from(r)][t]), V::splat(code)));
        }
        if TRI {
            // A scale left unscored by missing data makes the row incomplete at least.
            vb = V::max_u8(vb, V::and(any_unscored, V::splat(1)));
        }
        vb.store(&mut to.validity);
        if let Some(r) = prog.screen {
            let sure = V::load(&rt[usize::from(r)][t]);
            let mut v = V::and(sure, V::splat(1));
            if TRI {
                let undecided = V::and(V::load(&rm[usize::from(r)][t]), V::xor(sure, ff));
                v = V::or(v, V::and(undecided, V::splat(2)));
            }
            v.store(&mut to.screen);
        }
    }

    /// The fused kernel over one block (see [`crate::scoring::fused`]).
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    pub(super) fn fused_block<V: Lanes, T: Code, S: TileSink>(
        fp: &FusedPlan,
        codes: &[T],
        r0: usize,
        bn: usize,
        w0: usize,
        out: &mut S,
        regs: &mut Regs,
    ) -> bool {
        let n = fp.n;
        let zero = V::splat(0);
        let ff = V::splat(0xFF);
        let (rt, rm) = regs.split_at_mut(crate::scoring::fused::MAX_REGS);
        let mut off = [[zero; GROUP]; 16];
        let mut raw = [[zero; GROUP]; 16];
        let mut sums = [[zero; GROUP]; 16];
        let mut tile_out = TileOut::new();
        // The three-valued groups' operands and the transposed partial tiles, set before use.
        let mut tri = TriCols {
            tiles: [[zero; 16]; GROUP],
            good: [[ff; GROUP]; 16],
            state: [[zero; GROUP]; 16],
            sums: [[zero; GROUP]; 16],
            his: [[zero; GROUP]; 16],
            unans: [[zero; GROUP]; 16],
        };
        let mut g = 0;
        while g < bn {
            let live = (bn - g).min(GROUP_ROWS);
            let mut partial = [false; GROUP];
            for (t, is_partial) in partial.iter_mut().enumerate() {
                let here = live.saturating_sub(t * LANES).min(LANES);
                if here == 0 {
                    break;
                }
                let cols = load_tile::<V, T>(codes, (r0 + g + t * LANES) * n, n, here);
                let mut good = ff;
                for (j, a) in fp.decode.iter().enumerate().take(16) {
                    let v = cols[j & 15];
                    let d = V::sub(v, V::load(&a.lo));
                    let gj = V::eq(V::min_u8(d, V::load(&a.range)), d);
                    let d = if a.falling { V::add(V::xor(d, V::load(&a.x)), V::load(&a.y)) } else { d };
                    off[j & 15][t] = V::and(d, gj);
                    if fp.reads_raw {
                        raw[j & 15][t] = v;
                    }
                    good = V::and(good, gj);
                }
                if !all_set(good, here) {
                    // A row with a cell that is not an option: the three-valued group below
                    // decides whether it can run here.
                    if !fp.partial {
                        return false;
                    }
                    *is_partial = true;
                    tri.tiles[t] = cols;
                }
            }
            // WebAssembly runs every group three-valued (the same columns for complete rows): one
            // copy of the program's code in the module instead of two.
            if cfg!(target_arch = "wasm32") || partial.contains(&true) {
                if !tri_group::<V, S>(fp, live, &partial, &off, &raw, &mut tri, rt, rm, w0 + g, out, &mut tile_out) {
                    return false;
                }
                g += GROUP_ROWS;
                continue;
            }
            for (si, sc) in fp.scales.iter().enumerate() {
                for t in 0..GROUP {
                    let mut s = zero;
                    for &j in &sc.items {
                        s = V::add(s, off[usize::from(j) & 15][t]);
                    }
                    sums[si & 15][t] = s;
                }
            }
            // (`good`, `state`, `his`, `unans`: not read by the complete program.)
            let o = Operands {
                off: &off,
                raw: &raw,
                good: &sums,
                state: &sums,
                sums: &sums,
                his: &sums,
                unans: &sums,
            };
            run_ops::<V, false>(&fp.complete, &o, rt, rm);
            for t in 0..GROUP {
                let here = live.saturating_sub(t * LANES).min(LANES);
                if here == 0 {
                    break;
                }
                tile_results::<V, false>(fp, &fp.complete, &o, rt, rm, t, &mut tile_out);
                out.write_tile::<false>(fp, &tile_out, here, w0 + g + t * LANES);
            }
            g += GROUP_ROWS;
        }
        true
    }

    /// A three-valued group's operands beyond the complete program's, and the group's partial
    /// tiles as loaded (transposed).
    struct TriCols<V> {
        tiles: [[V; 16]; GROUP],
        good: Cols<V>,
        state: Cols<V>,
        sums: Cols<V>,
        his: Cols<V>,
        unans: Cols<V>,
    }

    /// One group of `live` rows three-valued (some tile holds a row with an unanswered cell, or
    /// any group in WebAssembly), written at output row `w`. `off` and `raw` are the group's
    /// decoded tiles, `tri.tiles[t]` the transposed tile `t` where `partial[t]`. `false` when a
    /// cell is neither an option nor missing nor refused (or the plan has no three-valued program).
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn tri_group<V: Lanes, S: TileSink>(
        fp: &FusedPlan,
        live: usize,
        partial: &[bool; GROUP],
        off: &Cols<V>,
        raw: &Cols<V>,
        tri: &mut TriCols<V>,
        rt: &mut [[[u8; 16]; GROUP]],
        rm: &mut [[[u8; 16]; GROUP]],
        w: usize,
        out: &mut S,
        tile_out: &mut TileOut,
    ) -> bool {
        let Some(prog) = &fp.tri else { return false };
        let n = fp.n;
        let zero = V::splat(0);
        let ff = V::splat(0xFF);
        let not = |a: V| V::xor(a, ff);
        let missing = V::splat(fp.missing);
        let refused = fp.refused.map(V::splat);
        let TriCols {
            tiles,
            good,
            state,
            sums,
            his,
            unans,
        } = tri;
        for (t, &p) in partial.iter().enumerate() {
            if !p {
                // A complete tile: every item answered.
                for (gd, st) in good.iter_mut().zip(state.iter_mut()).take(n) {
                    gd[t] = ff;
                    st[t] = zero;
                }
                continue;
            }
            let here = live.saturating_sub(t * LANES).min(LANES);
            let cols = &tiles[t];
            let mut known = ff;
            for (j, (&v, a)) in cols.iter().zip(&fp.decode).enumerate() {
                let d = V::sub(v, V::load(&a.lo));
                let gj = V::eq(V::min_u8(d, V::load(&a.range)), d);
                let m = V::and(V::eq(v, missing), not(gj));
                let r = match refused {
                    Some(rv) => V::and(V::eq(v, rv), not(gj)),
                    None => zero,
                };
                known = V::and(known, V::or(gj, V::or(m, r)));
                good[j][t] = gj;
                state[j][t] = V::or(
                    V::and(m, V::splat(crate::scoring::fused::STATE_MISSING)),
                    V::and(r, V::splat(crate::scoring::fused::STATE_REFUSED)),
                );
            }
            // An invalid code: the block path, whose row path reports it.
            if !all_set(known, here) {
                return false;
            }
        }
        for (si, sc) in fp.scales.iter().enumerate() {
            for t in 0..GROUP {
                if !partial[t] {
                    // A complete tile: the interval is the sum itself, nothing unanswered.
                    let mut s = zero;
                    for &j in &sc.items {
                        s = V::add(s, off[usize::from(j) & 15][t]);
                    }
                    sums[si & 15][t] = s;
                    his[si & 15][t] = s;
                    unans[si & 15][t] = zero;
                    continue;
                }
                let (mut s, mut h, mut c) = (zero, zero, zero);
                for &j in &sc.items {
                    let j = usize::from(j);
                    let un = not(good[j & 15][t]);
                    s = V::add(s, off[j & 15][t]);
                    h = V::add(h, V::and(un, V::splat(fp.hi_un[j])));
                    c = V::sub(c, un);
                }
                sums[si & 15][t] = s;
                his[si & 15][t] = V::add(s, h);
                unans[si & 15][t] = c;
            }
        }
        let o = Operands {
            off,
            raw,
            good,
            state,
            sums,
            his,
            unans,
        };
        run_ops::<V, true>(prog, &o, rt, rm);
        for t in 0..GROUP {
            let here = live.saturating_sub(t * LANES).min(LANES);
            if here == 0 {
                break;
            }
            tile_results::<V, true>(fp, prog, &o, rt, rm, t, tile_out);
            out.write_tile::<true>(fp, tile_out, here, w + t * LANES);
        }
        true
    }

    #[cfg(test)]
    pub(super) fn transpose_for_test<V: Lanes>(x: [[u8; 16]; 16]) -> [[u8; 16]; 16] {
        let t = transpose(x.map(|r| V::load(&r)));
        let mut out = [[0u8; 16]; 16];
        for (o, v) in out.iter_mut().zip(t) {
            v.store(o);
        }
        out
    }
}

#[cfg(target_arch = "x86_64")]
mod imp {
    use super::tile::{self, Lanes};
    use super::{ByteItem, Regs};
    use crate::scoring::fused::FusedPlan;
    use crate::scoring::fused::TileSink;
    use core::arch::x86_64::*;

    pub(super) const BACKEND: Option<&str> = Some("sse2");

    #[derive(Clone, Copy)]
    pub(super) struct Sse2(__m128i);

    // SAFETY (every block below): SSE2 is part of the x86_64 baseline, so these intrinsics are
    // always available; the arithmetic ones take no pointers (the `unsafe` is only needed on
    // toolchains before 1.87). `load`/`store` go through references to exactly 16 bytes, and the
    // unaligned forms have no alignment requirement.
    impl Lanes for Sse2 {
        #[inline(always)]
        fn load(a: &[u8; 16]) -> Self {
            // SAFETY: `a` is 16 readable bytes; `loadu` needs no alignment.
            Sse2(unsafe { _mm_loadu_si128(a.as_ptr().cast()) })
        }
        #[inline(always)]
        fn store(self, o: &mut [u8; 16]) {
            // SAFETY: `o` is 16 writable bytes; `storeu` needs no alignment.
            unsafe { _mm_storeu_si128(o.as_mut_ptr().cast(), self.0) }
        }
        #[inline(always)]
        #[allow(unused_unsafe)]
        fn splat(x: u8) -> Self {
            // SAFETY: baseline SSE2, no pointers.
            Sse2(unsafe { _mm_set1_epi8(x as i8) })
        }
        #[inline(always)]
        #[allow(unused_unsafe)]
        fn unpack_lo(a: Self, b: Self) -> Self {
            // SAFETY: baseline SSE2, no pointers.
            Sse2(unsafe { _mm_unpacklo_epi8(a.0, b.0) })
        }
        #[inline(always)]
        #[allow(unused_unsafe)]
        fn unpack_hi(a: Self, b: Self) -> Self {
            // SAFETY: baseline SSE2, no pointers.
            Sse2(unsafe { _mm_unpackhi_epi8(a.0, b.0) })
        }
        #[inline(always)]
        #[allow(unused_unsafe)]
        fn sub(a: Self, b: Self) -> Self {
            // SAFETY: baseline SSE2, no pointers.
            Sse2(unsafe { _mm_sub_epi8(a.0, b.0) })
        }
        #[inline(always)]
        #[allow(unused_unsafe)]
        fn add(a: Self, b: Self) -> Self {
            // SAFETY: baseline SSE2, no pointers.
            Sse2(unsafe { _mm_add_epi8(a.0, b.0) })
        }
        #[inline(always)]
        #[allow(unused_unsafe)]
        fn xor(a: Self, b: Self) -> Self {
            // SAFETY: baseline SSE2, no pointers.
            Sse2(unsafe { _mm_xor_si128(a.0, b.0) })
        }
        #[inline(always)]
        #[allow(unused_unsafe)]
        fn and(a: Self, b: Self) -> Self {
            // SAFETY: baseline SSE2, no pointers.
            Sse2(unsafe { _mm_and_si128(a.0, b.0) })
        }
        #[inline(always)]
        #[allow(unused_unsafe)]
        fn min_u8(a: Self, b: Self) -> Self {
            // SAFETY: baseline SSE2, no pointers.
            Sse2(unsafe { _mm_min_epu8(a.0, b.0) })
        }
        #[inline(always)]
        #[allow(unused_unsafe)]
        fn max_u8(a: Self, b: Self) -> Self {
            // SAFETY: baseline SSE2, no pointers.
            Sse2(unsafe { _mm_max_epu8(a.0, b.0) })
        }
        #[inline(always)]
        #[allow(unused_unsafe)]
        fn or(a: Self, b: Self) -> Self {
            // SAFETY: baseline SSE2, no pointers.
            Sse2(unsafe { _mm_or_si128(a.0, b.0) })
        }
        #[inline(always)]
        #[allow(unused_unsafe)]
        fn eq(a: Self, b: Self) -> Self {
            // SAFETY: baseline SSE2, no pointers.
            Sse2(unsafe { _mm_cmpeq_epi8(a.0, b.0) })
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn decode_block(codes: &[u8], n: usize, r0: usize, bn: usize, items: &[ByteItem], block: usize, dcol: &mut [u8], ok: &mut [u8]) {
        tile::decode_block::<Sse2, u8>(codes, n, r0, bn, items, block, dcol, ok)
    }

    pub(super) fn fused_block<S: TileSink>(fp: &FusedPlan, codes: &[u8], r0: usize, bn: usize, w0: usize, out: &mut S, regs: &mut Regs) -> bool {
        tile::fused_block::<Sse2, u8, S>(fp, codes, r0, bn, w0, out, regs)
    }

    #[cfg(test)]
    pub(super) fn transpose_for_test(x: [[u8; 16]; 16]) -> [[u8; 16]; 16] {
        tile::transpose_for_test::<Sse2>(x)
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod imp {
    use super::tile::{self, Lanes};
    use super::{ByteItem, Regs};
    use crate::scoring::fused::FusedPlan;
    use crate::scoring::fused::TileSink;
    use core::arch::wasm32::*;

    pub(super) const BACKEND: Option<&str> = Some("simd128");

    #[derive(Clone, Copy)]
    pub(super) struct Simd128(v128);

    // The simd128 intrinsics are safe functions when the crate is built with the feature (which the
    // `cfg` above requires); only the pointer-taking load and store are `unsafe`.
    impl Lanes for Simd128 {
        #[inline(always)]
        fn load(a: &[u8; 16]) -> Self {
            // SAFETY: `a` is 16 readable bytes; `v128_load` needs no alignment.
            Simd128(unsafe { v128_load(a.as_ptr().cast()) })
        }
        #[inline(always)]
        fn store(self, o: &mut [u8; 16]) {
            // SAFETY: `o` is 16 writable bytes; `v128_store` needs no alignment.
            unsafe { v128_store(o.as_mut_ptr().cast(), self.0) }
        }
        #[inline(always)]
        fn splat(x: u8) -> Self {
            Simd128(u8x16_splat(x))
        }
        #[inline(always)]
        fn unpack_lo(a: Self, b: Self) -> Self {
            Simd128(u8x16_shuffle::<0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23>(a.0, b.0))
        }
        #[inline(always)]
        fn unpack_hi(a: Self, b: Self) -> Self {
            Simd128(u8x16_shuffle::<8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31>(a.0, b.0))
        }
        #[inline(always)]
        fn sub(a: Self, b: Self) -> Self {
            Simd128(u8x16_sub(a.0, b.0))
        }
        #[inline(always)]
        fn add(a: Self, b: Self) -> Self {
            Simd128(u8x16_add(a.0, b.0))
        }
        #[inline(always)]
        fn xor(a: Self, b: Self) -> Self {
            Simd128(v128_xor(a.0, b.0))
        }
        #[inline(always)]
        fn and(a: Self, b: Self) -> Self {
            Simd128(v128_and(a.0, b.0))
        }
        #[inline(always)]
        fn min_u8(a: Self, b: Self) -> Self {
            Simd128(u8x16_min(a.0, b.0))
        }
        #[inline(always)]
        fn max_u8(a: Self, b: Self) -> Self {
            Simd128(u8x16_max(a.0, b.0))
        }
        #[inline(always)]
        fn or(a: Self, b: Self) -> Self {
            Simd128(v128_or(a.0, b.0))
        }
        #[inline(always)]
        fn eq(a: Self, b: Self) -> Self {
            Simd128(u8x16_eq(a.0, b.0))
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn decode_block(codes: &[u8], n: usize, r0: usize, bn: usize, items: &[ByteItem], block: usize, dcol: &mut [u8], ok: &mut [u8]) {
        tile::decode_block::<Simd128, u8>(codes, n, r0, bn, items, block, dcol, ok)
    }

    pub(super) fn fused_block<S: TileSink>(fp: &FusedPlan, codes: &[u8], r0: usize, bn: usize, w0: usize, out: &mut S, regs: &mut Regs) -> bool {
        tile::fused_block::<Simd128, u8, S>(fp, codes, r0, bn, w0, out, regs)
    }

    #[cfg(test)]
    pub(super) fn transpose_for_test(x: [[u8; 16]; 16]) -> [[u8; 16]; 16] {
        tile::transpose_for_test::<Simd128>(x)
    }
}

#[cfg(not(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128"))))]
mod imp {
    use super::{ByteItem, Regs};
    use crate::scoring::fused::FusedPlan;
    use crate::scoring::fused::TileSink;

    pub(super) const BACKEND: Option<&str> = None;

    /// Never called: `BatchKernel::uses_simd` is false without a backend.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn decode_block(codes: &[u8], n: usize, r0: usize, bn: usize, items: &[ByteItem], block: usize, dcol: &mut [u8], ok: &mut [u8]) {
        super::decode_block_scalar(codes, n, r0, bn, items, block, dcol, ok)
    }

    /// Never called with effect: without a backend the fused plan is never built.
    pub(super) fn fused_block<S: TileSink>(_: &FusedPlan, _: &[u8], _: usize, _: usize, _: usize, _: &mut S, _: &mut Regs) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128")))]
    #[test]
    fn transpose_is_a_transpose() {
        let mut x = [[0u8; 16]; 16];
        for (r, row) in x.iter_mut().enumerate() {
            for (c, v) in row.iter_mut().enumerate() {
                *v = (r * 16 + c) as u8;
            }
        }
        let t = imp::transpose_for_test(x);
        for r in 0..16 {
            for c in 0..16 {
                assert_eq!(t[c][r], x[r][c]);
            }
        }
    }

    #[test]
    #[allow(clippy::needless_range_loop)]
    fn windows_cover_every_item_once() {
        for n in 1..300 {
            let mut seen = vec![0u32; n];
            for (c, first_new) in windows(n) {
                for j in c..c + LANES {
                    if j >= first_new && j < n {
                        seen[j] += 1;
                    }
                }
            }
            assert!(seen.iter().all(|&s| s == 1), "n = {n}");
        }
    }

    /// The affine form the SIMD kernel uses equals the table the scalar kernel uses, for every byte.
    #[test]
    fn affine_form_equals_the_tables() {
        let mut shapes: Vec<[i16; 256]> = Vec::new();
        for lo in [0usize, 1, 5, 120] {
            for len in [1usize, 2, 4, 8] {
                for falling in [false, true] {
                    for vbase in [-3i16, 0, 7] {
                        let mut t = [NOT_AN_OPTION; 256];
                        for k in 0..len {
                            t[lo + k] = if falling { vbase + (len - 1 - k) as i16 } else { vbase + k as i16 };
                        }
                        shapes.push(t);
                    }
                }
            }
        }
        let mut gap = [NOT_AN_OPTION; 256];
        gap[0] = 0;
        gap[2] = 1;
        shapes.push(gap);
        let mut affine_seen = 0;
        for t in &shapes {
            let it = ByteItem::new(t).unwrap();
            let Some(a) = it.affine else { continue };
            affine_seen += 1;
            for b in 0..=255u8 {
                let d = b.wrapping_sub(a.lo);
                let good = d.min(a.range) == d;
                let v = if good { (d ^ a.x).wrapping_add(a.y) } else { 0 };
                assert_eq!(v, it.dtab[b as usize], "byte {b}");
                assert_eq!(if good { 0xFF } else { 0 }, it.oktab[b as usize], "byte {b}");
            }
        }
        assert_eq!(affine_seen, shapes.len() - 1, "every run with ±1 steps is affine; the gapped item is not");
    }
}
