using System.Runtime.InteropServices;

namespace FastVideo.Tensors;

/// <summary>Host-side element conversions between dtypes (used by loaders and reads).</summary>
public static class DTypeConvert
{
    public static void ToFloat(ReadOnlySpan<byte> src, DType dtype, Span<float> dst)
    {
        switch (dtype)
        {
            case DType.F32: MemoryMarshal.Cast<byte, float>(src)[..dst.Length].CopyTo(dst); break;
            case DType.F16:
                {
                    var h = MemoryMarshal.Cast<byte, Half>(src);
                    for (int i = 0; i < dst.Length; i++) dst[i] = (float)h[i];
                    break;
                }
            case DType.BF16:
                {
                    var b = MemoryMarshal.Cast<byte, ushort>(src);
                    for (int i = 0; i < dst.Length; i++) dst[i] = BFloat16.BitsToSingle(b[i]);
                    break;
                }
            case DType.I32:
                {
                    var v = MemoryMarshal.Cast<byte, int>(src);
                    for (int i = 0; i < dst.Length; i++) dst[i] = v[i];
                    break;
                }
            case DType.I64:
                {
                    var v = MemoryMarshal.Cast<byte, long>(src);
                    for (int i = 0; i < dst.Length; i++) dst[i] = v[i];
                    break;
                }
            case DType.U8:
            case DType.Bool:
                for (int i = 0; i < dst.Length; i++) dst[i] = src[i];
                break;
            default: throw new NotSupportedException(dtype.ToString());
        }
    }

    public static void FromFloat(ReadOnlySpan<float> src, DType dtype, Span<byte> dst)
    {
        switch (dtype)
        {
            case DType.F32: MemoryMarshal.AsBytes(src).CopyTo(dst); break;
            case DType.F16:
                {
                    var h = MemoryMarshal.Cast<byte, Half>(dst);
                    for (int i = 0; i < src.Length; i++) h[i] = (Half)src[i];
                    break;
                }
            case DType.BF16:
                {
                    var b = MemoryMarshal.Cast<byte, ushort>(dst);
                    for (int i = 0; i < src.Length; i++) b[i] = BFloat16.RoundToBits(src[i]);
                    break;
                }
            case DType.I32:
                {
                    var v = MemoryMarshal.Cast<byte, int>(dst);
                    for (int i = 0; i < src.Length; i++) v[i] = (int)src[i];
                    break;
                }
            case DType.I64:
                {
                    var v = MemoryMarshal.Cast<byte, long>(dst);
                    for (int i = 0; i < src.Length; i++) v[i] = (long)src[i];
                    break;
                }
            case DType.U8:
                for (int i = 0; i < src.Length; i++) dst[i] = (byte)src[i];
                break;
            case DType.Bool:
                for (int i = 0; i < src.Length; i++) dst[i] = src[i] != 0 ? (byte)1 : (byte)0;
                break;
            default: throw new NotSupportedException(dtype.ToString());
        }
    }
}
