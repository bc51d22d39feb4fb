namespace FastVideo.Models.Smoke;

/// <summary>
/// A Wan2.1 <c>AutoencoderKLWan</c> (diffusers 0.35.2, <c>is_residual false</c>, no attention outside the mid
/// blocks): its <c>config.json</c> and parameter list, generalised from the golden <c>wan_vae</c> checkpoint.
/// <para>Structure (diffusers' <c>WanEncoder3d</c>/<c>WanDecoder3d</c>), with m = dim_mult and b = base_dim:</para>
/// <code>
/// encoder dims = b·[1, m…]; for each stage i: num_res_blocks residual blocks dims[i]→dims[i+1], then (not after the
///   last stage) a downsample (3d when temperal_downsample[i]: + time_conv); all in one list down_blocks.{k}
/// decoder dims = b·[m[-1], reversed m…]; stage i takes dims[i] (halved for i > 0: the previous upsample halves the
///   channels) → dims[i+1] with num_res_blocks + 1 residual blocks, then (not the last stage) upsamplers.0 to half
///   the channels (3d when reversed(temperal_downsample)[i]: + time_conv doubling channels for two frames)
/// mid_block = resnets.0, attentions.0 (RMS gamma [C,1,1], to_qkv/proj 1×1 Conv2d), resnets.1
/// </code>
/// </summary>
internal sealed record SmokeVaeRecipe
{
    public int BaseDim { get; init; } = 8;
    public int ZDim { get; init; } = 16;
    public int[] DimMult { get; init; } = [1, 2, 4, 4];
    public int NumResBlocks { get; init; } = 1;
    public bool[] TemperalDownsample { get; init; } = [false, true, true];

    /// <summary>Wan2.1's latent statistics (diffusers' defaults), which the pipeline uses to (de)normalise latents.</summary>
    public static readonly double[] LatentsMean =
        [-0.7571, -0.7089, -0.9113, 0.1075, -0.1745, 0.9653, -0.1517, 1.5508, 0.4134, -0.0715, 0.5517, -0.3632, -0.1922, -0.9497, 0.2503, -0.2921];
    public static readonly double[] LatentsStd =
        [2.8184, 1.4541, 2.3275, 2.6558, 1.2196, 1.7708, 2.6052, 2.0743, 3.2687, 2.1526, 2.8652, 1.5579, 1.6382, 1.1253, 2.8251, 1.916];

    public PyDict Config() => new()
    {
        { "_class_name", "AutoencoderKLWan" },
        { "_diffusers_version", SmokeModel.DiffusersVersion },
        { "attn_scales", Array.Empty<double>() },
        { "base_dim", BaseDim },
        { "decoder_base_dim", null },
        { "dim_mult", DimMult },
        { "dropout", 0.0 },
        { "in_channels", 3 },
        { "is_residual", false },
        { "latents_mean", LatentsMean },
        { "latents_std", LatentsStd },
        { "num_res_blocks", NumResBlocks },
        { "out_channels", 3 },
        { "patch_size", null },
        { "scale_factor_spatial", 1 << (DimMult.Length - 1) },
        { "scale_factor_temporal", 1 << TemperalDownsample.Count(t => t) },
        { "temperal_downsample", TemperalDownsample },
        { "z_dim", ZDim },
    };

