using FastVideo.Backends;
using FastVideo.Tensors;

namespace FastVideo.Models.Vaes.Wan;

/// <summary>
/// diffusers' <c>AvgDown3D</c>, the parameter-free shortcut of a Wan2.2 residual down block. With factors ft (time)
/// and fs (space), f = ft·fs² and g = in·f/out: x is front-padded with (ft − T mod ft) mod ft zero frames, every
/// ft×fs×fs cell is folded into channels (channel c·f + it·fs² + ih·fs + iw), and each output channel o is the mean
/// of the g consecutive folded channels [o·g, (o+1)·g).
/// x: [B, in, T, H, W] → [B, out, ⌈T/ft⌉, H/fs, W/fs].
/// </summary>
internal sealed class WanAvgDown3d
{
    private readonly IBackend _backend;
    private readonly int _in, _out, _ft, _fs, _group;

    public WanAvgDown3d(IBackend backend, int inChannels, int outChannels, int factorT, int factorS)
    {
        _backend = backend;
        _in = inChannels;
        _out = outChannels;
        _ft = factorT;
        _fs = factorS;
        int f = factorT * factorS * factorS;
        // WanVaeConfig.Validate names the config keys when this fails; here it guards internal misuse.
        if (inChannels * f % outChannels != 0)
            throw new ArgumentException($"AvgDown3D: {inChannels}·{f} channels cannot be averaged in equal groups into {outChannels}");
        _group = inChannels * f / outChannels;
    }

    public Tensor Forward(Tensor x)
    {
        int b = x.Size(0), t = x.Size(2), h = x.Size(3), w = x.Size(4);
        if (x.Size(1) != _in || h % _fs != 0 || w % _fs != 0)
            throw new ShapeMismatchException($"AvgDown3D: x must be [B, {_in}, T, H, W] with H and W multiples of {_fs}, got [{ShapeUtil.Format(x.ShapeSpan)}]");
        int pad = (_ft - t % _ft) % _ft;
        Tensor padded;
        if (pad == 0) padded = x.Share();
        else
        {
            using var zeros = _backend.Zeros([b, _in, pad, h, w]);
            padded = _backend.Concat([zeros, x], 2);
        }
        int t2 = (t + pad) / _ft, h2 = h / _fs, w2 = w / _fs, f = _ft * _fs * _fs;
        // Two permutes of rank ≤ 6 (what every backend's permute takes) instead of diffusers' single rank-8 one.
        Tensor cells;
        using (padded)
        using (var v = padded.Reshape(b * _in * t2, _ft, h2, _fs, w2, _fs))
            cells = _backend.Permute(v, [0, 1, 3, 5, 2, 4]);                 // [B·in·T', ft, fs, fs, H', W']
        Tensor folded;
        using (cells)
        using (var v = cells.Reshape(b * _in, t2, f, h2 * w2))
            folded = _backend.Permute(v, [0, 2, 1, 3]);                       // [B·in, f, T', H'·W']
        using (folded)
        using (var groups = folded.Reshape(b, _out, _group, t2, h2, w2))
            return _backend.Mean(groups, 2);
    }
}
