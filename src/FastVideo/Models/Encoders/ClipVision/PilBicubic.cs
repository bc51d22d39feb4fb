namespace FastVideo.Models.Encoders.ClipVision;

/// <summary>
/// Pillow's <c>Image.resize(size, resample)</c> for 8-bit images. Every filter but NEAREST goes through
/// libImaging/Resample.c: separable, horizontal pass first (skipped when the width is unchanged, likewise the
/// vertical one), each output sample a normalised, antialiased convolution: for output x, center = (x + 0.5)·scale,
/// filterscale = max(scale, 1), support = filter support·filterscale, taps from ⌊center − support + 0.5⌋ to
/// ⌊center + support + 0.5⌋ clipped to the image, weights w(t) = filter((t − center + 0.5)/filterscale) normalised to
/// sum 1, then quantised to 22-bit fixed point (round half away from zero); each pass rounds (+2²¹) and clamps its
/// result to 0..255. Filters (support): BOX 1 on (−½, ½] (½), BILINEAR triangle (1), HAMMING sinc·(0.54 + 0.46 cos)
/// (1; Pillow's constants are the float literals 0.54f and 0.46f), BICUBIC Keys a = −0.5 (2), LANCZOS sinc(x)·sinc(x/3) (3).
/// NEAREST is libImaging/Geometry.c's ImagingScaleAffine: source column ⌊x₀⌋ with x₀ = scale/2 advanced by += scale
/// per output column in double precision (the same for rows).
/// </summary>
internal static class PilBicubic
{
    private const int PrecisionBits = 32 - 8 - 2;
    private const double HammingA = 0.54f, HammingB = 0.46f;

    private static double Filter(PilFilter filter, double x) => filter switch
    {
        PilFilter.Box => x > -0.5 && x <= 0.5 ? 1.0 : 0.0,
        PilFilter.Bilinear => Math.Abs(x) < 1.0 ? 1.0 - Math.Abs(x) : 0.0,
        PilFilter.Hamming => Hamming(x),
        PilFilter.Lanczos => Lanczos(x),
        _ => Bicubic(x),
    };

    private static double Support(PilFilter filter) => filter switch
    {
        PilFilter.Box => 0.5,
        PilFilter.Bilinear or PilFilter.Hamming => 1.0,
        PilFilter.Lanczos => 3.0,
        _ => 2.0,
    };

    private static double Sinc(double x)
    {
        if (x == 0.0) return 1.0;
        x *= Math.PI;
        return Math.Sin(x) / x;
    }

    private static double Lanczos(double x) => -3.0 <= x && x < 3.0 ? Sinc(x) * Sinc(x / 3) : 0.0;

    private static double Hamming(double x)
    {
        if (x < 0.0) x = -x;
        if (x == 0.0) return 1.0;
        if (x >= 1.0) return 0.0;
        x *= Math.PI;
        // Resample.c writes the window with float literals (0.54f + 0.46f·cos x, evaluated in double): their float
        // values, not 0.54/0.46, set the weights, which moves a rounding edge in ~1 sample per image.
        return Math.Sin(x) / x * (HammingA + HammingB * Math.Cos(x));
    }

    private static double Bicubic(double x)
    {
        const double a = -0.5;
        if (x < 0) x = -x;
        if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
        if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
        return 0;
    }

    /// <summary>Tap bounds (first input index, count) and fixed-point weights for each output position.</summary>
    private static (int[] Start, int[] Count, int[] Weights, int KSize) Coefficients(int inSize, int outSize, PilFilter filter)
    {
        double scale = (double)inSize / outSize;
        double filterScale = Math.Max(scale, 1.0);
        double support = Support(filter) * filterScale;
        int ksize = (int)Math.Ceiling(support) * 2 + 1;
        var start = new int[outSize];
        var count = new int[outSize];
        var weights = new int[checked(outSize * ksize)];
        var k = new double[ksize];
        for (int xx = 0; xx < outSize; xx++)
        {
            double center = (xx + 0.5) * scale;
            double ss = 1.0 / filterScale;
            int xmin = Math.Max(0, (int)(center - support + 0.5));
            int xmax = Math.Min(inSize, (int)(center + support + 0.5)) - xmin;
            double ww = 0;
            for (int x = 0; x < xmax; x++)
            {
                k[x] = Filter(filter, (x + xmin - center + 0.5) * ss);
                ww += k[x];
            }
            for (int x = 0; x < xmax; x++)
            {
                double v = ww != 0 ? k[x] / ww : k[x];
                weights[xx * ksize + x] = v < 0 ? (int)(-0.5 + v * (1 << PrecisionBits)) : (int)(0.5 + v * (1 << PrecisionBits));
            }
            start[xx] = xmin;
            count[xx] = xmax;
        }
        return (start, count, weights, ksize);
    }

