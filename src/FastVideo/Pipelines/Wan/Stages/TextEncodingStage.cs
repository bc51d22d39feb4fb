using FastVideo.Backends;
using FastVideo.Models.Encoders.Umt5;
using FastVideo.Models.Tokenizers;
using FastVideo.Tensors;

namespace FastVideo.Pipelines.Wan.Stages;

/// <summary>
/// WanPipeline's <c>encode_prompt</c>: for the prompt, and for the negative prompt when classifier-free guidance
/// is on (scale &gt; 1):
/// <code>
/// text   = prompt_clean(prompt)                          (ftfy fix, HTML unescape twice, whitespace collapsed)
/// ids, m = tokenizer(text, padding="max_length", max_length=L, truncation=True)      [1, L]
/// embeds = UMT5(ids, m).last_hidden_state, rows at or past sum(m) set to 0            [1, L, d_model]
/// </code>
/// </summary>
public sealed class TextEncodingStage(T5Tokenizer tokenizer, Umt5EncoderModel textEncoder, IBackend backend) : PipelineStage<WanBatch>
{
    protected override IEnumerable<StageCheck<WanBatch>> InputChecks =>
    [
        new("prompt", b => !string.IsNullOrWhiteSpace(b.Request.Prompt), "must not be empty"),
        new("max_sequence_length", b => b.Request.MaxSequenceLength >= 1, "must be at least 1"),
    ];

    protected override IEnumerable<StageCheck<WanBatch>> OutputChecks =>
    [
        new("prompt_embeds", b => HasShape(b.PromptEmbeds, 1, b.Request.MaxSequenceLength, textEncoder.Config.DModel),
            $"must be [1, max_sequence_length, {textEncoder.Config.DModel}]"),
        new("negative_prompt_embeds", b => b.Request.DoClassifierFreeGuidance
                ? HasShape(b.NegativePromptEmbeds, 1, b.Request.MaxSequenceLength, textEncoder.Config.DModel)
                : b.NegativePromptEmbeds is null,
            "must be [1, max_sequence_length, d_model] with guidance, absent without"),
    ];

    protected override void Forward(WanBatch batch, PipelineContext context)
    {
        var r = batch.Request;
        (batch.PromptTokens, batch.PromptEmbeds) = Encode(r.Prompt, r.MaxSequenceLength);
        if (batch.Trace is { } trace)
        {
            trace.PromptTokens = batch.PromptTokens;
            trace.PromptEmbeds = TracedTensor.Of(batch.PromptEmbeds);
        }
        if (!r.DoClassifierFreeGuidance) return;
        context.Cancellation.ThrowIfCancellationRequested();
        (batch.NegativePromptTokens, batch.NegativePromptEmbeds) = Encode(r.NegativePrompt, r.MaxSequenceLength);
        if (batch.Trace is { } t)
        {
            t.NegativePromptTokens = batch.NegativePromptTokens;
            t.NegativePromptEmbeds = TracedTensor.Of(batch.NegativePromptEmbeds);
        }
    }

    /// <summary>Tokens and masked embeddings of one text (diffusers' <c>_get_t5_prompt_embeds</c> for a batch of one).</summary>
    public (TokenizedBatch Tokens, Tensor Embeds) Encode(string text, int maxSequenceLength)
    {
        var tokens = tokenizer.EncodeBatch([PromptCleaner.Clean(text)], maxSequenceLength);
        using var ids = tokens.InputIdsTensor(backend.Allocator);
        using var mask = tokens.AttentionMaskTensor(backend.Allocator);
        return (tokens, textEncoder.EncodePrompts(ids, mask));
    }
}
