using FastVideo.Tensors;

namespace FastVideo.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <summary>A host copy of <paramref name="x"/>, read through its own allocator when it lives on another device.</summary>
    public Tensor Copy(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var y = Empty(x.ShapeSpan, x.DType);
        if (x.Device.Type == DeviceType.Cpu)
        {
            ParallelCopy((byte*)x.DataPointer, (byte*)y.DataPointer, x.Bytes, Threads);
            return y;
        }
        try
        {
            // Spans are int-sized: read back in pieces of at most 1 GiB.
            const long piece = 1L << 30;
            for (long off = 0; off < x.Bytes; off += piece)
            {
                long len = Math.Min(piece, x.Bytes - off);
                x.Storage.Allocator.CopyToHost(x.DataPointer + (nint)off, new Span<byte>((byte*)y.DataPointer + off, (int)len));
            }
        }
        catch
        {
            y.Dispose();
            throw;
        }
        return y;
    }

    /// <summary>Element-wise conversion; see <see cref="CpuCast"/> for the rounding and range rules.</summary>
    public Tensor Cast(Tensor x, DType dtype)
    {
        RequireCpu(x, "Cast", "x");
        var y = Empty(x.ShapeSpan, dtype);
        byte* px = (byte*)x.DataPointer, py = (byte*)y.DataPointer;
        DType from = x.DType;
        int si = from.Size(), so = dtype.Size();
        CpuParallel.For(x.Numel, 1, Threads, (s, e) => CpuCast.Convert(px + s * si, from, py + s * so, dtype, e - s));
        return y;
    }

    /// <summary>Concatenation along <paramref name="dim"/>; every other dimension and the dtype must match.</summary>
    public Tensor Concat(IReadOnlyList<Tensor> tensors, int dim)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        for (int k = 0; k < tensors.Count; k++) RequireCpu(tensors[k], "Concat", $"tensors[{k}]");
        var (d, shape) = OpShapes.Concat(tensors, dim);
        var first = tensors[0];
        int rank = shape.Length;
        long total = shape[d];
        var y = Empty(shape, first.DType);
        long outer = 1, inner = first.DType.Size();
        for (int i = 0; i < d; i++) outer *= shape[i];
        for (int i = d + 1; i < rank; i++) inner *= shape[i];
        long outRow = total * inner;
        var srcs = new nint[tensors.Count];
        var rows = new long[tensors.Count];
        var offs = new long[tensors.Count];
        for (int k = 0, off = 0; k < tensors.Count; k++)
        {
            srcs[k] = tensors[k].DataPointer;
            rows[k] = tensors[k].ShapeSpan[d] * inner;
            offs[k] = off * inner;
            off += tensors[k].ShapeSpan[d];
        }
        byte* py = (byte*)y.DataPointer;
        int n = tensors.Count;
        // Work item = (outer index, tensor): one contiguous block copy each.
        CpuParallel.For(outer * n, Math.Max(1, outRow / n / 4), Threads, (s, e) =>
        {
            for (long item = s; item < e; item++)
            {
                long o = item / n;
                int k = (int)(item % n);
                Buffer.MemoryCopy((byte*)srcs[k] + o * rows[k], py + o * outRow + offs[k], rows[k], rows[k]);
            }
        });
        return y;
    }

    /// <summary>A copy of entries [start, start + length) along <paramref name="dim"/>.</summary>
    public Tensor Slice(Tensor x, int dim, int start, int length)
    {
        RequireCpu(x, "Slice", "x");
        var (d, shape) = OpShapes.Slice(x, dim, start, length);
        int size = x.ShapeSpan[d];
        var y = Empty(shape, x.DType);
        long outer = 1, inner = x.DType.Size();
        for (int i = 0; i < d; i++) outer *= shape[i];
        for (int i = d + 1; i < shape.Length; i++) inner *= shape[i];
        long inRow = size * inner, outRow = length * inner, skip = start * inner;
        byte* px = (byte*)x.DataPointer, py = (byte*)y.DataPointer;
        if (outer == 1) ParallelCopy(px + skip, py, outRow, Threads);
        else
            CpuParallel.For(outer, outRow / 4, Threads, (s, e) =>
            {
                for (long o = s; o < e; o++) Buffer.MemoryCopy(px + o * inRow + skip, py + o * outRow, outRow, outRow);
            });
        return y;
    }

    /// <summary>Consecutive slices of the given sizes along <paramref name="dim"/>; the sizes must add up to the dimension.</summary>
    public Tensor[] Split(Tensor x, ReadOnlySpan<int> sizes, int dim)
    {
        RequireCpu(x, "Split", "x");
        int d = OpShapes.Split(x, sizes, dim);
        var parts = new Tensor[sizes.Length];
        int start = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            parts[i] = Slice(x, d, start, sizes[i]);
            start += sizes[i];
        }
        return parts;
    }

    /// <summary>A contiguous copy with result dimension i = x dimension dims[i].</summary>
    public Tensor Permute(Tensor x, ReadOnlySpan<int> dims)
    {
        RequireCpu(x, "Permute", "x");
        var (norm, shape) = OpShapes.Permute(x, dims);
        var y = Empty(shape, x.DType);
        CpuPermute.Run((byte*)x.DataPointer, (byte*)y.DataPointer, x.ShapeSpan, norm, x.DType.Size(), Threads);
        return y;
    }

    // ---- helpers -----------------------------------------------------------------------------------

    /// <summary>memcpy of <paramref name="bytes"/> bytes, split across threads above a few hundred KiB.</summary>
    internal static void ParallelCopy(byte* src, byte* dst, long bytes, int threads)
    {
        if (bytes <= 0) return;
        const long chunk = 256 * 1024;
        if (bytes <= 2 * chunk || threads <= 1)
        {
            Buffer.MemoryCopy(src, dst, bytes, bytes);
            return;
        }
        long pieces = (bytes + chunk - 1) / chunk;
        CpuParallel.For(pieces, chunk, threads, (s, e) =>
        {
            long from = s * chunk, to = Math.Min(bytes, e * chunk);
            Buffer.MemoryCopy(src + from, dst + from, to - from, to - from);
        });
    }
}
