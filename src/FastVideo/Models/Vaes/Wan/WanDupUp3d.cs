using FastVideo.Backends;
using FastVideo.Tensors;

namespace FastVideo.Models.Vaes.Wan;

/// <summary>
/// diffusers' <c>DupUp3D</c>, the parameter-free shortcut of a Wan2.2 residual up block, the inverse layout of
/// <see cref="WanAvgDown3d"/>. With f = ft·fs² and r = out·f/in: every channel is repeated r times
/// (<c>repeat_interleave</c>), and the out·f repeated channels are unfolded into ft×fs×fs cells (channel
/// o·f + it·fs² + ih·fs + iw goes to frame t·ft + it, row h·fs + ih, column w·fs + iw). On the decoder's first
/// chunk the first ft − 1 frames are dropped, matching the temporal upsampler, which passes that chunk through.
/// x: [B, in, T, H, W] → [B, out, T·ft (− (ft − 1) on the first chunk), H·fs, W·fs].
/// </summary>
internal sealed class WanDupUp3d
{
    private readonly IBackend _backend;
    private readonly int _in, _out, _ft, _fs, _repeats;

    public WanDupUp3d(IBackend backend, int inChannels, int outChannels, int factorT, int factorS)
    {
        _backend = backend;
        _in = inChannels;
        _out = outChannels;
        _ft = factorT;
        _fs = factorS;
        int f = factorT * factorS * factorS;
        if (outChannels * f % inChannels != 0)
            throw new ArgumentException($"DupUp3D: {outChannels}·{f} channels are not a whole number of copies of {inChannels}");
        _repeats = outChannels * f / inChannels;
    }

    public Tensor Forward(Tensor x, bool firstChunk)
    {
        if (x.Rank != 5 || x.Size(1) != _in)
            throw new ShapeMismatchException($"DupUp3D: x must be [B, {_in}, T, H, W], got [{ShapeUtil.Format(x.ShapeSpan)}]");
        int b = x.Size(0), t = x.Size(2), h = x.Size(3), w = x.Size(4), f = _ft * _fs * _fs;
        Tensor repeated;
        // repeat_interleave along channels as a broadcast add of zeros: x + 0 is x exactly (NaN and ±∞ included).
        using (var rows = x.Reshape(b, _in, 1, t * h * w))
        using (var zeros = _backend.Zeros([1, 1, _repeats, 1]))
            repeated = _backend.Add(rows, zeros);                            // [B, in, r, T·H·W] = [B·out, f, T, H·W]
        Tensor byFrame;
        using (repeated)
        using (var v = repeated.Reshape(b * _out, f, t, h * w))
            byFrame = _backend.Permute(v, [0, 2, 1, 3]);                      // [B·out, T, f, H·W]
        Tensor cells;
        using (byFrame)
        using (var v = byFrame.Reshape(b * _out * t, _ft, _fs, _fs, h, w))
            cells = _backend.Permute(v, [0, 1, 4, 2, 5, 3]);                 // [B·out·T, ft, H, fs, W, fs]
        var y = cells.Reshape(b, _out, t * _ft, h * _fs, w * _fs);
        cells.Dispose();
        if (!firstChunk || _ft == 1) return y;
        using (y) return _backend.Slice(y, 2, _ft - 1, t * _ft - (_ft - 1));
    }
}
