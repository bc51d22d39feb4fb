using FastVideo.Tensors;

namespace FastVideo.Backends.Cpu;

public sealed partial class CpuBackend
{
    public Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, (int H, int W) stride, (int Top, int Bottom, int Left, int Right) padding) => throw new NotImplementedException("Conv2d");
    public Tensor Conv3d(Tensor x, Tensor weight, Tensor? bias, (int T, int H, int W) stride,
        (int Front, int Back, int Top, int Bottom, int Left, int Right) padding) => throw new NotImplementedException("Conv3d");
    public Tensor UpsampleNearest2x(Tensor x) => throw new NotImplementedException("UpsampleNearest2x");
}
