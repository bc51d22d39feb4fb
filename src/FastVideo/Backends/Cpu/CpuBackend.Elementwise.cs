using FastVideo.Tensors;

namespace FastVideo.Backends.Cpu;

public sealed partial class CpuBackend
{
    public Tensor Full(ReadOnlySpan<int> shape, float value, DType dtype = DType.F32) => throw new NotImplementedException("Full");
    public Tensor Add(Tensor a, Tensor b) => throw new NotImplementedException("Add");
    public Tensor Sub(Tensor a, Tensor b) => throw new NotImplementedException("Sub");
    public Tensor Mul(Tensor a, Tensor b) => throw new NotImplementedException("Mul");
    public Tensor Div(Tensor a, Tensor b) => throw new NotImplementedException("Div");
    public Tensor Axpby(float alpha, Tensor a, float beta, Tensor b) => throw new NotImplementedException("Axpby");
    public Tensor Scale(Tensor x, float scale, float bias = 0f) => throw new NotImplementedException("Scale");
    public Tensor Modulate(Tensor x, Tensor scale, Tensor shift) => throw new NotImplementedException("Modulate");
    public Tensor AddGated(Tensor x, Tensor y, Tensor gate) => throw new NotImplementedException("AddGated");
    public Tensor Clamp(Tensor x, float min, float max) => throw new NotImplementedException("Clamp");
    public Tensor Gelu(Tensor x, GeluApproximation approximation = GeluApproximation.None) => throw new NotImplementedException("Gelu");
    public Tensor Silu(Tensor x) => throw new NotImplementedException("Silu");
}
