using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FastVideo.Backends.Cpu;

/// <summary>Nearest-neighbour 2× upsampling of one input row: two output rows of 2·W, each element repeated twice.</summary>
internal static unsafe class ConvUpsample
{
    /// <summary>dst[0, 2j] = dst[0, 2j + 1] = src[j]; dst[1, :] = dst[0, :] (dst holds 2 rows of 2·w).</summary>
    public static void Row(float* src, float* dst, int w)
    {
        int j = 0;
        // [a b c d] → [a a b b] [c c d d]: one shuffle per output vector (shufps/vpermilps).
        for (; j + 4 <= w; j += 4)
        {
            var v = Vector128.Load(src + j);
            Vector128.Shuffle(v, Vector128.Create(0, 0, 1, 1)).Store(dst + 2 * j);
            Vector128.Shuffle(v, Vector128.Create(2, 2, 3, 3)).Store(dst + 2 * j + 4);
        }
        for (; j < w; j++) dst[2 * j] = dst[2 * j + 1] = src[j];
        Unsafe.CopyBlockUnaligned(dst + 2L * w, dst, (uint)(2L * w * sizeof(float)));
    }
}
