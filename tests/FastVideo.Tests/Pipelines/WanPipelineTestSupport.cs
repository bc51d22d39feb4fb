using System.Text.Json;
using System.Text.Json.Nodes;
using FastVideo.Entrypoints;
using FastVideo.Tests.Support;

namespace FastVideo.Tests.Pipelines;

/// <summary>
/// Pipeline folders for the pipeline tests, assembled in a temporary directory from the golden components by
/// symbolic links (nothing is copied): the saved tiny T2V pipeline with another scheduler, an I2V pipeline from
/// the I2V transformer + VAE + UMT5 + CLIP goldens, or folders with a class or component changed or missing.
/// </summary>
internal sealed class PipelineFolder : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "fv-pipeline-" + Guid.NewGuid().ToString("N"));
    private readonly JsonObject _index;

    private PipelineFolder(string className)
    {
        Directory.CreateDirectory(Path);
        _index = new JsonObject { ["_class_name"] = className, ["_diffusers_version"] = "0.35.2" };
    }

    /// <summary>The saved golden T2V pipeline (<c>wan_pipeline_t2v/pipeline</c>), every component linked.</summary>
    public static PipelineFolder GoldenT2V(string className = "WanPipeline")
    {
        var src = Golden.Path_("wan_pipeline_t2v", "pipeline");
        var f = new PipelineFolder(className);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(System.IO.Path.Combine(src, "model_index.json")));
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.Name is "_class_name" or "_diffusers_version") continue;
            f._index[p.Name] = JsonNode.Parse(p.Value.GetRawText());
            if (Directory.Exists(System.IO.Path.Combine(src, p.Name)))
                Directory.CreateSymbolicLink(System.IO.Path.Combine(f.Path, p.Name), System.IO.Path.Combine(src, p.Name));
        }
        return f.Save();
    }

    /// <summary>
    /// A tiny WanImageToVideoPipeline: the golden I2V transformer, VAE, UMT5 and CLIP vision models, the golden
    /// tokenizer and UniPC scheduler, and a CLIPImageProcessor config for the 32-pixel CLIP model.
    /// </summary>
    public static PipelineFolder TinyI2V()
    {
        var t2v = Golden.Path_("wan_pipeline_t2v", "pipeline");
        var f = new PipelineFolder("WanImageToVideoPipeline");
        f.Link("scheduler", "diffusers", "UniPCMultistepScheduler", System.IO.Path.Combine(t2v, "scheduler"));
        f.Link("tokenizer", "transformers", "T5Tokenizer", System.IO.Path.Combine(t2v, "tokenizer"));
        f.Link("text_encoder", "transformers", "UMT5EncoderModel", Golden.Path_("umt5_encoder", "model"));
        f.Link("transformer", "diffusers", "WanTransformer3DModel", Golden.Path_("wan_transformer_i2v", "model"));
        f.Link("vae", "diffusers", "AutoencoderKLWan", Golden.Path_("wan_vae", "model"));
        f.Link("image_encoder", "transformers", "CLIPVisionModelWithProjection", Golden.Path_("clip_vision", "model"));
        var processor = System.IO.Path.Combine(f.Path, "image_processor");
        Directory.CreateDirectory(processor);
        File.WriteAllText(System.IO.Path.Combine(processor, "preprocessor_config.json"), """
            {
              "crop_size": {"height": 32, "width": 32},
              "do_center_crop": true, "do_normalize": true, "do_rescale": true, "do_resize": true,
              "image_mean": [0.48145466, 0.4578275, 0.40821073],
              "image_processor_type": "CLIPImageProcessor",
              "image_std": [0.26862954, 0.26130258, 0.27577711],
              "resample": 3, "rescale_factor": 0.00392156862745098,
              "size": {"shortest_edge": 32}
            }
            """);
        f._index["image_processor"] = new JsonArray("transformers", "CLIPImageProcessor");
        f._index["transformer_2"] = new JsonArray(null, null);
        return f.Save();
    }

    /// <summary>Links <paramref name="source"/> as component <paramref name="name"/> (replacing any previous entry).</summary>
    public PipelineFolder Link(string name, string library, string className, string source)
    {
        var dst = System.IO.Path.Combine(Path, name);
        if (Directory.Exists(dst)) Directory.Delete(dst);
        Directory.CreateSymbolicLink(dst, source);
        _index[name] = new JsonArray(library, className);
        return Save();
    }

    /// <summary>Sets a model_index.json entry (a component's [library, class] or an attribute).</summary>
    public PipelineFolder Set(string key, JsonNode? value)
    {
        _index[key] = value;
        return Save();
    }

    /// <summary>Removes a component entry and its folder link.</summary>
    public PipelineFolder Remove(string name)
    {
        _index.Remove(name);
        var dst = System.IO.Path.Combine(Path, name);
        if (Directory.Exists(dst)) Directory.Delete(dst);
        return Save();
    }

    private PipelineFolder Save()
    {
        File.WriteAllText(System.IO.Path.Combine(Path, "model_index.json"), _index.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return this;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

/// <summary>The call of the T2V pipeline golden (<c>wan_pipeline_t2v/manifest.json</c>).</summary>
internal static class WanPipelineGoldenCall
{
    public const long Seed = 6101;

    public static GenerationRequest Request(SchedulerKind scheduler = SchedulerKind.Checkpoint)
    {
        using var manifest = JsonDocument.Parse(File.ReadAllBytes(Golden.Path_("wan_pipeline_t2v", "manifest.json")));
        var call = manifest.RootElement.GetProperty("call");
        return new GenerationRequest
        {
            Prompt = call.GetProperty("prompt").GetString()!,
            NegativePrompt = call.GetProperty("negative_prompt").GetString()!,
            Height = call.GetProperty("height").GetInt32(),
            Width = call.GetProperty("width").GetInt32(),
            NumFrames = call.GetProperty("num_frames").GetInt32(),
            Steps = call.GetProperty("num_inference_steps").GetInt32(),
            GuidanceScale = call.GetProperty("guidance_scale").GetSingle(),
            MaxSequenceLength = call.GetProperty("max_sequence_length").GetInt32(),
            FlowShift = 3.0f, // both golden schedulers use shift 3 (scheduler configs in the manifest)
            Seed = Seed,
            Scheduler = scheduler,
        };
    }
}

/// <summary>An <see cref="IProgress{T}"/> that records synchronously (Progress&lt;T&gt; posts to the thread pool).</summary>
internal sealed class RecordingProgress<T>(Action<T>? onReport = null) : IProgress<T>
{
    public List<T> Reports { get; } = new();

    public void Report(T value)
    {
        Reports.Add(value);
        onReport?.Invoke(value);
    }
}
