using BenchmarkDotNet.Running;
using FastVideo.Benchmarks;

// `quick [rounds] [shape ...]`: the short alternating GEMM comparison (seconds, not minutes).
// Anything else goes to BenchmarkDotNet, e.g. `--filter *Gemm* --job short`.
if (args.Length > 0 && args[0] == "quick")
{
    QuickGemm.Run(args[1..]);
    return;
}
if (args.Length > 0 && args[0] == "packlab")
{
    PackLab.Run(args[1..]);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
