;; WebAssembly SIMD loops that run on tfjs-backend-wasm's own heap: the
;; module imports the backend's memory, so elementwise kernels work on
;; tensors where they live. simd.ts instantiates it; `deno task build:wasm`
;; compiles this file into simd_wasm.ts (rerun it after any edit here).
;;
;; Why: the JavaScript loops over heap views that the other kernels use run
;; at 1.5–12 ns per element (Adam's Math.fround chain is the slowest);
;; 4-lane f32x4/i32x4 loops take ~0.3–0.7 ns.
;;
;; Exactness: every loop matches its JavaScript twin bit for bit
;; (tests/kernels_test.ts checks both against tfjs). f32x4 and f64x2
;; add/sub/mul/div/sqrt are single IEEE operations (there is no fused
;; multiply-add in wasm SIMD), the float64 loops widen and narrow exactly
;; like Float64Array arithmetic followed by a Float32Array store, and the
;; integer tricks on float bits are exact. So keep each expression's
;; operation order as it is: it is the twin's order.
;;
;; Conventions: pointers and lengths are byte offsets into the heap. The
;; f32x4 loops take a byte count that is a multiple of 16 (the caller does
;; the last < 4 elements in JavaScript); the f64x2 loops do two float32
;; channels per step, so C must be even. Whole-vector loads and stores say
;; align=4, all that a float32 tensor's offset promises (a hint only: wasm
;; is correct at any alignment). Every loop has the form
;;   block $done loop $next (br_if $done (i >= end)) body … (br $next)
;; so an empty range does nothing.

