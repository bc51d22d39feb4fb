namespace FastVideo.Backends.Cpu;

/// <summary>
/// Source of a GEMM's B operand (K×N) that exists only implicitly (the im2col matrix of a convolution): writes
/// columns [j0, j0+nc) and depth [k0, k0+kc) in <see cref="GemmPack.PackB"/>'s layout — ⌈nc/nr⌉ panels of kc
/// steps, panel p at dst + p·nr·kc, element (k, j) at panel[k·nr + j], zero past column nc. Called concurrently
/// by the GEMM's threads on disjoint column ranges.
/// </summary>
internal unsafe interface IGemmBPacker
{
    void Pack(int j0, int nc, int k0, int kc, int nr, float* dst);
}
