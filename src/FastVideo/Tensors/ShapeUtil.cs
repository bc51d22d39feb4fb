namespace FastVideo.Tensors;

public static class ShapeUtil
{
    public static long Numel(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"negative dimension in shape [{Format(shape)}]");
            n = checked(n * d);
        }
        return n;
    }

    public static string Format(ReadOnlySpan<int> shape)
    {
        var parts = new string[shape.Length];
        for (int i = 0; i < shape.Length; i++) parts[i] = shape[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
        return string.Join(", ", parts);
    }

    public static int NormDim(int dim, int rank)
    {
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= rank) throw new ArgumentOutOfRangeException(nameof(dim), dim, $"dimension out of range for rank {rank}");
        return d;
    }

    /// <summary>Row-major strides in elements.</summary>
    public static long[] Strides(ReadOnlySpan<int> shape)
    {
        var s = new long[shape.Length];
        long acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
        return s;
    }

    public static int[] ResolveReshape(ReadOnlySpan<int> from, ReadOnlySpan<int> to)
    {
        long n = Numel(from);
        var r = to.ToArray();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < r.Length; i++)
        {
            if (r[i] == -1)
            {
                if (infer >= 0) throw new ArgumentException($"reshape [{Format(from)}] -> [{Format(to)}]: more than one -1");
                infer = i;
            }
            else if (r[i] < 0) throw new ArgumentException($"reshape [{Format(from)}] -> [{Format(to)}]: negative dimension");
            else known *= r[i];
        }
        if (infer >= 0)
        {
            if (known == 0 || n % known != 0) throw new ShapeMismatchException($"reshape [{Format(from)}] -> [{Format(to)}]: cannot infer -1");
            r[infer] = (int)(n / known);
        }
        if (Numel(r) != n) throw new ShapeMismatchException($"reshape [{Format(from)}] ({n} elements) -> [{Format(to)}] ({Numel(r)} elements)");
        return r;
    }

    /// <summary>NumPy broadcasting of two shapes; throws naming both shapes when incompatible.</summary>
    public static int[] Broadcast(ReadOnlySpan<int> a, ReadOnlySpan<int> b, string op = "broadcast")
    {
        int rank = Math.Max(a.Length, b.Length);
        var r = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da != db && da != 1 && db != 1)
                throw new ShapeMismatchException($"{op}: shapes [{Format(a)}] and [{Format(b)}] do not broadcast (dimension {i}: {da} vs {db})");
            r[i] = da == 1 ? db : da;
        }
        return r;
    }
}
