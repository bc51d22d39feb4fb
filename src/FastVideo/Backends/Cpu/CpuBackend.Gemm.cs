using FastVideo.Tensors;

namespace FastVideo.Backends.Cpu;

public sealed partial class CpuBackend
{
    public Tensor MatMul(Tensor a, Tensor b, bool transposeB = false, float alpha = 1f) => throw new NotImplementedException("MatMul");
    public Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null) => throw new NotImplementedException("Linear");
}
