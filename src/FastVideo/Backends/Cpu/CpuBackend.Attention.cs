using FastVideo.Tensors;

namespace FastVideo.Backends.Cpu;

public sealed partial class CpuBackend
{
    public Tensor Attention(Tensor q, Tensor k, Tensor v, Tensor? mask, float scale) => throw new NotImplementedException("Attention");
}
