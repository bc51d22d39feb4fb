namespace FastVideo.Backends.Cpu;

/// <summary>
/// Shape of one 3-D convolution (a 2-D one is the case T = KT = ST = 1 with no temporal padding), all sizes
/// in elements. Output sizes follow PyTorch: To = (T + Front + Back − KT) / ST + 1, and likewise for H and W.
/// The reduction index of the im2col matrix is k = ((c·KT + kt)·KH + kh)·KW + kw, the same order as a weight
/// [O, C, KT, KH, KW] stored row-major, so the weight is used as an [O, K] matrix without repacking.
/// </summary>
internal readonly record struct ConvGeometry(
    int C, int T, int H, int W,
    int O, int KT, int KH, int KW,
    int ST, int SH, int SW,
    int PadFront, int PadTop, int PadLeft,
    int To, int Ho, int Wo)
{
    /// <summary>Rows of the im2col matrix (= columns of the weight matrix): C·KT·KH·KW.</summary>
    public int K => C * KT * KH * KW;

    /// <summary>Output positions per sample and channel: To·Ho·Wo.</summary>
    public long P => (long)To * Ho * Wo;

    /// <summary>Input elements per sample: C·T·H·W.</summary>
    public long InputPerSample => (long)C * T * H * W;

    /// <summary>A 1×1×1 kernel with unit stride and no padding is a plain GEMM over channels.</summary>
    public bool IsPointwise => KT == 1 && KH == 1 && KW == 1 && ST == 1 && SH == 1 && SW == 1
        && PadFront == 0 && PadTop == 0 && PadLeft == 0 && To == T && Ho == H && Wo == W;

    /// <summary>PyTorch's output size for one dimension, or a non-positive value when the kernel does not fit.</summary>
    public static int OutputSize(int input, int padBefore, int padAfter, int kernel, int stride)
    {
        long span = (long)input + padBefore + padAfter - kernel;
        return span < 0 ? 0 : (int)(span / stride + 1); // C# division truncates toward zero, so test the sign first
    }
}
