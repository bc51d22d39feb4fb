using FastVideo.Backends;
using FastVideo.Tensors;

namespace FastVideo.Tests.Parity;

/// <summary>
/// A deliberately broken backend for testing the parity suite itself: forwards to an inner backend, but Add
/// is off by 1%, Mul returns a NaN in its first element, Softmax is declared unsupported and Gelu is not
/// implemented. Every other op forwards unchanged.
/// </summary>
internal sealed class FaultyBackend(IBackend inner) : IBackend
{
    public string Name => "faulty";
    public Device Device => inner.Device;
    public IAllocator Allocator => inner.Allocator;
    public bool Supports(Op op, DType dtype) => op != Op.Softmax && inner.Supports(op, dtype);
    public void Synchronize() => inner.Synchronize();
    public void Dispose() => inner.Dispose();

    public Tensor Add(Tensor a, Tensor b)
    {
        using var y = inner.Add(a, b);
        return inner.Scale(y, 1.01f);
    }

    public Tensor Mul(Tensor a, Tensor b)
    {
        var y = inner.Mul(a, b);
        var v = y.ToArray<float>();
        v[0] = float.NaN;
        y.CopyFrom<float>(v);
        return y;
    }

    public Tensor Gelu(Tensor x, GeluApproximation approximation = GeluApproximation.None) => throw new NotImplementedException("Gelu");

    public Tensor Empty(ReadOnlySpan<int> shape, DType dtype = DType.F32) => inner.Empty(shape, dtype);
    public Tensor Full(ReadOnlySpan<int> shape, float value, DType dtype = DType.F32) => inner.Full(shape, value, dtype);
    public Tensor Copy(Tensor x) => inner.Copy(x);
    public Tensor Cast(Tensor x, DType dtype) => inner.Cast(x, dtype);
    public Tensor MatMul(Tensor a, Tensor b, bool transposeB = false, float alpha = 1) => inner.MatMul(a, b, transposeB, alpha);
    public Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null) => inner.Linear(x, weight, bias);
    public Tensor Sub(Tensor a, Tensor b) => inner.Sub(a, b);
    public Tensor Div(Tensor a, Tensor b) => inner.Div(a, b);
    public Tensor Axpby(float alpha, Tensor a, float beta, Tensor b) => inner.Axpby(alpha, a, beta, b);
    public Tensor Scale(Tensor x, float scale, float bias = 0) => inner.Scale(x, scale, bias);
    public Tensor Modulate(Tensor x, Tensor scale, Tensor shift) => inner.Modulate(x, scale, shift);
    public Tensor AddGated(Tensor x, Tensor y, Tensor gate) => inner.AddGated(x, y, gate);
    public Tensor Clamp(Tensor x, float min, float max) => inner.Clamp(x, min, max);
    public Tensor Silu(Tensor x) => inner.Silu(x);
    public Tensor Softmax(Tensor x) => inner.Softmax(x);
    public Tensor LayerNorm(Tensor x, Tensor? weight, Tensor? bias, float eps) => inner.LayerNorm(x, weight, bias, eps);
    public Tensor RmsNorm(Tensor x, Tensor? weight, float eps) => inner.RmsNorm(x, weight, eps);
    public Tensor RmsNormChannels(Tensor x, Tensor? gamma, Tensor? bias, float eps = 1e-12f) => inner.RmsNormChannels(x, gamma, bias, eps);
    public Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, (int H, int W) stride, (int Top, int Bottom, int Left, int Right) padding) =>
        inner.Conv2d(x, weight, bias, stride, padding);
    public Tensor Conv3d(Tensor x, Tensor weight, Tensor? bias, (int T, int H, int W) stride, (int Front, int Back, int Top, int Bottom, int Left, int Right) padding) =>
        inner.Conv3d(x, weight, bias, stride, padding);
    public Tensor UpsampleNearest2x(Tensor x) => inner.UpsampleNearest2x(x);
    public Tensor Attention(Tensor q, Tensor k, Tensor v, Tensor? mask, float scale) => inner.Attention(q, k, v, mask, scale);
    public Tensor ApplyRope(Tensor x, Tensor cos, Tensor sin) => inner.ApplyRope(x, cos, sin);
    public Tensor Embedding(Tensor weight, Tensor ids) => inner.Embedding(weight, ids);
    public Tensor Concat(IReadOnlyList<Tensor> tensors, int dim) => inner.Concat(tensors, dim);
    public Tensor Slice(Tensor x, int dim, int start, int length) => inner.Slice(x, dim, start, length);
    public Tensor[] Split(Tensor x, ReadOnlySpan<int> sizes, int dim) => inner.Split(x, sizes, dim);
    public Tensor Permute(Tensor x, ReadOnlySpan<int> dims) => inner.Permute(x, dims);
    public Tensor Sum(Tensor x, int dim, bool keepDim = false) => inner.Sum(x, dim, keepDim);
    public Tensor Mean(Tensor x, int dim, bool keepDim = false) => inner.Mean(x, dim, keepDim);
}