    public ParameterList Parameters()
    {
        if (TemperalDownsample.Length != DimMult.Length - 1)
            throw new InvalidOperationException($"temperal_downsample has {TemperalDownsample.Length} entries, dim_mult {DimMult.Length}: expected one fewer");
        var p = new ParameterList();
        int stages = DimMult.Length;

        var enc = new int[stages + 1];
        enc[0] = BaseDim;
        for (int i = 0; i < stages; i++) enc[i + 1] = BaseDim * DimMult[i];
        p.Layer("encoder.conv_in", enc[0], 3, 3, 3, 3);
        int k = 0;
        for (int i = 0; i < stages; i++)
        {
            int c = enc[i];
            for (int r = 0; r < NumResBlocks; r++, c = enc[i + 1])
                Residual(p, $"encoder.down_blocks.{k++}", c, enc[i + 1]);
            if (i != stages - 1)
                Downsample(p, $"encoder.down_blocks.{k++}", enc[i + 1], TemperalDownsample[i]);
        }
        MidBlock(p, "encoder.mid_block", enc[^1]);
        p.Add(ParameterSpec.Gain("encoder.norm_out.gamma", enc[^1], 1, 1, 1));
        p.Layer("encoder.conv_out", 2 * ZDim, enc[^1], 3, 3, 3);
        p.Layer("quant_conv", 2 * ZDim, 2 * ZDim, 1, 1, 1);
        p.Layer("post_quant_conv", ZDim, ZDim, 1, 1, 1);

        var dec = new int[stages + 1];
        dec[0] = BaseDim * DimMult[^1];
        for (int i = 0; i < stages; i++) dec[i + 1] = BaseDim * DimMult[stages - 1 - i];
        p.Layer("decoder.conv_in", dec[0], ZDim, 3, 3, 3);
        MidBlock(p, "decoder.mid_block", dec[0]);
        for (int i = 0; i < stages; i++)
        {
            int c = i > 0 ? dec[i] / 2 : dec[i];
            int outDim = dec[i + 1];
            for (int r = 0; r < NumResBlocks + 1; r++, c = outDim)
                Residual(p, $"decoder.up_blocks.{i}.resnets.{r}", c, outDim);
            if (i != stages - 1)
            {
                var u = $"decoder.up_blocks.{i}.upsamplers.0";
                p.Layer($"{u}.resample.1", outDim / 2, outDim, 3, 3);
                if (TemperalDownsample[stages - 2 - i])
                    p.Layer($"{u}.time_conv", outDim * 2, outDim, 3, 1, 1);
            }
        }
        p.Add(ParameterSpec.Gain("decoder.norm_out.gamma", dec[^1], 1, 1, 1));
        // The goldens draw the last convolution at a quarter of the usual variance, keeping decoded pixels mostly in [-1, 1].
        p.Add(ParameterSpec.ScaledWeight("decoder.conv_out.weight", 0.25, 3, dec[^1], 3, 3, 3));
        p.Add(ParameterSpec.Bias("decoder.conv_out.bias", 3));
        return p;
    }

    /// <summary>WanResidualBlock: RMS norm1 → SiLU → conv1 (3³) → RMS norm2 → SiLU → conv2, plus a 1³ shortcut when widths differ.</summary>
    private static void Residual(ParameterList p, string prefix, int inDim, int outDim)
    {
        p.Add(ParameterSpec.Gain($"{prefix}.norm1.gamma", inDim, 1, 1, 1));
        p.Layer($"{prefix}.conv1", outDim, inDim, 3, 3, 3);
        p.Add(ParameterSpec.Gain($"{prefix}.norm2.gamma", outDim, 1, 1, 1));
        p.Layer($"{prefix}.conv2", outDim, outDim, 3, 3, 3);
        if (inDim != outDim) p.Layer($"{prefix}.conv_shortcut", outDim, inDim, 1, 1, 1);
    }

    /// <summary>WanResample down: ZeroPad2d + stride-2 Conv2d (<c>resample.1</c>), plus a stride-2 causal time conv in 3d mode.</summary>
    private static void Downsample(ParameterList p, string prefix, int dim, bool temporal)
    {
        p.Layer($"{prefix}.resample.1", dim, dim, 3, 3);
        if (temporal) p.Layer($"{prefix}.time_conv", dim, dim, 3, 1, 1);
    }

    private static void MidBlock(ParameterList p, string prefix, int dim)
    {
        Residual(p, $"{prefix}.resnets.0", dim, dim);
        p.Add(ParameterSpec.Gain($"{prefix}.attentions.0.norm.gamma", dim, 1, 1));
        p.Layer($"{prefix}.attentions.0.to_qkv", 3 * dim, dim, 1, 1);
        p.Layer($"{prefix}.attentions.0.proj", dim, dim, 1, 1);
        Residual(p, $"{prefix}.resnets.1", dim, dim);
    }
}
