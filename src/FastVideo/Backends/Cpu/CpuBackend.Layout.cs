using FastVideo.Tensors;

namespace FastVideo.Backends.Cpu;

public sealed partial class CpuBackend
{
    public Tensor Copy(Tensor x) => throw new NotImplementedException("Copy");
    public Tensor Cast(Tensor x, DType dtype) => throw new NotImplementedException("Cast");
    public Tensor Concat(IReadOnlyList<Tensor> tensors, int dim) => throw new NotImplementedException("Concat");
    public Tensor Slice(Tensor x, int dim, int start, int length) => throw new NotImplementedException("Slice");
    public Tensor[] Split(Tensor x, ReadOnlySpan<int> sizes, int dim) => throw new NotImplementedException("Split");
    public Tensor Permute(Tensor x, ReadOnlySpan<int> dims) => throw new NotImplementedException("Permute");
}
