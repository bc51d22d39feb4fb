using FastVideo.Media;
using System.CommandLine;
using System.Diagnostics;
using FastVideo.Cli.RunModule;
using FastVideo.Loading;
using FastVideo.Tensors;

namespace FastVideo.Cli;

/// <summary>
/// <c>fastvideo run-module &lt;component-folder&gt; --inputs in.safetensors --output out.safetensors [--kind K] [--device cpu]</c>:
/// one forward of one component (transformer, VAE encode/decode, UMT5, CLIP vision) on named tensors, written as
/// named tensors. For checking a port against a reference implementation tensor by tensor.
/// </summary>
internal static class RunModuleCommand
{
    public static Command Create(TextWriter output)
    {
        var folder = new Argument<string>("component-folder")
        {
            Description = "A model folder: config.json + safetensors weights (single file or shard index)",
        };
        var inputs = new Option<string>("--inputs", "-i")
        {
            Description = "safetensors file holding the inputs by name (other tensors in it are ignored)",
            Required = true,
        };
        var outputPath = new Option<string>("--output", "-o")
        {
            Description = "safetensors file to write the outputs to (written whole or not at all)",
            Required = true,
        };
        var overwrite = new Option<bool>("--overwrite")
        {
            Description = "Replace an existing output file (never a folder, link or device)",
        };
        var kind = new Option<string?>("--kind")
        {
            Description = $"What to run ({string.Join(" | ", ModuleKinds.Names)}); default: from config.json's class, the VAE direction from the input present",
        };
        var device = new Option<string>("--device")
        {
            Description = "Backend (cpu | cuda | cuda:N)",
            DefaultValueFactory = _ => "cpu",
        };

        var cmd = new Command("run-module", "Run one component's forward on named tensors from a safetensors file")
        {
            folder, inputs, outputPath, overwrite, kind, device,
        };
        cmd.SetAction((parse, cancellation) =>
        {
            cancellation.ThrowIfCancellationRequested();
            Execute(output, parse.GetRequiredValue(folder), parse.GetRequiredValue(inputs), parse.GetRequiredValue(outputPath),
                parse.GetValue(kind), parse.GetRequiredValue(device), parse.GetValue(overwrite));
            return Task.FromResult(CliApp.ExitOk);
        });
        return cmd;
    }

    private static void Execute(TextWriter o, string folder, string inputsPath, string outputPath, string? kindName, string deviceName, bool overwrite)
    {
        // Usage checks first: everything that is wrong with the command line, before any weight is read.
        var requested = kindName is null ? (ModuleKind?)null : ModuleKinds.Parse(kindName);
        var device = CliDevices.Check(deviceName);
        if (!Directory.Exists(folder))
            throw new UsageException(File.Exists(folder)
                ? $"{folder}: is a file; run-module takes a component folder (config.json + weights)"
                : $"{folder}: component folder not found");
        var inputKind = FileNode.Kind(inputsPath);
        if (inputKind != FileNodeKind.Regular)
            throw new UsageException($"--inputs {inputsPath}: {(inputKind == FileNodeKind.Missing ? "file not found" : $"is {FileNode.Describe(inputKind)}, not a safetensors file")}");
        try
        {
            OutputRules.Check(outputPath, OutputFormat.Safetensors, overwrite);
        }
        catch (OutputPathException e)
        {
            throw new UsageException($"--output {e.Message}");
        }

        ComponentFolder component;
        try
        {
            component = ComponentFolder.Open(folder);
        }
        catch (ModelFolderException e)
        {
            // Not a component folder (e.g. a whole pipeline, or no config.json): the argument is wrong.
            throw new UsageException(e.Message);
        }
        if (component.Kind != ComponentKind.Model)
            throw new UsageException($"{folder}: is a {component.Kind.ToString().ToLowerInvariant()} ({component.ClassName}), not a model; run-module runs models");
        using var source = SafetensorsFile.Open(inputsPath);
        var kind = ModuleKinds.Resolve(component.ClassName, folder, requested);
        if (kind == ModuleKind.Vae) kind = VaeDirection(source, inputsPath);
        var spec = ModuleSpec.For(kind);
        var missing = spec.Inputs.Where(n => !source.Contains(n)).ToList();
        if (missing.Count > 0)
            throw new UsageException($"--inputs {inputsPath}: missing {string.Join(", ", missing.Select(n => $"'{n}'"))}; {ModuleKinds.Describe(kind)} takes {spec.DescribeInputs()}; the file has {DescribeNames(source.Names)}");
        var used = spec.Inputs.Concat(spec.OptionalInputs.Where(source.Contains)).ToList();
        var ignored = source.Names.Where(n => !used.Contains(n)).Order(StringComparer.Ordinal).ToList();

        var (backend, ownsBackend) = CliDevices.Create(device);
        using var backendLifetime = ownsBackend ? backend : null;
        string on = backend is FastVideo.Cuda.CudaBackend cuda ? cuda.CudaDevice.Info.Describe() : device.ToString();
        o.WriteLine($"run-module: {component.ClassName} ({ModuleKinds.Describe(kind)}) from {component.FolderPath} on {on}");
        if (ignored.Count > 0) o.WriteLine($"  ignoring {ignored.Count} other tensor(s) in the inputs: {DescribeNames(ignored)}");

        var loaded = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        IReadOnlyList<KeyValuePair<string, Tensor>> results = [];
        try
        {
            foreach (var name in used)
            {
                loaded[name] = source.Load(name, backend.Allocator);
                o.WriteLine($"  in   {name,-28} {Describe(loaded[name])}");
            }
            var sw = Stopwatch.StartNew();
            results = spec.Run(backend, component.FolderPath, loaded);
            sw.Stop();
            foreach (var (name, t) in results)
                o.WriteLine($"  out  {name,-28} {Describe(t)}");
            SafetensorsWriter.Save(outputPath, results, new Dictionary<string, string>
            {
                ["fastvideo.module"] = component.ClassName,
                ["fastvideo.kind"] = ModuleKinds.Describe(kind),
            }, overwrite);
            o.WriteLine($"  wrote {Path.GetFullPath(outputPath)} (load + forward {sw.Elapsed.TotalSeconds:F2} s)");
        }
        finally
        {
            foreach (var t in loaded.Values) t.Dispose();
            foreach (var (_, t) in results) t.Dispose();
        }
    }

    /// <summary>The VAE runs encode for <c>video</c>, decode for <c>latents</c>; both or neither need <c>--kind</c>.</summary>
    private static ModuleKind VaeDirection(SafetensorsFile source, string path)
    {
        bool video = source.Contains("video"), latents = source.Contains("latents");
        if (video && latents)
            throw new UsageException($"--inputs {path}: has both 'video' and 'latents'; pass --kind vae-encode or --kind vae-decode");
        if (!video && !latents)
            throw new UsageException($"--inputs {path}: the VAE takes 'video' (encode) or 'latents' (decode); the file has {DescribeNames(source.Names)}");
        return video ? ModuleKind.VaeEncode : ModuleKind.VaeDecode;
    }

    private static string Describe(Tensor t) => $"[{ShapeUtil.Format(t.ShapeSpan)}] {t.DType}";

    private static string DescribeNames(IEnumerable<string> names)
    {
        var list = names.Order(StringComparer.Ordinal).ToList();
        if (list.Count == 0) return "no tensors";
        var shown = string.Join(", ", list.Take(12));
        return list.Count > 12 ? $"{shown}, ... (+{list.Count - 12} more)" : shown;
    }
}
