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
        Require(tensors.Count > 0, "Concat", "needs at least one tensor");
        var first = tensors[0];
        RequireCpu(first, "Concat", "tensors[0]");
        int rank = first.Rank;
        Require(rank > 0, "Concat", "tensors[0] is a scalar (rank 0); concatenation needs rank ≥ 1");
        int d = NormDimFor("Concat", dim, rank);
        var shape = first.Shape;
        long total = 0;
        for (int k = 0; k < tensors.Count; k++)
        {
            var t = tensors[k];
            RequireCpu(t, "Concat", $"tensors[{k}]");
            if (t.DType != first.DType)
                throw new ArgumentException($"Concat: tensors[{k}] is {t.DType}, tensors[0] is {first.DType}");
            bool ok = t.Rank == rank;
            for (int i = 0; ok && i < rank; i++) ok = i == d || t.ShapeSpan[i] == shape[i];
            if (!ok)
                throw new ShapeMismatchException(
                    $"Concat: tensors[{k}] [{ShapeUtil.Format(t.ShapeSpan)}] must match tensors[0] [{ShapeUtil.Format(first.ShapeSpan)}] in every dimension but {d}");
            total += t.ShapeSpan[d];
        }
        shape[d] = checked((int)total);
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
        Require(x.Rank > 0, "Slice", "x is a scalar (rank 0)");
        int d = NormDimFor("Slice", dim, x.Rank);
        int size = x.ShapeSpan[d];
        if (start < 0 || length < 0 || (long)start + length > size)
            throw new ArgumentOutOfRangeException(nameof(start),
                $"Slice: range [{start}, {(long)start + length}) is outside dimension {d} (size {size}) of x [{ShapeUtil.Format(x.ShapeSpan)}]");
        var shape = x.Shape;
        shape[d] = length;
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
        Require(x.Rank > 0, "Split", "x is a scalar (rank 0)");
        int d = NormDimFor("Split", dim, x.Rank);
        long sum = 0;
        foreach (int s in sizes)
        {
            if (s < 0) throw new ArgumentException($"Split: negative size {s} in sizes [{ShapeUtil.Format(sizes)}]");
            sum += s;
        }
        if (sum != x.ShapeSpan[d])
            throw new ShapeMismatchException(
                $"Split: sizes [{ShapeUtil.Format(sizes)}] add up to {sum}, dimension {d} of x [{ShapeUtil.Format(x.ShapeSpan)}] is {x.ShapeSpan[d]}");
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
        int rank = x.Rank;
        if (dims.Length != rank)
            throw new ArgumentException($"Permute: dims [{ShapeUtil.Format(dims)}] has {dims.Length} entries, x [{ShapeUtil.Format(x.ShapeSpan)}] has rank {rank}");
        var norm = new int[rank];
        var seen = new bool[rank];
        for (int i = 0; i < rank; i++)
        {
            int p = dims[i] < 0 ? dims[i] + rank : dims[i];
            if (p < 0 || p >= rank || seen[p])
                throw new ArgumentException($"Permute: dims [{ShapeUtil.Format(dims)}] is not a permutation of 0..{rank - 1}");
            seen[p] = true;
            norm[i] = p;
        }
        var shape = new int[rank];
        for (int i = 0; i < rank; i++) shape[i] = x.ShapeSpan[norm[i]];
        var y = Empty(shape, x.DType);
        CpuPermute.Run((byte*)x.DataPointer, (byte*)y.DataPointer, x.ShapeSpan, norm, x.DType.Size(), Threads);
        return y;
    }

    // ---- helpers -----------------------------------------------------------------------------------

    internal static int NormDimFor(string op, int dim, int rank)
    {
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= rank) throw new ArgumentOutOfRangeException(nameof(dim), dim, $"{op}: dimension {dim} is out of range for rank {rank}");
        return d;
    }

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
