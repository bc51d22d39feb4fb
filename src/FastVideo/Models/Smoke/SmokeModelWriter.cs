using System.Text;
using FastVideo.Loading;
using FastVideo.Tensors;

namespace FastVideo.Models.Smoke;

/// <summary>
/// Writes the smoke model's files into a folder: the layout <c>WanPipeline.save_pretrained</c> produces (compare
/// the golden <c>wan_pipeline_t2v/pipeline</c>), plus <c>README.md</c> and the stamp. Every byte is a function of
/// the recipe: same recipe → byte-identical folder on every machine.
/// </summary>
internal static class SmokeModelWriter
{
    public const string WeightsFileDiffusers = "diffusion_pytorch_model.safetensors";
    public const string WeightsFileTransformers = "model.safetensors";

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);
    private static readonly Dictionary<string, string> SafetensorsMetadata = new() { ["format"] = "pt" };

    /// <summary>Writes every file into <paramref name="folder"/> (created if needed), the stamp last.</summary>
    public static void Write(string folder)
    {
        Directory.CreateDirectory(folder);
        var tokenizer = new SmokeTokenizerFiles(SmokeVocabulary.Build());
        var umt5 = SmokeModel.TextEncoderRecipe(tokenizer.Count);

        Text(folder, "model_index.json", PyJson.Dumps(ModelIndex()));
        Text(folder, "scheduler/scheduler_config.json", PyJson.Dumps(SchedulerConfig()));

        Text(folder, "text_encoder/config.json", PyJson.Dumps(umt5.Config()));
        Weights(folder, "text_encoder/" + WeightsFileTransformers, umt5.Parameters(), DType.F32, SmokeModel.Seed + 1);

        File.WriteAllBytes(Prepare(folder, "tokenizer/spiece.model"), tokenizer.SentencePieceModel());
        Text(folder, "tokenizer/tokenizer_config.json", tokenizer.TokenizerConfig());
        Text(folder, "tokenizer/special_tokens_map.json", SmokeTokenizerFiles.SpecialTokensMap());
        Text(folder, "tokenizer/added_tokens.json", tokenizer.AddedTokens());

        Text(folder, "transformer/config.json", PyJson.Dumps(SmokeModel.Transformer.Config()));
        Weights(folder, "transformer/" + WeightsFileDiffusers, SmokeModel.Transformer.Parameters(), SmokeModel.TransformerDType, SmokeModel.Seed + 2);

        Text(folder, "vae/config.json", PyJson.Dumps(SmokeModel.Vae.Config()));
        Weights(folder, "vae/" + WeightsFileDiffusers, SmokeModel.Vae.Parameters(), DType.F32, SmokeModel.Seed + 3);

        Text(folder, "README.md", Readme(tokenizer.Count));
        SmokeStamp.Write(folder);
    }

    /// <summary>model_index.json of a Wan2.1 T2V folder (diffusers 0.35.2), plus a <c>_fastvideo_smoke_model</c>
    /// marker: diffusers ignores keys that start with "_", FastVideo reads it to warn that the model is untrained.</summary>
    internal static PyDict ModelIndex() => new()
    {
        { "_class_name", "WanPipeline" },
        { "_diffusers_version", SmokeModel.DiffusersVersion },
        { SmokeModel.MarkerKey, SmokeModel.FolderName },
        { "boundary_ratio", null },
        { "expand_timesteps", false },
        { "scheduler", new[] { "diffusers", "UniPCMultistepScheduler" } },
        { "text_encoder", new[] { "transformers", "UMT5EncoderModel" } },
        { "tokenizer", new[] { "transformers", "T5Tokenizer" } },
        { "transformer", new[] { "diffusers", "WanTransformer3DModel" } },
        { "transformer_2", new string?[] { null, null } },
        { "vae", new[] { "diffusers", "AutoencoderKLWan" } },
    };

    /// <summary>UniPCMultistepScheduler with the Wan2.1 flow-matching config (as Wan-AI's Diffusers checkpoints ship it).</summary>
    internal static PyDict SchedulerConfig() => new()
    {
        { "_class_name", "UniPCMultistepScheduler" },
        { "_diffusers_version", SmokeModel.DiffusersVersion },
        { "beta_end", 0.02 },
        { "beta_schedule", "linear" },
        { "beta_start", 0.0001 },
        { "disable_corrector", Array.Empty<int>() },
        { "dynamic_thresholding_ratio", 0.995 },
        { "final_sigmas_type", "zero" },
        { "flow_shift", (double)SmokeModel.Preset.FlowShift },
        { "lower_order_final", true },
        { "num_train_timesteps", 1000 },
        { "predict_x0", true },
        { "prediction_type", "flow_prediction" },
        { "rescale_betas_zero_snr", false },
        { "sample_max_value", 1.0 },
        { "shift_terminal", null },
        { "sigma_max", null },
        { "sigma_min", null },
        { "solver_order", 2 },
        { "solver_p", null },
        { "solver_type", "bh2" },
        { "steps_offset", 0 },
        { "thresholding", false },
        { "time_shift_type", "exponential" },
        { "timestep_spacing", "linspace" },
        { "trained_betas", null },
        { "use_beta_sigmas", false },
        { "use_dynamic_shifting", false },
        { "use_exponential_sigmas", false },
        { "use_flow_sigmas", true },
        { "use_karras_sigmas", false },
    };

    /// <summary>Draws every parameter (each from its own <see cref="SmokeRandom.ForName"/> stream, so tensors are drawn
    /// in parallel with the same result) and saves them with diffusers' metadata.</summary>
    private static void Weights(string folder, string relative, IReadOnlyList<ParameterSpec> specs, DType dtype, ulong seed)
    {
        var tensors = new Tensor?[specs.Count];
        try
        {
            Parallel.For(0, specs.Count, i => tensors[i] = Draw(specs[i], dtype, seed));
            SafetensorsWriter.Save(Prepare(folder, relative), specs.Select((s, i) => KeyValuePair.Create(s.Name, tensors[i]!)), SafetensorsMetadata);
        }
        finally
        {
            foreach (var t in tensors) t?.Dispose();
        }
    }

    /// <summary>N(mean, std²) values rounded to float (then to bfloat16, round-to-nearest-even, for BF16).</summary>
    private static Tensor Draw(ParameterSpec s, DType dtype, ulong seed)
    {
        var values = new float[s.Count];
        var rng = SmokeRandom.ForName(seed, s.Name);
        for (int i = 0; i < values.Length; i++) values[i] = (float)(s.Mean + s.Std * rng.NextNormal());
        if (dtype == DType.F32) return Tensor.FromHost(CpuAllocator.Shared, values, s.Shape);
        if (dtype != DType.BF16) throw new ArgumentException($"smoke weights are F32 or BF16, not {dtype}", nameof(dtype));
        var bf = new BFloat16[values.Length];
        for (int i = 0; i < bf.Length; i++) bf[i] = (BFloat16)values[i];
        return Tensor.FromHost(CpuAllocator.Shared, bf, s.Shape);
    }

    private static void Text(string folder, string relative, string content) =>
        File.WriteAllText(Prepare(folder, relative), content, Utf8);

    /// <summary>The full path of a file in the folder, its parent folder created.</summary>
    private static string Prepare(string folder, string relative)
    {
        var path = Path.Combine(folder, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return path;
    }

    private static string Readme(int vocabulary)
    {
        var t = SmokeModel.Transformer;
        var sizes = $"Sizes: transformer {t.NumAttentionHeads} heads × {t.AttentionHeadDim} (dim {t.InnerDim}), {t.NumLayers} layers, " +
            $"ffn {t.FfnDim}, BF16 weights; UMT5 text encoder d_model {SmokeModel.TextEncoderDModel}, vocabulary {vocabulary}; " +
            $"VAE base_dim {SmokeModel.Vae.BaseDim}, num_res_blocks {SmokeModel.Vae.NumResBlocks}.";
        return $"""
            # FastVideo smoke model ({SmokeModel.FolderName}) — UNTRAINED

            This folder was generated by FastVideo.Native (`SmokeModel.EnsureCreated`), not downloaded. It is a tiny
            Wan2.1-architecture text-to-video pipeline in diffusers format (`WanPipeline`: UMT5 text encoder, T5
            tokenizer, WanTransformer3DModel, AutoencoderKLWan, UniPC flow scheduler) whose weights are deterministic
            random numbers. It exists so that `fastvideo generate` runs end to end on any machine in seconds.

            **It has never been trained: its videos are noise-like patterns, not the prompt.** For real videos pass a
            real checkpoint, e.g. `fastvideo generate --model Wan-AI/Wan2.1-T2V-1.3B-Diffusers --prompt "..."`.

            {sizes}

            Deleting this folder is safe: it is rebuilt on the next run. `{SmokeStamp.FileName}` holds the SHA-256 of
            every file; a folder that does not match it is rebuilt.
            """.Replace("\r\n", "\n") + "\n";
    }
}
