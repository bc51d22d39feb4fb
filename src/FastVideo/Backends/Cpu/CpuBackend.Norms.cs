using FastVideo.Tensors;

namespace FastVideo.Backends.Cpu;

public sealed partial class CpuBackend
{
    public Tensor Softmax(Tensor x) => throw new NotImplementedException("Softmax");
    public Tensor LayerNorm(Tensor x, Tensor? weight, Tensor? bias, float eps) => throw new NotImplementedException("LayerNorm");
    public Tensor RmsNorm(Tensor x, Tensor? weight, float eps) => throw new NotImplementedException("RmsNorm");
    public Tensor RmsNormChannels(Tensor x, Tensor? gamma, Tensor? bias, float eps = 1e-12f) => throw new NotImplementedException("RmsNormChannels");
    public Tensor ApplyRope(Tensor x, Tensor cos, Tensor sin) => throw new NotImplementedException("ApplyRope");
    public Tensor Embedding(Tensor weight, Tensor ids) => throw new NotImplementedException("Embedding");
    public Tensor Sum(Tensor x, int dim, bool keepDim = false) => throw new NotImplementedException("Sum");
    public Tensor Mean(Tensor x, int dim, bool keepDim = false) => throw new NotImplementedException("Mean");
}
