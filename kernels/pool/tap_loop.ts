/**
 * The loop structure shared by every pooling kernel (quint8 and fp32): an indirection table
 * lists, for each output pixel, a header and the byte offsets of the input pixels its window
 * reads (QNNPACK's indirection buffer). Channels sit in SIMD lanes; for each block of `lanes`
 * channels the kernel folds the window's taps and stores the block.
 *
 * Table layout per output pixel (int32 words): `count`, `headerWords − 1` op-specific words,
 * then `count` byte offsets relative to the image.
 *
 * A channel count that is not a multiple of `lanes` is handled without scalar code: with
 * `c ≥ lanes` the last block is moved back to end at `c` (recomputing a few channels — pooling
 * is per channel, so the values are the same); with `c < lanes` the block spills into the next
 * output pixel, which is written afterwards (pixels are processed in order), and into the output
 * buffer's slack after the last one. Inputs need `lanes` elements of readable slack too.
 * @module
 */
import type { FunctionBuilder, Local } from "../wasm/mod.ts";

/** How one pooling kernel folds taps. */
export interface TapPoolBody {
  /** Elements per vector: 16 (u8) or 4 (f32). */
  readonly lanes: number;
  /** Bytes per element. */
  readonly elementBytes: number;
  /** Words before the offsets (≥ 1: the count). */
  readonly headerWords: number;
  /** Reads the pixel's header (the table pointer and its tap count are given). */
  pixel(table: Local, count: Local): void;
  /** Initialises the accumulators of a channel block. */
  init(): void;
  /** Folds the channel block at byte address `addr` into the accumulators. */
  tap(addr: Local): void;
  /** Stores the channel block at byte address `dst`. */
  store(dst: Local): void;
}

/**
 * Emits the kernel body; the function's first five parameters must be
 * `(x, taps, out, npix, c)`: image, table, output, output pixels, channels.
 */
export function emitTapPool(f: FunctionBuilder, body: TapPoolBody): void {
  const [x, taps, out, npix, c] = f.params;
  const { lanes, elementBytes: eb } = body;
  const count = f.local("i32", "count");
  const first = f.local("i32", "first");
  const end = f.local("i32", "end");
  const cb = f.local("i32", "cb");
  const base = f.local("i32", "base");
  const lastBase = f.local("i32", "lastBase");
  const t = f.local("i32", "t");
  const addr = f.local("i32", "addr");
  const dst = f.local("i32", "dst");
  f.localGet(npix).i32.eqz().if(() => void f.return());
  f.localGet(c).i32.const(lanes).i32.sub().i32.const(eb).i32.mul().localSet(lastBase);
  f.loop((pixel) => {
    f.localGet(taps).i32.load({ align: 4 }).localSet(count);
    f.localGet(taps).i32.const(body.headerWords * 4).i32.add().localSet(first);
    f.localGet(first);
    f.localGet(count);
    f.i32.const(4).i32.mul().i32.add().localSet(end);
    body.pixel(taps, count);
    f.i32.const(0).localSet(cb);
    f.loop((block) => {
      // base = (c ≥ lanes && cb + lanes > c) ? (c − lanes)·eb : cb·eb
      f.localGet(lastBase).localGet(cb).i32.const(eb).i32.mul();
      f.localGet(c).i32.const(lanes).i32.geS();
      f.localGet(cb).i32.const(lanes).i32.add().localGet(c).i32.gtS().i32.and();
      f.select().localSet(base);
      body.init();
      f.localGet(first).localSet(t);
      f.block((done) => {
        f.localGet(t).localGet(end).i32.eq().brIf(done);
        f.loop((next) => {
          f.localGet(x).localGet(t).i32.load({ align: 4 }).i32.add().localGet(base).i32.add();
          f.localSet(addr);
          body.tap(addr);
          f.localGet(t).i32.const(4).i32.add().localTee(t).localGet(end).i32.ne().brIf(next);
        });
      });
      f.localGet(out).localGet(base).i32.add().localSet(dst);
      body.store(dst);
      f.localGet(cb).i32.const(lanes).i32.add().localTee(cb).localGet(c).i32.ltS().brIf(block);
    });
    f.localGet(out).localGet(c).i32.const(eb).i32.mul().i32.add().localSet(out);
    f.localGet(first).localGet(count).i32.const(4).i32.mul().i32.add().localSet(taps);
    f.localGet(npix).i32.const(1).i32.sub().localTee(npix).brIf(pixel);
  });
}
