using System.Runtime.InteropServices;
using FastVideo.Backends;
using FastVideo.Backends.Cpu;
using FastVideo.Cuda.Kernels;
using FastVideo.Interop;
using FastVideo.Tensors;

namespace FastVideo.Cuda;

public sealed partial class CudaBackend
{
    /// <summary>
    /// A tensor filled with <paramref name="value"/> converted to <paramref name="dtype"/> by the CPU backend's rules
    /// (so every backend stores the same bits), written with the driver's memset (8-, 16- and 32-bit patterns need no
    /// kernel; 64-bit ones use fv_fill).
    /// </summary>
    public Tensor Full(ReadOnlySpan<int> shape, float value, DType dtype = DType.F32)
    {
        var y = Empty(shape, dtype);
        try
        {
            ulong bits = ValueBits(value, dtype);
            _device.MakeCurrent();
            var s = _device.Stream;
            switch (dtype.Size())
            {
                case 1: CudaDriver.Memset8(y.DataPointer, (byte)bits, y.Numel, s); break;
                case 2: CudaDriver.Memset16(y.DataPointer, (ushort)bits, y.Numel, s); break;
                case 4: CudaDriver.Memset32(y.DataPointer, (uint)bits, y.Numel, s); break;
                default:
                    // The driver has no 64-bit memset: the fill kernel when its module is there, else two strided 32-bit fills.
                    if (HasModule(KernelCatalog.Modules.Convert) && y.Numel > 0)
                        Launch(KernelCatalog.Fill, LaunchConfig.GridStride(y.Numel), new FillParams { Y = y.DataPointer, N = y.Numel, ValueBits = bits, ElemSize = 8 });
                    else CudaDriver.Memset64(y.DataPointer, bits, y.Numel, s);
                    break;
            }
            AfterOp("Full");
            return y;
        }
        catch
        {
            y.Dispose();
            throw;
        }
    }

    /// <summary>A new tensor of zeros (the interface's default method, exposed on the class).</summary>
    public Tensor Zeros(ReadOnlySpan<int> shape, DType dtype = DType.F32) => Full(shape, 0f, dtype);

    /// <summary>The stored bits of <paramref name="value"/> as one element of <paramref name="dtype"/>, converted on the host by the CPU backend.</summary>
    internal static ulong ValueBits(float value, DType dtype)
    {
        using var one = CpuBackend.Default.Full([1], value, dtype);
        Span<byte> b = stackalloc byte[8];
        b.Clear();
        one.AsSpan<byte>().CopyTo(b);
        return MemoryMarshal.Read<ulong>(b);
    }

