using FastVideo.Attention;
using FastVideo.Backends;
using FastVideo.Tensors;

namespace FastVideo.Tests.Attention;

/// <summary>
/// Host double-precision attention in the token-major layout of <see cref="IAttentionBackend"/>: the
/// independent reference for attention backends (and a stand-in to run models without a backend kernel).
/// </summary>
internal sealed class NaiveAttention(IBackend backend) : IAttentionBackend
{
    public string Name => "naive-double";

    public Tensor Attend(Tensor q, Tensor k, Tensor v, float scale, VideoGrid? grid = null)
    {
        SdpaAttention.Validate(q, k, v);
        var o = Reference(q.ToArray<float>(), q.ShapeSpan, k.ToArray<float>(), k.Size(1), v.ToArray<float>(), v.Size(3), scale);
        var shape = q.Shape;
        shape[3] = v.Size(3);
        var r = new float[o.Length];
        for (int i = 0; i < r.Length; i++) r[i] = (float)o[i];
        return Tensor.FromHost<float>(backend.Allocator, r, shape);
    }

    /// <summary>q [B, Nq, H, D], k [B, Nk, H, D], v [B, Nk, H, Dv] → [B, Nq, H, Dv] in double.</summary>
    public static double[] Reference(float[] q, ReadOnlySpan<int> qShape, float[] k, int nk, float[] v, int dv, double scale)
    {
        int b = qShape[0], nq = qShape[1], h = qShape[2], d = qShape[3];
        var o = new double[(long)b * nq * h * dv];
        var s = new double[nk];
        for (int bi = 0; bi < b; bi++)
            for (int hi = 0; hi < h; hi++)
                for (int i = 0; i < nq; i++)
                {
                    double max = double.NegativeInfinity;
                    long qo = (((long)bi * nq + i) * h + hi) * d;
                    for (int j = 0; j < nk; j++)
                    {
                        long ko = (((long)bi * nk + j) * h + hi) * d;
                        double acc = 0;
                        for (int c = 0; c < d; c++) acc += (double)q[qo + c] * k[ko + c];
                        s[j] = acc * scale;
                        max = Math.Max(max, s[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < nk; j++) sum += s[j] = Math.Exp(s[j] - max);
                    long oo = (((long)bi * nq + i) * h + hi) * dv;
                    for (int j = 0; j < nk; j++)
                    {
                        long vo = (((long)bi * nk + j) * h + hi) * dv;
                        double p = s[j] / sum;
                        for (int c = 0; c < dv; c++) o[oo + c] += p * v[vo + c];
                    }
                }
        return o;
    }
}