(module
  (import "env" "memory" (memory 0))

  ;; Adam, with tfjs' operation order (see adam.ts), over `bytes` of
  ;; val/m/v/g, into outVal/outM/outV.
  (func (export "adam")
    (param $val i32) (param $m i32) (param $v i32) (param $g i32)
    (param $outVal i32) (param $outM i32) (param $outV i32) (param $bytes i32)
    (param $beta1 f32) (param $oneMinusBeta1 f32)
    (param $beta2 f32) (param $oneMinusBeta2 f32)
    (param $biasFix1 f32) (param $biasFix2 f32) ;; 1−β₁ᵗ, 1−β₂ᵗ
    (param $epsilon f32) (param $negLr f32) ;; ε, −lr
    ;; The scalars, splatted once to four lanes.
    (local $beta1x4 v128) (local $oneMinusBeta1x4 v128)
    (local $beta2x4 v128) (local $oneMinusBeta2x4 v128)
    (local $biasFix1x4 v128) (local $biasFix2x4 v128)
    (local $epsilonx4 v128) (local $negLrx4 v128)
    (local $gi v128) (local $m1 v128) (local $v1 v128)
    (local $i i32)
    (local.set $beta1x4 (f32x4.splat (local.get $beta1)))
    (local.set $oneMinusBeta1x4 (f32x4.splat (local.get $oneMinusBeta1)))
    (local.set $beta2x4 (f32x4.splat (local.get $beta2)))
    (local.set $oneMinusBeta2x4 (f32x4.splat (local.get $oneMinusBeta2)))
    (local.set $biasFix1x4 (f32x4.splat (local.get $biasFix1)))
    (local.set $biasFix2x4 (f32x4.splat (local.get $biasFix2)))
    (local.set $epsilonx4 (f32x4.splat (local.get $epsilon)))
    (local.set $negLrx4 (f32x4.splat (local.get $negLr)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
        (local.set $gi
          (v128.load align=4 (i32.add (local.get $g) (local.get $i))))
        ;; m1 = m·β₁ + g·(1−β₁) → outM
        (local.set $m1
          (f32x4.add
            (f32x4.mul
              (v128.load align=4 (i32.add (local.get $m) (local.get $i)))
              (local.get $beta1x4))
            (f32x4.mul (local.get $gi) (local.get $oneMinusBeta1x4))))
        (v128.store align=4
          (i32.add (local.get $outM) (local.get $i))
          (local.get $m1))
        ;; v1 = v·β₂ + (g·g)·(1−β₂) → outV
        (local.set $v1
          (f32x4.add
            (f32x4.mul
              (v128.load align=4 (i32.add (local.get $v) (local.get $i)))
              (local.get $beta2x4))
            (f32x4.mul
              (f32x4.mul (local.get $gi) (local.get $gi))
              (local.get $oneMinusBeta2x4))))
        (v128.store align=4
          (i32.add (local.get $outV) (local.get $i))
          (local.get $v1))
        ;; outVal = ((m1/(1−β₁ᵗ)) / (sqrt(v1/(1−β₂ᵗ)) + ε))·(−lr) + val
        (v128.store align=4
          (i32.add (local.get $outVal) (local.get $i))
          (f32x4.add
            (f32x4.mul
              (f32x4.div
                (f32x4.div (local.get $m1) (local.get $biasFix1x4))
                (f32x4.add
                  (f32x4.sqrt
                    (f32x4.div (local.get $v1) (local.get $biasFix2x4)))
                  (local.get $epsilonx4)))
              (local.get $negLrx4))
            (v128.load align=4 (i32.add (local.get $val) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next))))

  ;; Relu gradient by bit mask, as grad_math.ts' reluGrad: out = dy where
  ;; x's bits are a positive int (x > 0 and not NaN), else +0. Returns
  ;; non-zero when some x is NaN or some dy non-finite: those need
  ;; dy · NaN or Inf · 0, so the caller must then use the float loop.
  (func (export "reluGrad")
    (param $x i32) (param $dy i32) (param $out i32) (param $bytes i32)
    (result i32)
    (local $i i32)
    (local $xi v128) (local $dyi v128)
    (local $special v128) ;; a lane goes negative on a special value
    (local $absMask v128) (local $infBits v128) (local $maxFiniteBits v128)
    (local.set $absMask (i32x4.splat (i32.const 0x7fffffff)))
    (local.set $infBits (i32x4.splat (i32.const 0x7f800000)))
    (local.set $maxFiniteBits (i32x4.splat (i32.const 0x7f7fffff)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
        (local.set $xi
          (v128.load align=4 (i32.add (local.get $x) (local.get $i))))
        (local.set $dyi
          (v128.load align=4 (i32.add (local.get $dy) (local.get $i))))
        ;; out = dy & (x > 0 as int)
        (v128.store align=4
          (i32.add (local.get $out) (local.get $i))
          (v128.and
            (local.get $dyi)
            (i32x4.gt_s (local.get $xi) (i32x4.splat (i32.const 0)))))
        ;; special |= (+Inf − |x|) | (maxFinite − |dy|): negative on NaN x
        ;; or non-finite dy.
        (local.set $special
          (v128.or
            (local.get $special)
            (v128.or
              (i32x4.sub
                (local.get $infBits)
                (v128.and (local.get $xi) (local.get $absMask)))
              (i32x4.sub
                (local.get $maxFiniteBits)
                (v128.and (local.get $dyi) (local.get $absMask))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next)))
    (i32x4.bitmask (local.get $special)))

  ;; Square gradient: out = dy · (x · 2), tfjs' order.
  (func (export "squareGrad")
    (param $x i32) (param $dy i32) (param $out i32) (param $bytes i32)
    (local $i i32)
    (local $two v128)
    (local.set $two (f32x4.splat (f32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
        (v128.store align=4
          (i32.add (local.get $out) (local.get $i))
          (f32x4.mul
            (v128.load align=4 (i32.add (local.get $dy) (local.get $i)))
            (f32x4.mul
              (v128.load align=4 (i32.add (local.get $x) (local.get $i)))
              (local.get $two))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next))))

  ;; Batch norm over the last axis, as grad_math.ts' batchNormLastAxis:
  ;; out = float32(float64(x) · a[c] + b[c]), computed in float64 like the
  ;; twin's Float64Array arithmetic, two channels per step. `ab` holds
  ;; float64 a[0..C) then b[0..C); rowBytes = 4C (so a float64 channel
  ;; offset is j + j, and b starts 2·rowBytes after a).
  (func (export "batchNorm")
    (param $x i32) (param $out i32) (param $ab i32)
    (param $rowBytes i32) (param $bytes i32)
    (local $r i32) ;; the row's byte offset in x and out
    (local $j i32) ;; the channel's byte offset in the row
    (local $b i32) ;; address of b[0]
    (local.set $b
      (i32.add
        (local.get $ab)
        (i32.add (local.get $rowBytes) (local.get $rowBytes))))
    (block $done
      (loop $nextRow
        (br_if $done (i32.ge_u (local.get $r) (local.get $bytes)))
        (local.set $j (i32.const 0))
        (block $rowDone
          (loop $next
            (br_if $rowDone (i32.ge_u (local.get $j) (local.get $rowBytes)))
            ;; Two float32 in, widened; two float32 out, narrowed.
            (v128.store64_lane 0
              (i32.add (i32.add (local.get $out) (local.get $r)) (local.get $j))
              (f32x4.demote_f64x2_zero
                (f64x2.add
                  (f64x2.mul
                    (f64x2.promote_low_f32x4
                      (v128.load64_zero
                        (i32.add
                          (i32.add (local.get $x) (local.get $r))
                          (local.get $j))))
                    (v128.load align=4
                      (i32.add
                        (local.get $ab)
                        (i32.add (local.get $j) (local.get $j)))))
                  (v128.load align=4
                    (i32.add
                      (local.get $b)
                      (i32.add (local.get $j) (local.get $j)))))))
            (local.set $j (i32.add (local.get $j) (i32.const 8)))
            (br $next)))
        (local.set $r (i32.add (local.get $r) (local.get $rowBytes)))
        (br $nextRow))))

  ;; The two-row main loop of grad_math.ts' batchNormGrad over `bytes` of
  ;; x/dy/dx (whole row pairs: rows x₀ and x₁ = x₀ + rowBytes), two
  ;; channels per step. `scratch` holds float64 m[C], k[C], s1[C], s2[C]
  ;; (array n at byte 2n·rowBytes, channel j at j + j); s1 and s2 are
  ;; accumulated, m and k read.
  (func (export "batchNormGrad")
    (param $x i32) (param $dy i32) (param $dx i32) (param $scratch i32)
    (param $rowBytes i32) (param $bytes i32)
    (local $i i32) ;; the row pair's byte offset in x, dy and dx
    (local $j i32) ;; the channel's byte offset in a float32 row
    (local $j2 i32) ;; j + j: the channel's byte offset in a float64 array
    (local $x0 i32) ;; address of x₀[j]
    (local $dy0 i32) ;; address of dy₀[j]
    (local $d v128) (local $e v128) ;; float64 dy₀[j..j+2), dy₁[j..j+2)
    (local $mc v128) ;; float64 m[j..j+2)
    (block $done
      (loop $nextPair
        (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
        (local.set $j (i32.const 0))
        (block $pairDone
          (loop $next
            (br_if $pairDone (i32.ge_u (local.get $j) (local.get $rowBytes)))
            (local.set $j2 (i32.add (local.get $j) (local.get $j)))
            (local.set $x0
              (i32.add (i32.add (local.get $x) (local.get $i)) (local.get $j)))
            (local.set $dy0
              (i32.add (i32.add (local.get $dy) (local.get $i)) (local.get $j)))
            (local.set $d
              (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $dy0))))
            (local.set $e
              (f64x2.promote_low_f32x4
                (v128.load64_zero
                  (i32.add (local.get $dy0) (local.get $rowBytes)))))
            (local.set $mc
              (v128.load align=4
                (i32.add (local.get $scratch) (local.get $j2))))
            ;; s1 += d + e
            (v128.store align=4
              (i32.add
                (i32.add (local.get $scratch) (local.get $j2))
                (i32.mul (local.get $rowBytes) (i32.const 4)))
              (f64x2.add
                (v128.load align=4
                  (i32.add
                    (i32.add (local.get $scratch) (local.get $j2))
                    (i32.mul (local.get $rowBytes) (i32.const 4))))
                (f64x2.add (local.get $d) (local.get $e))))
            ;; s2 += d·(x₀ − mc) + e·(x₁ − mc)
            (v128.store align=4
              (i32.add
                (i32.add (local.get $scratch) (local.get $j2))
                (i32.mul (local.get $rowBytes) (i32.const 6)))
              (f64x2.add
                (v128.load align=4
                  (i32.add
                    (i32.add (local.get $scratch) (local.get $j2))
                    (i32.mul (local.get $rowBytes) (i32.const 6))))
                (f64x2.add
                  (f64x2.mul
                    (local.get $d)
                    (f64x2.sub
                      (f64x2.promote_low_f32x4
                        (v128.load64_zero (local.get $x0)))
                      (local.get $mc)))
                  (f64x2.mul
                    (local.get $e)
                    (f64x2.sub
                      (f64x2.promote_low_f32x4
                        (v128.load64_zero
                          (i32.add (local.get $x0) (local.get $rowBytes))))
                      (local.get $mc))))))
            ;; dx₀ = d·k, dx₁ = e·k (float64 products, rounded to float32)
            (v128.store64_lane 0
              (i32.add (i32.add (local.get $dx) (local.get $i)) (local.get $j))
              (f32x4.demote_f64x2_zero
                (f64x2.mul
                  (local.get $d)
                  (v128.load align=4
                    (i32.add
                      (i32.add (local.get $scratch) (local.get $j2))
                      (i32.mul (local.get $rowBytes) (i32.const 2)))))))
            (v128.store64_lane 0
              (i32.add
                (i32.add (i32.add (local.get $dx) (local.get $i)) (local.get $j))
                (local.get $rowBytes))
              (f32x4.demote_f64x2_zero
                (f64x2.mul
                  (local.get $e)
                  (v128.load align=4
                    (i32.add
                      (i32.add (local.get $scratch) (local.get $j2))
                      (i32.mul (local.get $rowBytes) (i32.const 2)))))))
            (local.set $j (i32.add (local.get $j) (i32.const 8)))
            (br $next)))
        (local.set $i
          (i32.add
            (local.get $i)
            (i32.add (local.get $rowBytes) (local.get $rowBytes))))
        (br $nextPair))))

  ;; The four-row loop of reduce.ts' sumRows over `bytes` (whole groups of
  ;; four rows), two columns per step, into float64 `acc`:
  ;; acc += (x₀ + x₁) + (x₂ + x₃), the twin's pairing.
  (func (export "sumRows")
    (param $x i32) (param $acc i32) (param $rowBytes i32) (param $bytes i32)
    (local $r i32) ;; the group's byte offset in x
    (local $j i32) ;; the column's byte offset in a row
    (local $x0 i32) ;; address of x₀[j]
    (block $done
      (loop $nextGroup
        (br_if $done (i32.ge_u (local.get $r) (local.get $bytes)))
        (local.set $j (i32.const 0))
        (block $groupDone
          (loop $next
            (br_if $groupDone (i32.ge_u (local.get $j) (local.get $rowBytes)))
            (local.set $x0
              (i32.add (i32.add (local.get $x) (local.get $r)) (local.get $j)))
            (v128.store align=4
              (i32.add (local.get $acc) (i32.add (local.get $j) (local.get $j)))
              (f64x2.add
                (v128.load align=4
                  (i32.add
                    (local.get $acc)
                    (i32.add (local.get $j) (local.get $j))))
                (f64x2.add
                  (f64x2.add
                    (f64x2.promote_low_f32x4
                      (v128.load64_zero (local.get $x0)))
                    (f64x2.promote_low_f32x4
                      (v128.load64_zero
                        (i32.add
                          (local.get $x0)
                          (i32.mul (local.get $rowBytes) (i32.const 1))))))
                  (f64x2.add
                    (f64x2.promote_low_f32x4
                      (v128.load64_zero
                        (i32.add
                          (local.get $x0)
                          (i32.mul (local.get $rowBytes) (i32.const 2)))))
                    (f64x2.promote_low_f32x4
                      (v128.load64_zero
                        (i32.add
                          (local.get $x0)
                          (i32.mul (local.get $rowBytes) (i32.const 3)))))))))
            (local.set $j (i32.add (local.get $j) (i32.const 8)))
            (br $next)))
        (local.set $r
          (i32.add
            (local.get $r)
            (i32.mul (local.get $rowBytes) (i32.const 4))))
        (br $nextGroup))))

  ;; One output row of conv.ts' maxPoolGrad2x2 (C a multiple of 4). Each
  ;; output's gradient goes to the first of its 2×2 window's elements
  ;; (a, b = a + C, c = a + row, d = c + C) that equals the maximum, as
  ;; the twin and tfjs do; the others get +0. Comparisons are on float
  ;; bits with −0 turned into +0 ("zn" below: bits & ((|bits| | −|bits|)
  ;; >> 31)), so ±0 match each other and NaN matches nothing. Returns
  ;; non-zero when some window has no element equal to its output or a NaN
  ;; maximum: the caller then uses the general loop.
  (func (export "maxPoolGrad2x2")
    (param $x i32) ;; the window row's start in x
    (param $y i32) ;; the output row's start in y
    (param $dy i32) ;; the output row's start in dy
    (param $dx i32) ;; the window row's start in dx
    (param $rowBytes i32) ;; one input row: W·C·4
    (param $cBytes i32) ;; one pixel: C·4
    (param $outBytes i32) ;; one output row: OW·C·4
    (result i32)
    (local $q i32) ;; the window's output offset
    (local $p i32) ;; the window's input offset, 2q
    (local $k i32) ;; the channel offset
    (local $xa i32) (local $dxa i32) ;; addresses of x[a] and dx[a]
    (local $bits v128) ;; zn's input
    ;; -1 lanes where a, b, c, d is the first element equal to the max
    (local $ea v128) (local $eb v128) (local $ec v128) (local $ed v128)
    (local $bad v128) ;; a lane goes negative on an unmatched or NaN max
    ;; dy; also zn's scratch |bits| (dy is loaded after the last zn)
    (local $grad v128)
    (local $absMask v128) (local $infBits v128)
    (local $max v128) ;; zn(y)
    (local.set $absMask (i32x4.splat (i32.const 0x7fffffff)))
    (local.set $infBits (i32x4.splat (i32.const 0x7f800000)))
    (block $done
      (loop $nextWindow
        (br_if $done (i32.ge_u (local.get $q) (local.get $outBytes)))
        (local.set $k (i32.const 0))
        (block $windowDone
          (loop $next
            (br_if $windowDone (i32.ge_u (local.get $k) (local.get $cBytes)))
            (local.set $xa
              (i32.add (i32.add (local.get $x) (local.get $p)) (local.get $k)))
            (local.set $dxa
              (i32.add (i32.add (local.get $dx) (local.get $p)) (local.get $k)))
            ;; max = zn(y)
            (local.set $bits
              (v128.load align=4
                (i32.add (i32.add (local.get $y) (local.get $q)) (local.get $k))))
            (local.get $bits)
            (local.set $grad (v128.and (local.get $bits) (local.get $absMask)))
            (v128.and
              (i32x4.shr_s
                (v128.or (local.get $grad) (i32x4.neg (local.get $grad)))
                (i32.const 31)))
            (local.set $max)
            ;; ea = zn(x[a]) == max
            (local.set $bits (v128.load align=4 (local.get $xa)))
            (local.get $bits)
            (local.set $grad (v128.and (local.get $bits) (local.get $absMask)))
            (v128.and
              (i32x4.shr_s
                (v128.or (local.get $grad) (i32x4.neg (local.get $grad)))
                (i32.const 31)))
            (local.set $ea (i32x4.eq (local.get $max)))
            ;; eb = zn(x[b]) == max, and not ea
            (local.set $bits
              (v128.load align=4 (i32.add (local.get $xa) (local.get $cBytes))))
            (local.get $bits)
            (local.set $grad (v128.and (local.get $bits) (local.get $absMask)))
            (v128.and
              (i32x4.shr_s
                (v128.or (local.get $grad) (i32x4.neg (local.get $grad)))
                (i32.const 31)))
            (local.set $eb (i32x4.eq (local.get $max)))
            (local.set $eb (v128.andnot (local.get $eb) (local.get $ea)))
            ;; ec = zn(x[c]) == max, and not (ea | eb)
            (local.set $bits
              (v128.load align=4 (i32.add (local.get $xa) (local.get $rowBytes))))
            (local.get $bits)
            (local.set $grad (v128.and (local.get $bits) (local.get $absMask)))
            (v128.and
              (i32x4.shr_s
                (v128.or (local.get $grad) (i32x4.neg (local.get $grad)))
                (i32.const 31)))
            (local.set $ec (i32x4.eq (local.get $max)))
            (local.set $ec
              (v128.andnot
                (local.get $ec)
                (v128.or (local.get $ea) (local.get $eb))))
            ;; ed = zn(x[d]) == max, and not (ea | eb | ec)
            (local.set $bits
              (v128.load align=4
                (i32.add
                  (local.get $xa)
                  (i32.add (local.get $rowBytes) (local.get $cBytes)))))
            (local.get $bits)
            (local.set $grad (v128.and (local.get $bits) (local.get $absMask)))
            (v128.and
              (i32x4.shr_s
                (v128.or (local.get $grad) (i32x4.neg (local.get $grad)))
                (i32.const 31)))
            (local.set $ed (i32x4.eq (local.get $max)))
            (local.set $ed
              (v128.andnot
                (local.get $ed)
                (v128.or
                  (v128.or (local.get $ea) (local.get $eb))
                  (local.get $ec))))
            ;; dx[a..d] = dy & e[a..d]
            (local.set $grad
              (v128.load align=4
                (i32.add (i32.add (local.get $dy) (local.get $q)) (local.get $k))))
            (v128.store align=4
              (local.get $dxa)
              (v128.and (local.get $grad) (local.get $ea)))
            (v128.store align=4
              (i32.add (local.get $dxa) (local.get $cBytes))
              (v128.and (local.get $grad) (local.get $eb)))
            (v128.store align=4
              (i32.add (local.get $dxa) (local.get $rowBytes))
              (v128.and (local.get $grad) (local.get $ec)))
            (v128.store align=4
              (i32.add
                (local.get $dxa)
                (i32.add (local.get $rowBytes) (local.get $cBytes)))
              (v128.and (local.get $grad) (local.get $ed)))
            ;; bad |= ~(ea | eb | ec | ed) | (+Inf − |max|)
            (local.set $bad
              (v128.or
                (local.get $bad)
                (v128.or
                  (v128.not
                    (v128.or
                      (v128.or
                        (v128.or (local.get $ea) (local.get $eb))
                        (local.get $ec))
                      (local.get $ed)))
                  (i32x4.sub
                    (local.get $infBits)
                    (v128.and (local.get $max) (local.get $absMask))))))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $next)))
        (local.set $q (i32.add (local.get $q) (local.get $cBytes)))
        (local.set $p
          (i32.add
            (local.get $p)
            (i32.add (local.get $cBytes) (local.get $cBytes))))
        (br $nextWindow)))
    (i32x4.bitmask (local.get $bad)))

  ;; The four-row loop of batch_norm_train.ts' trainMoments over `bytes` of
  ;; x (whole groups of four rows), four channels per step. `scratch` holds
  ;; float32 k[C] at byte 0 and float64 s1[C], s2[C] at bytes 2·rowBytes
  ;; and 4·rowBytes (channel j's pair of float64 at 2j and 2j + 16). In
  ;; float32: dₜ = xₜ − k, p1 = (d₀ + d₁) + (d₂ + d₃), p2 = (d₀² + d₁²) +
  ;; (d₂² + d₃²); then s1 += p1, s2 += p2 in float64.
  (func (export "moments")
    (param $x i32) (param $scratch i32) (param $rowBytes i32) (param $bytes i32)
    (local $i i32) ;; the group's byte offset in x
    (local $j i32) ;; the channel's byte offset in a float32 row
    (local $x0 i32) ;; address of x₀[j]
    (local $s1 i32) (local $s2 i32) ;; addresses of s1[j], s2[j]
    (local $k v128) (local $d0 v128) (local $d1 v128) (local $d2 v128)
    (local $d3 v128) (local $p1 v128) (local $p2 v128)
    (block $done
      (loop $nextGroup
        (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
        (local.set $j (i32.const 0))
        (block $groupDone
          (loop $next
            (br_if $groupDone (i32.ge_u (local.get $j) (local.get $rowBytes)))
            (local.set $x0
              (i32.add (i32.add (local.get $x) (local.get $i)) (local.get $j)))
            (local.set $s1
              (i32.add
                (i32.add (local.get $scratch) (i32.add (local.get $j) (local.get $j)))
                (i32.mul (local.get $rowBytes) (i32.const 2))))
            (local.set $s2
              (i32.add (local.get $s1) (i32.mul (local.get $rowBytes) (i32.const 2))))
            (local.set $k
              (v128.load align=4 (i32.add (local.get $scratch) (local.get $j))))
            (local.set $d0 (f32x4.sub (v128.load align=4 (local.get $x0)) (local.get $k)))
            (local.set $d1 (f32x4.sub (v128.load align=4 (i32.add (local.get $x0) (i32.mul (local.get $rowBytes) (i32.const 1)))) (local.get $k)))
            (local.set $d2 (f32x4.sub (v128.load align=4 (i32.add (local.get $x0) (i32.mul (local.get $rowBytes) (i32.const 2)))) (local.get $k)))
            (local.set $d3 (f32x4.sub (v128.load align=4 (i32.add (local.get $x0) (i32.mul (local.get $rowBytes) (i32.const 3)))) (local.get $k)))
            (local.set $p1
              (f32x4.add
                (f32x4.add (local.get $d0) (local.get $d1))
                (f32x4.add (local.get $d2) (local.get $d3))))
            (local.set $p2
              (f32x4.add
                (f32x4.add
                  (f32x4.mul (local.get $d0) (local.get $d0))
                  (f32x4.mul (local.get $d1) (local.get $d1)))
                (f32x4.add
                  (f32x4.mul (local.get $d2) (local.get $d2))
                  (f32x4.mul (local.get $d3) (local.get $d3)))))
            (v128.store align=4
              (i32.add (local.get $s1) (i32.const 0))
              (f64x2.add
                (v128.load align=4
                  (i32.add (local.get $s1) (i32.const 0)))
                (f64x2.promote_low_f32x4 (local.get $p1))))
            (v128.store align=4
              (i32.add (local.get $s1) (i32.const 16))
              (f64x2.add
                (v128.load align=4
                  (i32.add (local.get $s1) (i32.const 16)))
                (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $p1) (local.get $p1)))))
            (v128.store align=4
              (i32.add (local.get $s2) (i32.const 0))
              (f64x2.add
                (v128.load align=4
                  (i32.add (local.get $s2) (i32.const 0)))
                (f64x2.promote_low_f32x4 (local.get $p2))))
            (v128.store align=4
              (i32.add (local.get $s2) (i32.const 16))
              (f64x2.add
                (v128.load align=4
                  (i32.add (local.get $s2) (i32.const 16)))
                (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $p2) (local.get $p2)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $next)))
        (local.set $i
          (i32.add (local.get $i) (i32.mul (local.get $rowBytes) (i32.const 4))))
        (br $nextGroup))))

  ;; The four-row loop of batch_norm_train.ts' gradSums over `bytes` of
  ;; x/dy (whole groups of four rows), four channels per step. `scratch`
  ;; holds float32 m[C] at byte 0 and float64 s1[C], s2[C] as in
  ;; `moments`. In float32: eₜ = xₜ − m, p1 = (dy₀ + dy₁) + (dy₂ + dy₃),
  ;; p2 = (dy₀·e₀ + dy₁·e₁) + (dy₂·e₂ + dy₃·e₃); then s1 += p1, s2 += p2
  ;; in float64.
  (func (export "batchNormGradSums")
    (param $x i32) (param $dy i32) (param $scratch i32)
    (param $rowBytes i32) (param $bytes i32)
    (local $i i32) ;; the group's byte offset in x and dy
    (local $j i32) ;; the channel's byte offset in a float32 row
    (local $x0 i32) (local $dy0 i32) ;; addresses of x₀[j], dy₀[j]
    (local $s1 i32) (local $s2 i32) ;; addresses of s1[j], s2[j]
    (local $m v128) (local $d0 v128) (local $d1 v128) (local $d2 v128)
    (local $d3 v128) (local $p1 v128) (local $p2 v128)
    (block $done
      (loop $nextGroup
        (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
        (local.set $j (i32.const 0))
        (block $groupDone
          (loop $next
            (br_if $groupDone (i32.ge_u (local.get $j) (local.get $rowBytes)))
            (local.set $x0
              (i32.add (i32.add (local.get $x) (local.get $i)) (local.get $j)))
            (local.set $dy0
              (i32.add (i32.add (local.get $dy) (local.get $i)) (local.get $j)))
            (local.set $s1
              (i32.add
                (i32.add (local.get $scratch) (i32.add (local.get $j) (local.get $j)))
                (i32.mul (local.get $rowBytes) (i32.const 2))))
            (local.set $s2
              (i32.add (local.get $s1) (i32.mul (local.get $rowBytes) (i32.const 2))))
            (local.set $m
              (v128.load align=4 (i32.add (local.get $scratch) (local.get $j))))
            (local.set $d0 (v128.load align=4 (local.get $dy0)))
            (local.set $d1 (v128.load align=4 (i32.add (local.get $dy0) (i32.mul (local.get $rowBytes) (i32.const 1)))))
            (local.set $d2 (v128.load align=4 (i32.add (local.get $dy0) (i32.mul (local.get $rowBytes) (i32.const 2)))))
            (local.set $d3 (v128.load align=4 (i32.add (local.get $dy0) (i32.mul (local.get $rowBytes) (i32.const 3)))))
            (local.set $p1
              (f32x4.add
                (f32x4.add (local.get $d0) (local.get $d1))
                (f32x4.add (local.get $d2) (local.get $d3))))
            (local.set $p2
              (f32x4.add
                (f32x4.add
                  (f32x4.mul (local.get $d0)
                    (f32x4.sub (v128.load align=4 (local.get $x0)) (local.get $m)))
                  (f32x4.mul (local.get $d1)
                    (f32x4.sub (v128.load align=4 (i32.add (local.get $x0) (i32.mul (local.get $rowBytes) (i32.const 1)))) (local.get $m))))
                (f32x4.add
                  (f32x4.mul (local.get $d2)
                    (f32x4.sub (v128.load align=4 (i32.add (local.get $x0) (i32.mul (local.get $rowBytes) (i32.const 2)))) (local.get $m)))
                  (f32x4.mul (local.get $d3)
                    (f32x4.sub (v128.load align=4 (i32.add (local.get $x0) (i32.mul (local.get $rowBytes) (i32.const 3)))) (local.get $m))))))
            (v128.store align=4
              (i32.add (local.get $s1) (i32.const 0))
              (f64x2.add
                (v128.load align=4
                  (i32.add (local.get $s1) (i32.const 0)))
                (f64x2.promote_low_f32x4 (local.get $p1))))
            (v128.store align=4
              (i32.add (local.get $s1) (i32.const 16))
              (f64x2.add
                (v128.load align=4
                  (i32.add (local.get $s1) (i32.const 16)))
                (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $p1) (local.get $p1)))))
            (v128.store align=4
              (i32.add (local.get $s2) (i32.const 0))
              (f64x2.add
                (v128.load align=4
                  (i32.add (local.get $s2) (i32.const 0)))
                (f64x2.promote_low_f32x4 (local.get $p2))))
            (v128.store align=4
              (i32.add (local.get $s2) (i32.const 16))
              (f64x2.add
                (v128.load align=4
                  (i32.add (local.get $s2) (i32.const 16)))
                (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $p2) (local.get $p2)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $next)))
        (local.set $i
          (i32.add (local.get $i) (i32.mul (local.get $rowBytes) (i32.const 4))))
        (br $nextGroup))))

    ;; batch_norm_train.ts' gradApply over `bytes` of x/dy/dx (whole rows,
  ;; C a multiple of 4), four channels per step in float32:
  ;; dx = (dy·k + (x − m)·a) + b. `co` holds float32 m[C], k[C], a[C],
  ;; b[C] (array n at byte n·rowBytes, channel j at j).
  (func (export "batchNormGradApply")
    (param $x i32) (param $dy i32) (param $dx i32) (param $co i32)
    (param $rowBytes i32) (param $bytes i32)
    (local $r i32) ;; the row's byte offset in x, dy and dx
    (local $j i32) ;; the channel's byte offset in the row
    (local $mj i32) ;; address of m[j]
    (local $o i32) ;; r + j
    (block $done
      (loop $nextRow
        (br_if $done (i32.ge_u (local.get $r) (local.get $bytes)))
        (local.set $j (i32.const 0))
        (block $rowDone
          (loop $next
            (br_if $rowDone (i32.ge_u (local.get $j) (local.get $rowBytes)))
            (local.set $mj (i32.add (local.get $co) (local.get $j)))
            (local.set $o (i32.add (local.get $r) (local.get $j)))
            (v128.store align=4
              (i32.add (local.get $dx) (local.get $o))
              (f32x4.add
                (f32x4.add
                  (f32x4.mul
                    (v128.load align=4 (i32.add (local.get $dy) (local.get $o)))
                    (v128.load align=4
                      (i32.add (local.get $mj) (local.get $rowBytes))))
                  (f32x4.mul
                    (f32x4.sub
                      (v128.load align=4 (i32.add (local.get $x) (local.get $o)))
                      (v128.load align=4 (local.get $mj)))
                    (v128.load align=4
                      (i32.add
                        (local.get $mj)
                        (i32.mul (local.get $rowBytes) (i32.const 2))))))
                (v128.load align=4
                  (i32.add
                    (local.get $mj)
                    (i32.mul (local.get $rowBytes) (i32.const 3))))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $next)))
        (local.set $r (i32.add (local.get $r) (local.get $rowBytes)))
        (br $nextRow))))

  ;; batch_norm_train.ts' affineLastAxis over `bytes` of x/out (whole rows,
  ;; C a multiple of 4), four channels per step in float32:
  ;; out = x·a + b. `ab` holds float32 a[C] then b[C].
  (func (export "affine")
    (param $x i32) (param $out i32) (param $ab i32)
    (param $rowBytes i32) (param $bytes i32)
    (local $r i32) ;; the row's byte offset in x and out
    (local $j i32) ;; the channel's byte offset in the row
    (local $o i32) ;; r + j
    (block $done
      (loop $nextRow
        (br_if $done (i32.ge_u (local.get $r) (local.get $bytes)))
        (local.set $j (i32.const 0))
        (block $rowDone
          (loop $next
            (br_if $rowDone (i32.ge_u (local.get $j) (local.get $rowBytes)))
            (local.set $o (i32.add (local.get $r) (local.get $j)))
            (v128.store align=4
              (i32.add (local.get $out) (local.get $o))
              (f32x4.add
                (f32x4.mul
                  (v128.load align=4 (i32.add (local.get $x) (local.get $o)))
                  (v128.load align=4 (i32.add (local.get $ab) (local.get $j))))
                (v128.load align=4
                  (i32.add
                    (i32.add (local.get $ab) (local.get $rowBytes))
                    (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $next)))
        (local.set $r (i32.add (local.get $r) (local.get $rowBytes)))
        (br $nextRow))))
)
