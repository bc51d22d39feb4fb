using FastVideo.Cuda;
using FastVideo.Tensors;
using NUnit.Framework;

namespace FastVideo.Tests.Cuda;

/// <summary>
/// The strided views handed to the broadcast and permute kernels (no GPU needed): for every output element the
/// merged view must address the same input element as the naive full-rank index arithmetic.
/// </summary>
public class LayoutPlanTests
{
    private static long Offset(long flat, long[] shape, long[] strides)
    {
        long off = 0;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            off += flat % shape[d] * strides[d];
            flat /= shape[d];
        }
        return off;
    }

    /// <summary>Naive NumPy broadcast: the flat input index of output element <paramref name="flat"/>.</summary>
    private static long NaiveBroadcast(long flat, int[] outShape, int[] shape)
    {
        var idx = new long[outShape.Length];
        for (int d = outShape.Length - 1; d >= 0; d--)
        {
            idx[d] = flat % outShape[d];
            flat /= outShape[d];
        }
        long off = 0, stride = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            int od = d + outShape.Length - shape.Length;
            if (shape[d] != 1) off += idx[od] * stride;
            stride *= shape[d];
        }
        return off;
    }

    private static readonly int[][][] BroadcastShapes =
    [
        [[3, 1, 7], [7]], [[5, 1, 1], [5, 4, 3]], [[2, 3, 4, 5], [3, 1, 1]], [[4, 1], [1, 5]], [[33, 65], [33, 65]], [[1, 1560, 1536], [1536]],
        [[2, 3, 5], [2, 1, 5], [2, 1, 5]], [[1, 7], [7], [1, 1]], [[1], [1]], [[2, 1, 3, 1, 4, 1, 5], [1, 6, 1, 1, 1, 2, 1]],
        [[4, 3, 2], [4, 1, 2], [1, 3, 1]],
    ];

    [TestCaseSource(nameof(BroadcastShapes))]
    public void BroadcastViewAddressesWhatNumPyWould(int[][] shapes)
    {
        var plan = BroadcastLayout.Plan("test", shapes);
        Assert.That(plan.Shape.Aggregate(1L, (a, b) => a * b), Is.EqualTo(plan.Numel));
        Assert.That(plan.Rank, Is.LessThanOrEqualTo(plan.OutShape.Length == 0 ? 1 : plan.OutShape.Length));
        // Every element of small views; a stride of large ones (NUnit asserts per element would dominate the test).
        long step = Math.Max(1, plan.Numel / 20_000);
        string? first = null;
        for (long i = 0; i < plan.Numel && first == null; i += step)
            for (int k = 0; k < shapes.Length; k++)
            {
                long got = Offset(i, plan.Shape, plan.Strides[k]), want = NaiveBroadcast(i, plan.OutShape, shapes[k]);
                if (got != want) first = $"element {i}, operand {k}: view offset {got}, NumPy offset {want}";
            }
        Assert.That(first, Is.Null);
    }

    [Test]
    public void CommonDitPatternsCollapseToFewDimensions()
    {
        var bias = BroadcastLayout.Plan("test", [1, 1560, 1536], [1536]);
        Assert.That(bias.Shape, Is.EqualTo(new long[] { 1560, 1536 }));
        Assert.That(bias.Strides[1], Is.EqualTo(new long[] { 0, 1 }));
        var same = BroadcastLayout.Plan("test", [2, 3, 4], [2, 3, 4]);
        Assert.That(same.Rank, Is.EqualTo(1));
        Assert.That(same.IsDense(0) && same.IsDense(1));
        var mod = BroadcastLayout.Plan("test", [2, 1560, 1536], [2, 1, 1536], [2, 1, 1536]);
        Assert.That(mod.Rank, Is.EqualTo(3));
        Assert.Throws<ShapeMismatchException>(() => BroadcastLayout.Plan("Add", [3, 4], [5]));
    }

    private static readonly object[] Permutations =
    [
        new object[] { new[] { 2, 3, 4, 5 }, new[] { 0, 2, 1, 3 } }, new object[] { new[] { 2, 3, 4, 5, 6 }, new[] { 0, 2, 3, 4, 1 } },
        new object[] { new[] { 130, 67 }, new[] { 1, 0 } }, new object[] { new[] { 1, 2, 3, 2, 3, 5 }, new[] { 0, 1, 3, 2, 4, 5 } },
        new object[] { new[] { 3, 1, 7 }, new[] { 2, 1, 0 } }, new object[] { new[] { 2, 3, 4 }, new[] { 0, 1, 2 } },
        new object[] { new[] { 2, 1, 3, 1, 4, 1, 5, 2 }, new[] { 7, 0, 1, 2, 3, 4, 5, 6 } },
    ];

    [TestCaseSource(nameof(Permutations))]
    public void PermuteViewAddressesWhatTheDefinitionSays(int[] shape, int[] dims)
    {
        var plan = PermuteLayout.Plan(shape, dims);
        int rank = shape.Length;
        var outShape = dims.Select(d => shape[d]).ToArray();
        var inStrides = ShapeUtil.Strides(shape);
        long n = ShapeUtil.Numel(shape);
        Assert.That(plan.Shape.Aggregate(1L, (a, b) => a * b), Is.EqualTo(n));
        string? first = null;
        for (long i = 0; i < n && first == null; i++)
        {
            long rest = i, expected = 0;
            for (int d = rank - 1; d >= 0; d--)
            {
                expected += rest % outShape[d] * inStrides[dims[d]];
                rest /= outShape[d];
            }
            long got = Offset(i, plan.Shape, plan.InStride);
            if (got != expected) first = $"element {i}: view offset {got}, expected {expected}";
        }
        Assert.That(first, Is.Null);
    }

    [Test]
    public void PermutesThatKeepTheOrderAreCopiesAndNeighboursMerge()
    {
        Assert.That(PermuteLayout.Plan([2, 3, 4], [0, 1, 2]).IsIdentity);
        Assert.That(PermuteLayout.Plan([2, 1, 4], [1, 0, 2]).IsIdentity, "moving a size-1 dim moves no data");
        // [B, C, T, H, W] → [B, T, H, W, C]: T, H, W stay together, so three dims remain.
        Assert.That(PermuteLayout.Plan([2, 5, 3, 4, 6], [0, 2, 3, 4, 1]).Rank, Is.EqualTo(3));
    }
}
