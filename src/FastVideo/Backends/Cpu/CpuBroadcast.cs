using FastVideo.Tensors;

namespace FastVideo.Backends.Cpu;

/// <summary>
/// NumPy broadcasting of up to three operands onto one output, reduced to the fewest loops:
/// output dimensions of size 1 are dropped and adjacent dimensions are merged wherever every operand is
/// contiguous across them. What remains is rows of <see cref="Inner"/> elements in which each operand is
/// either contiguous (stride 1) or a repeated scalar (stride 0). The common cases collapse to one row
/// (same shapes), a row vector repeated over rows ([M, N] with [N]) or a scalar per row (per-channel
/// [N, C, S] with [C, 1]).
/// </summary>
internal sealed class BroadcastPlan
{
    /// <summary>The broadcast output shape (uncollapsed).</summary>
    public int[] OutShape { get; }
    /// <summary>Collapsed output dimensions; the last is the row length. Never empty.</summary>
    private readonly long[] _dims;
    /// <summary>Per operand, collapsed strides in elements (0 where broadcast).</summary>
    private readonly long[][] _strides;

    public long Numel { get; }
    public long Inner => _dims[^1];
    public long Rows => Numel == 0 ? 0 : Numel / Inner;
    public int Operands => _strides.Length;

    /// <summary>Whether operand k is a repeated scalar within a row.</summary>
    public bool InnerScalar(int k) => _strides[k][^1] == 0;

    public BroadcastPlan(string op, string[] names, params Tensor[] operands)
    {
        int rank = 0;
        foreach (var t in operands) rank = Math.Max(rank, t.Rank);
        var outShape = new int[rank];
        for (int i = 0; i < rank; i++) outShape[i] = 1;
        for (int k = 0; k < operands.Length; k++)
        {
            var s = operands[k].ShapeSpan;
            for (int i = 0; i < s.Length; i++)
            {
                int o = rank - s.Length + i;
                if (s[i] == outShape[o] || s[i] == 1) continue;
                if (outShape[o] == 1) { outShape[o] = s[i]; continue; }
                throw new ShapeMismatchException(
                    $"{op}: {names[k]} [{ShapeUtil.Format(s)}] does not broadcast with {Describe(names, operands, k)} " +
                    $"(dimension {o} of the result: {outShape[o]} vs {s[i]})");
            }
        }
        OutShape = outShape;
        Numel = ShapeUtil.Numel(outShape);

        // Full-rank strides per operand with 0 on broadcast dimensions.
        var full = new long[operands.Length][];
        for (int k = 0; k < operands.Length; k++)
        {
            var s = operands[k].ShapeSpan;
            var st = new long[rank];
            long acc = 1;
            for (int i = s.Length - 1; i >= 0; i--)
            {
                int o = rank - s.Length + i;
                st[o] = s[i] == 1 ? 0 : acc;
                acc *= s[i];
            }
            full[k] = st;
        }

        // Drop unit dimensions, then merge neighbours that are contiguous for every operand.
        var dims = new List<long>();
        var strides = new List<long>[operands.Length];
        for (int k = 0; k < operands.Length; k++) strides[k] = new List<long>();
        for (int i = 0; i < rank; i++)
        {
            if (outShape[i] == 1) continue;
            bool merge = dims.Count > 0;
            for (int k = 0; k < operands.Length && merge; k++)
                merge = strides[k][^1] == full[k][i] * outShape[i];
            if (merge)
            {
                dims[^1] *= outShape[i];
                for (int k = 0; k < operands.Length; k++) strides[k][^1] = full[k][i];
            }
            else
            {
                dims.Add(outShape[i]);
                for (int k = 0; k < operands.Length; k++) strides[k].Add(full[k][i]);
            }
        }
        if (dims.Count == 0)
        {
            dims.Add(1);
            for (int k = 0; k < operands.Length; k++) strides[k].Add(0);
        }
        _dims = dims.ToArray();
        _strides = new long[operands.Length][];
        for (int k = 0; k < operands.Length; k++) _strides[k] = strides[k].ToArray();
    }

    private static string Describe(string[] names, Tensor[] operands, int upTo)
    {
        var parts = new List<string>();
        for (int k = 0; k < upTo; k++) parts.Add($"{names[k]} [{ShapeUtil.Format(operands[k].ShapeSpan)}]");
        return string.Join(" and ", parts);
    }

    /// <summary>
    /// Walks rows [rowStart, rowEnd) and reports each with the element offset of every operand at the row start.
    /// </summary>
    public RowCursor Cursor(long rowStart) => new(this, rowStart);

    /// <summary>Offsets of each operand at the start of the current row; advance with <see cref="Next"/>.</summary>
    public sealed class RowCursor
    {
        private readonly BroadcastPlan _plan;
        private readonly long[] _index;
        public readonly long[] Offsets;

        public RowCursor(BroadcastPlan plan, long row)
        {
            _plan = plan;
            int outer = plan._dims.Length - 1;
            _index = new long[outer];
            Offsets = new long[plan.Operands];
            for (int d = outer - 1; d >= 0; d--)
            {
                _index[d] = row % plan._dims[d];
                row /= plan._dims[d];
                for (int k = 0; k < Offsets.Length; k++) Offsets[k] += _index[d] * plan._strides[k][d];
            }
        }

        public void Next()
        {
            for (int d = _index.Length - 1; d >= 0; d--)
            {
                _index[d]++;
                for (int k = 0; k < Offsets.Length; k++) Offsets[k] += _plan._strides[k][d];
                if (_index[d] < _plan._dims[d]) return;
                for (int k = 0; k < Offsets.Length; k++) Offsets[k] -= _index[d] * _plan._strides[k][d];
                _index[d] = 0;
            }
        }
    }
}
