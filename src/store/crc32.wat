;; CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) in WebAssembly: the source of the module
;; whose bytes src/store/codec.ts holds (CRC32_WASM). Regenerate them with
;; `deno run -A scripts/crc32_wasm.ts` (wat2wasm from npm wabt) after changing this file.
;;
;; Memory: one page. Bytes 0-1023 hold the table (256 words), built by $init when the module is
;; instantiated; the caller copies the bytes to check to 1024 and up, at most 64,512 at a time.
;; crc(p, end, seed) is the CRC-32 of memory[p, end) continuing from `seed` (the CRC of what came
;; before, 0 for none), as codec.ts's crc32() computes it.
(module
  (memory (export "memory") 1)
  (func $init (local $n i32) (local $c i32) (local $k i32)
    (loop $outer
      (local.set $c (local.get $n))
      (local.set $k (i32.const 8))
      (loop $inner
        (local.set $c
          (select
            (i32.xor (i32.const 0xEDB88320) (i32.shr_u (local.get $c) (i32.const 1)))
            (i32.shr_u (local.get $c) (i32.const 1))
            (i32.and (local.get $c) (i32.const 1))))
        (local.tee $k (i32.sub (local.get $k) (i32.const 1)))
        (br_if $inner))
      (i32.store (i32.shl (local.get $n) (i32.const 2)) (local.get $c))
      (local.tee $n (i32.add (local.get $n) (i32.const 1)))
      (br_if $outer (i32.lt_u (i32.const 256)))))
  (func (export "crc") (param $p i32) (param $end i32) (param $seed i32) (result i32) (local $c i32)
    (local.set $c (i32.xor (local.get $seed) (i32.const -1)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $c
          (i32.xor
            (i32.load
              (i32.shl (i32.and (i32.xor (local.get $c) (i32.load8_u (local.get $p))) (i32.const 255)) (i32.const 2)))
            (i32.shr_u (local.get $c) (i32.const 8))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $l)))
    (i32.xor (local.get $c) (i32.const -1)))
  (start $init))