    /// <summary>A copy of <paramref name="x"/> on this device: host → device (staged by the driver), device → device otherwise.</summary>
    public Tensor Copy(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var y = Empty(x.ShapeSpan, x.DType);
        try
        {
            _device.MakeCurrent();
            if (x.Device.Type == DeviceType.Cpu)
            {
                // Spans are int-sized: upload in pieces of at most 1 GiB.
                const long piece = 1L << 30;
                for (long off = 0; off < x.Bytes; off += piece)
                {
                    long len = Math.Min(piece, x.Bytes - off);
                    unsafe
                    {
                        CudaDriver.CopyHostToDevice(y.DataPointer + (nint)off, new ReadOnlySpan<byte>((byte*)x.DataPointer + off, (int)len), _device.Stream);
                    }
                }
            }
            else
            {
                // Unified addressing: a pointer of another CUDA device or allocator copies the same way.
                CudaDriver.CopyDeviceToDevice(y.DataPointer, x.DataPointer, x.Bytes, _device.Stream);
            }
            AfterOp("Copy");
            return y;
        }
        catch
        {
            y.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Element-wise conversion by the CPU backend's rules (<c>CpuCast</c>): F32/BF16/F16 among themselves run the
    /// vectorised convert kernels (round to nearest even); every pair involving I32, I64, U8 or Bool runs
    /// fv_cast_any (float → integer truncates and saturates, NaN → 0; → U8 wraps; integer → integer wraps;
    /// → Bool is ≠ 0). The same dtype is a copy.
    /// </summary>
    public Tensor Cast(Tensor x, DType dtype)
    {
        RequireHere(x, "Cast", "x");
        if (x.DType == dtype) return Copy(x);
        var y = Empty(x.ShapeSpan, dtype);
        try
        {
            CastInto(x.DataPointer, x.DType, y.DataPointer, dtype, x.Numel);
            return y;
        }
        catch
        {
            y.Dispose();
            throw;
        }
    }

    /// <summary>Queues the conversion of <paramref name="n"/> elements between two device buffers (from ≠ to).</summary>
    internal void CastInto(nint x, DType from, nint y, DType to, long n)
    {
        if (n == 0) return;
        if (from.IsFloat() && to.IsFloat())
            Launch(KernelCatalog.Cast(from, to), LaunchConfig.GridStride(n, 8), new UnaryParams { Y = y, X = x, N = n });
        else
            Launch(KernelCatalog.CastAny, LaunchConfig.GridStride(n), new CastParams { Y = y, X = x, N = n, From = (int)from, To = (int)to });
    }

    /// <summary>A device copy of <paramref name="t"/> as <paramref name="dtype"/> (a new reference when it already is).</summary>
    internal Tensor As(Tensor t, DType dtype) => t.DType == dtype ? t.Share() : Cast(t, dtype);

    /// <summary>Concatenation along <paramref name="dim"/>: one strided 2-D copy per input (outer rows × its slab).</summary>
    public Tensor Concat(IReadOnlyList<Tensor> tensors, int dim)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        for (int k = 0; k < tensors.Count; k++) RequireHere(tensors[k], "Concat", $"tensors[{k}]");
        var (d, shape) = OpShapes.Concat(tensors, dim);
        var first = tensors[0];
        int rank = shape.Length;
        long total = shape[d];
        var y = Empty(shape, first.DType);
        try
        {
            long outer = 1, inner = first.DType.Size();
            for (int i = 0; i < d; i++) outer *= shape[i];
            for (int i = d + 1; i < rank; i++) inner *= shape[i];
            long outRow = total * inner, offset = 0;
            _device.MakeCurrent();
            foreach (var t in tensors)
            {
                long row = t.ShapeSpan[d] * inner;
                CopyRows(y.DataPointer + (nint)offset, outRow, t.DataPointer, row, row, outer);
                offset += row;
            }
            AfterOp("Concat");
            return y;
        }
        catch
        {
            y.Dispose();
            throw;
        }
    }

    /// <summary>Entries [start, start + length) along <paramref name="dim"/>: one strided 2-D copy.</summary>
    public Tensor Slice(Tensor x, int dim, int start, int length)
    {
        RequireHere(x, "Slice", "x");
        var (d, shape) = OpShapes.Slice(x, dim, start, length);
        int size = x.ShapeSpan[d];
        var y = Empty(shape, x.DType);
        try
        {
            long outer = 1, inner = x.DType.Size();
            for (int i = 0; i < d; i++) outer *= shape[i];
            for (int i = d + 1; i < shape.Length; i++) inner *= shape[i];
            _device.MakeCurrent();
            CopyRows(y.DataPointer, length * inner, x.DataPointer + (nint)(start * inner), size * inner, length * inner, outer);
            AfterOp("Slice");
            return y;
        }
        catch
        {
            y.Dispose();
            throw;
        }
    }

    /// <summary>Consecutive slices of the given sizes along <paramref name="dim"/>; the sizes must add up to the dimension.</summary>
    public Tensor[] Split(Tensor x, ReadOnlySpan<int> sizes, int dim)
    {
        RequireHere(x, "Split", "x");
        int d = OpShapes.Split(x, sizes, dim);
        var parts = new Tensor[sizes.Length];
        int start = 0;
        try
        {
            for (int i = 0; i < sizes.Length; i++)
            {
                parts[i] = Slice(x, d, start, sizes[i]);
                start += sizes[i];
            }
        }
        catch
        {
            foreach (var p in parts) p?.Dispose();
            throw;
        }
        return parts;
    }

    /// <summary>
    /// <paramref name="rows"/> rows of <paramref name="rowBytes"/> bytes: one contiguous copy when both sides are
    /// packed, else a 2-D copy (pitches within the device's limit), else the copy_rows kernel.
    /// </summary>
    private void CopyRows(nint dst, long dstPitch, nint src, long srcPitch, long rowBytes, long rows)
    {
        if (rowBytes == 0 || rows == 0) return;
        if ((dstPitch == rowBytes && srcPitch == rowBytes) || rows == 1)
        {
            CudaDriver.CopyDeviceToDevice(dst, src, rowBytes * rows, _device.Stream);
            return;
        }
        long maxPitch = _device.Info.MaxPitchBytes;
        if (dstPitch <= maxPitch && srcPitch <= maxPitch)
        {
            CudaDriver.Copy2D(dst, dstPitch, src, srcPitch, rowBytes, rows, _device.Stream);
            return;
        }
        var p = new CopyRowsParams { Dst = dst, Src = src, Rows = rows, RowBytes = rowBytes, SrcStrideBytes = srcPitch, DstStrideBytes = dstPitch };
        Launch(KernelCatalog.CopyRows, LaunchConfig.GridStride(rows * rowBytes, 16), p);
    }
}
