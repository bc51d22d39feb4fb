using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastVideo.Tensors;

namespace FastVideo.Backends.Cpu;

/// <summary>
/// Element conversions between every pair of dtypes, on raw host buffers.
/// Float sources (F32/F16/BF16) are read exactly as float; integer sources (I32/I64/U8/Bool) as long.
/// Rules: float→BF16 rounds to nearest even (NaN stays a quiet NaN); float→F16 as <see cref="Half"/>'s
/// conversion (nearest even); float→I32/I64 truncates toward zero and saturates at the target's range
/// (.NET semantics; NaN → 0); float→U8 truncates then wraps (so −2.5 → 254, as PyTorch on x86);
/// integer→narrower integer wraps (two's complement, as PyTorch);
/// anything→Bool is value ≠ 0 (NaN → true); Bool/U8 read as 0..255.
/// </summary>
internal static unsafe class CpuCast
{
    /// <summary>Converts n elements; src and dst do not overlap.</summary>
    public static void Convert(byte* src, DType from, byte* dst, DType to, long n)
    {
        if (n <= 0) return;
        if (from == to || (from is DType.U8 or DType.Bool && to == DType.U8))
        {
            Buffer.MemoryCopy(src, dst, n * to.Size(), n * to.Size());
            return;
        }
        switch (from, to)
        {
            case (DType.BF16, DType.F32): Bf16ToF32((ushort*)src, (float*)dst, n); return;
            case (DType.F32, DType.BF16): F32ToBf16((float*)src, (ushort*)dst, n); return;
            case (DType.F16, DType.F32):
                for (long i = 0; i < n; i++) ((float*)dst)[i] = (float)((Half*)src)[i];
                return;
            case (DType.F32, DType.F16):
                for (long i = 0; i < n; i++) ((Half*)dst)[i] = (Half)((float*)src)[i];
                return;
        }
        if (from.IsFloat())
            for (long i = 0; i < n; i++) WriteFloat(dst, to, i, ReadFloat(src, from, i));
        else
            for (long i = 0; i < n; i++) WriteLong(dst, to, i, ReadLong(src, from, i));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float ReadFloat(byte* p, DType t, long i) => t switch
    {
        DType.F32 => ((float*)p)[i],
        DType.F16 => (float)((Half*)p)[i],
        _ => BFloat16.BitsToSingle(((ushort*)p)[i]),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long ReadLong(byte* p, DType t, long i) => t switch
    {
        DType.I32 => ((int*)p)[i],
        DType.I64 => ((long*)p)[i],
        _ => p[i],
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WriteFloat(byte* p, DType t, long i, float v)
    {
        switch (t)
        {
            case DType.F32: ((float*)p)[i] = v; break;
            case DType.F16: ((Half*)p)[i] = (Half)v; break;
            case DType.BF16: ((ushort*)p)[i] = BFloat16.RoundToBits(v); break;
            case DType.I32: ((int*)p)[i] = (int)v; break;
            case DType.I64: ((long*)p)[i] = (long)v; break;
            case DType.U8: p[i] = unchecked((byte)(int)v); break;
            case DType.Bool: p[i] = v != 0 ? (byte)1 : (byte)0; break;
            default: throw new NotSupportedException($"Cast: unknown dtype {t}");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WriteLong(byte* p, DType t, long i, long v)
    {
        switch (t)
        {
            case DType.F32: ((float*)p)[i] = v; break;
            case DType.F16: ((Half*)p)[i] = (Half)(float)v; break;
            case DType.BF16: ((ushort*)p)[i] = BFloat16.RoundToBits(v); break;
            case DType.I32: ((int*)p)[i] = unchecked((int)v); break;
            case DType.I64: ((long*)p)[i] = v; break;
            case DType.U8: p[i] = unchecked((byte)v); break;
            case DType.Bool: p[i] = v != 0 ? (byte)1 : (byte)0; break;
            default: throw new NotSupportedException($"Cast: unknown dtype {t}");
        }
    }

    /// <summary>BF16 → F32: the 16 bits become the high half of the float (exact).</summary>
    public static void Bf16ToF32(ushort* src, float* dst, long n)
    {
        long i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 32 <= n; i += 32)
            {
                var (lo, hi) = Vector512.Widen(Vector512.Load(src + i));
                Vector512.ShiftLeft(lo, 16).AsSingle().Store(dst + i);
                Vector512.ShiftLeft(hi, 16).AsSingle().Store(dst + i + 16);
            }
        }
        for (; i < n; i++) dst[i] = BFloat16.BitsToSingle(src[i]);
    }

    /// <summary>F32 → BF16, round to nearest even; NaN → quiet NaN with the sign kept (as <see cref="BFloat16.RoundToBits"/>).</summary>
    public static void F32ToBf16(float* src, ushort* dst, long n)
    {
        long i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var absMask = Vector512.Create(0x7FFF_FFFFu);
            var inf = Vector512.Create(0x7F80_0000u);
            var bias = Vector512.Create(0x7FFFu);
            var one = Vector512<uint>.One;
            var quiet = Vector512.Create(0x0040_0000u);
            for (; i + 32 <= n; i += 32)
            {
                var lo = Round(Vector512.Load((uint*)(src + i)));
                var hi = Round(Vector512.Load((uint*)(src + i + 16)));
                Vector512.Narrow(lo, hi).Store(dst + i);
            }

            Vector512<uint> Round(Vector512<uint> u)
            {
                var nan = Vector512.GreaterThan(u & absMask, inf);
                var rounded = u + bias + (Vector512.ShiftRightLogical(u, 16) & one);
                return Vector512.ShiftRightLogical(Vector512.ConditionalSelect(nan, u | quiet, rounded), 16);
            }
        }
        for (; i < n; i++) dst[i] = BFloat16.RoundToBits(src[i]);
    }

    /// <summary>Fills a tensor with <paramref name="value"/> converted to its dtype.</summary>
    public static void FillValue(Tensor y, float value, int threads)
    {
        CpuBackend.RequireCpu(y, "Full", "result");
        long n = y.Numel;
        byte* p = (byte*)y.DataPointer;
        switch (y.DType.Size())
        {
            case 4:
                {
                    float f = value;
                    if (y.DType == DType.I32) { int iv = (int)value; f = *(float*)&iv; }
                    CpuParallel.For(n, 1, threads, (s, e) => CpuSimd.Fill((float*)p + s, e - s, f));
                    break;
                }
            default:
                {
                    ulong bits = 0;
                    WriteFloat((byte*)&bits, y.DType, 0, value);
                    ulong pattern = bits;
                    int size = y.DType.Size();
                    CpuParallel.For(n, 1, threads, (s, e) =>
                    {
                        switch (size)
                        {
                            case 1: for (long i = s; i < e; i++) p[i] = (byte)pattern; break;
                            case 2: for (long i = s; i < e; i++) ((ushort*)p)[i] = (ushort)pattern; break;
                            default: for (long i = s; i < e; i++) ((ulong*)p)[i] = pattern; break;
                        }
                    });
                    break;
                }
        }
    }
}
