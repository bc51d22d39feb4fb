using FastVideo.Backends;
using FastVideo.Models.Dits.Wan;
using FastVideo.Models.Encoders.ClipVision;
using FastVideo.Models.Encoders.Umt5;
using FastVideo.Tensors;

namespace FastVideo.Cli.RunModule;

/// <summary>
/// The forwards <c>fastvideo run-module</c> runs, one per <see cref="ModuleKind"/>. Each loads the model from its
/// folder (single or sharded safetensors), runs it once and returns its outputs under the goldens' names.
/// Inputs were checked for presence by name; their dtypes and shapes are the model's to check.
/// </summary>
internal static partial class ModuleRunners
{
    /// <summary>
    /// diffusers <c>WanTransformer3DModel.forward(hidden_states, timestep, encoder_hidden_states, encoder_hidden_states_image)</c>
    /// → <c>output</c>. timestep as diffusers takes it: [B] or [1] of any float or integer dtype, or [B, N] per patch
    /// token (Wan2.2 TI2V); encoder_hidden_states_image for models with image_dim ([2B, Li, D] for FLF2V).
    /// </summary>
    public static readonly ModuleSpec Transformer = new(
        ModuleKind.Transformer, "WanTransformer3DModel",
        ["hidden_states", "timestep", "encoder_hidden_states"], ["encoder_hidden_states_image"], ["output"],
        (backend, folder, inputs) =>
        {
            using var model = WanTransformer3DModel.FromFolder(backend, folder);
            var image = inputs.GetValueOrDefault("encoder_hidden_states_image");
            var output = model.Forward(inputs["hidden_states"], inputs["timestep"], inputs["encoder_hidden_states"], image);
            return [new("output", output)];
        });

    /// <summary>
    /// transformers <c>UMT5EncoderModel(input_ids, attention_mask).last_hidden_state</c>, and what
    /// <c>WanPipeline._get_t5_prompt_embeds</c> makes of it (positions at or past each row's length zeroed) when a
    /// mask is given.
    /// </summary>
    public static readonly ModuleSpec Umt5 = new(
        ModuleKind.Umt5, "UMT5EncoderModel",
        ["input_ids"], ["attention_mask"], ["last_hidden_state", "wan_prompt_embeds"],
        (backend, folder, inputs) =>
        {
            using var model = Umt5EncoderModel.FromFolder(backend, folder);
            var mask = inputs.GetValueOrDefault("attention_mask");
            var hidden = model.Forward(inputs["input_ids"], mask);
            if (mask is null) return [new("last_hidden_state", hidden)];
            try
            {
                var embeds = ZeroPastLength(backend, hidden, mask);
                return [new("last_hidden_state", hidden), new("wan_prompt_embeds", embeds)];
            }
            catch
            {
                hidden.Dispose();
                throw;
            }
        });

    /// <summary>transformers <c>CLIPVisionModelWithProjection(pixel_values)</c> with hidden_states[-2], as the Wan I2V pipeline reads it.</summary>
    public static readonly ModuleSpec Clip = new(
        ModuleKind.Clip, "CLIPVisionModelWithProjection",
        ["pixel_values"], [], ["penultimate_hidden_state", "last_hidden_state", "image_embeds"],
        (backend, folder, inputs) =>
        {
            using var model = ClipVisionModelWithProjection.FromFolder(backend, folder);
            // ClipVisionOutput owns three tensors; they are handed on (Share) and its own references released.
            using var o = model.Forward(inputs["pixel_values"]);
            return [new("penultimate_hidden_state", o.PenultimateHiddenState.Share()),
                    new("last_hidden_state", o.LastHiddenState.Share()),
                    new("image_embeds", o.ImageEmbeds.Share())];
        });

    /// <summary>
    /// hidden [B, L, D] with every position j ≥ n_b zeroed, n_b = number of mask entries &gt; 0 in row b: the
    /// same rule as <see cref="Umt5EncoderModel.EncodePrompts"/>, applied to the hidden state already computed
    /// (EncodePrompts would run the encoder a second time). The mask was validated by the forward.
    /// </summary>
    private static Tensor ZeroPastLength(IBackend backend, Tensor hidden, Tensor mask)
    {
        int batch = hidden.Size(0), length = hidden.Size(1);
        var m = mask.DType == DType.I64 ? mask.ToArray<long>() : mask.ToArray<int>().Select(x => (long)x).ToArray();
        var keep = new float[batch * length];
        for (int b = 0; b < batch; b++)
        {
            int n = 0;
            for (int j = 0; j < length; j++) if (m[b * length + j] > 0) n++;
            keep.AsSpan(b * length, n).Fill(1f);
        }
        using var keepT = Tensor.FromHost<float>(backend.Allocator, keep, [batch, length, 1]);
        return backend.Mul(hidden, keepT);
    }
}