    private static byte Clip8(int ss) => (byte)Math.Clamp(ss >> PrecisionBits, 0, 255);

    /// <summary>Resizes an interleaved 8-bit image [h, w, channels] to [outH, outW, channels].</summary>
    /// <exception cref="ArgumentException">a size is not positive, or the result or the intermediate of the two passes
    /// would not fit one array (index math is 64-bit throughout; only the array length is bounded).</exception>
    public static byte[] Resize(ReadOnlySpan<byte> src, int h, int w, int channels, int outH, int outW, PilFilter filter = PilFilter.Bicubic)
    {
        if (h < 1 || w < 1 || outH < 1 || outW < 1 || channels < 1)
            throw new ArgumentException($"resize {w}×{h} → {outW}×{outH} ({channels} channels): sizes must be positive");
        if (src.Length != (long)h * w * channels)
            throw new ArgumentException($"resize: {src.Length} bytes do not hold a {w}×{h} image of {channels} channels");
        if ((long)outH * outW * channels > Array.MaxLength || (long)h * outW * channels > Array.MaxLength)
            throw new ArgumentException($"resize {w}×{h} → {outW}×{outH} ({channels} channels) is larger than one array can hold");
        if (outH == h && outW == w) return src.ToArray();
        if (filter == PilFilter.Nearest) return Nearest(src, h, w, channels, outH, outW);
        byte[] cur = src.ToArray();
        int curW = w;
        if (outW != w)
        {
            var (start, count, weights, ks) = Coefficients(w, outW, filter);
            var dst = new byte[(long)h * outW * channels];
            for (long y = 0; y < h; y++)
                for (int xx = 0; xx < outW; xx++)
                    for (int c = 0; c < channels; c++)
                    {
                        int ss = 1 << (PrecisionBits - 1);
                        for (int x = 0; x < count[xx]; x++)
                            ss += cur[(y * w + start[xx] + x) * channels + c] * weights[xx * ks + x];
                        dst[(y * outW + xx) * channels + c] = Clip8(ss);
                    }
            cur = dst;
            curW = outW;
        }
        if (outH != h)
        {
            var (start, count, weights, ks) = Coefficients(h, outH, filter);
            var dst = new byte[(long)outH * curW * channels];
            for (int yy = 0; yy < outH; yy++)
                for (long x = 0; x < curW; x++)
                    for (int c = 0; c < channels; c++)
                    {
                        int ss = 1 << (PrecisionBits - 1);
                        for (int y = 0; y < count[yy]; y++)
                            ss += cur[(((long)start[yy] + y) * curW + x) * channels + c] * weights[yy * ks + y];
                        dst[(yy * curW + x) * channels + c] = Clip8(ss);
                    }
            cur = dst;
        }
        return cur;
    }

    /// <summary>ImagingScaleAffine: nearest source pixel by accumulated double-precision coordinates (see the class notes).</summary>
    private static byte[] Nearest(ReadOnlySpan<byte> src, int h, int w, int channels, int outH, int outW)
    {
        static int[] Table(int inSize, int outSize)
        {
            double step = (double)inSize / outSize, pos = step * 0.5;
            var table = new int[outSize];
            for (int i = 0; i < outSize; i++)
            {
                // COORD(v): −1 below zero, else truncation; a position outside the image keeps the zero fill.
                int p = pos < 0 ? -1 : (int)pos;
                table[i] = p < inSize ? p : -1;
                pos += step;
            }
            return table;
        }
        var xs = Table(w, outW);
        var ys = Table(h, outH);
        var dst = new byte[(long)outH * outW * channels];
        for (long y = 0; y < outH; y++)
            for (long x = 0; x < outW; x++)
                for (int c = 0; c < channels; c++)
                    if (ys[y] >= 0 && xs[x] >= 0) dst[(y * outW + x) * channels + c] = src[(int)(((long)ys[y] * w + xs[x]) * channels + c)];
        return dst;
    }
}

/// <summary>Pillow's resampling filters, numbered as <c>PIL.Image.Resampling</c> (the <c>resample</c> of a preprocessor config).</summary>
internal enum PilFilter
{
    /// <summary><c>Image.NEAREST</c>.</summary>
    Nearest = 0,
    /// <summary><c>Image.LANCZOS</c> (diffusers' VaeImageProcessor default).</summary>
    Lanczos = 1,
    /// <summary><c>Image.BILINEAR</c>.</summary>
    Bilinear = 2,
    /// <summary><c>Image.BICUBIC</c> (CLIP image preprocessing).</summary>
    Bicubic = 3,
    /// <summary><c>Image.BOX</c>.</summary>
    Box = 4,
    /// <summary><c>Image.HAMMING</c>.</summary>
    Hamming = 5,
}
