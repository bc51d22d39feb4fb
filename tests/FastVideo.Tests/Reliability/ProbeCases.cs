using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using ImageMagick;

namespace FastVideo.Tests.Reliability;

/// <summary>
/// The reliability probe's cases (docs/RELIABILITY.md lists them): bad command lines, output paths, encoders,
/// signals at every phase, cache folders, damaged model folders, run-module inputs, images, and device commands.
/// </summary>
public static class ProbeCases
{
    private const int SIGHUP = 1, SIGINT = 2, SIGTERM = 15;

    /// <summary>Sockets the cases bound (closed by <see cref="ReliabilityProbe"/> at the end).</summary>
    internal static readonly List<IDisposable> Sockets = [];

    /// <summary>A quick smoke generation (5 frames, 2 steps) plus extra arguments.</summary>
    private static string[] Gen(params string[] extra) =>
        ["generate", .. Defaults(extra, ("-p", "a probe"), ("--steps", "2"), ("--num-frames", "5")), .. extra];

    /// <summary>The default options that <paramref name="extra"/> does not give itself (an option given twice is a
    /// different error than the one a case is about).</summary>
    private static IEnumerable<string> Defaults(string[] extra, params (string Option, string Value)[] defaults) =>
        defaults.Where(d => !extra.Contains(d.Option)).SelectMany(d => new[] { d.Option, d.Value });

    /// <summary>A longer one, so that a signal can land in each phase (30 steps, 41 frames of 128×128).</summary>
    private static string[] LongGen(params string[] extra) =>
        ["generate", .. Defaults(extra, ("-p", "a probe"), ("--steps", "30"), ("--num-frames", "41"), ("--height", "128"), ("--width", "128")), .. extra];

    private static ProbeCase Usage(string name, string[] args, params string[] names) =>
        new(name, 2) { Args = _ => Gen(args), Names = _ => names };

    public static IEnumerable<ProbeCase> All() =>
        Arguments().Concat(Outputs()).Concat(Encoders()).Concat(Signals()).Concat(Caches()).Concat(Models())
            .Concat(RunModule()).Concat(Images()).Concat(Devices());

    // ---- command-line values: exit 2 before any weight is read, the option named ----------------------------
    private static IEnumerable<ProbeCase> Arguments()
    {
        yield return Usage("steps-zero", ["--steps", "0"], "--steps");
        yield return Usage("steps-negative", ["--steps", "-5"], "--steps");
        yield return Usage("steps-int-max", ["--steps", "2147483647"], "--steps");
        yield return Usage("steps-not-a-number", ["--steps", "abc"], "abc");
        yield return Usage("frames-not-1-plus-4k", ["--num-frames", "6"], "--num-frames");
        yield return Usage("frames-zero", ["--num-frames", "0"], "--num-frames");
        yield return Usage("frames-huge", ["--num-frames", "2147483645"], "--num-frames");
        yield return Usage("height-not-16", ["--height", "17"], "--height");
        yield return Usage("width-zero", ["--width", "0"], "--width");
        yield return Usage("height-huge", ["--height", "1073741824"], "--height");
        yield return Usage("guidance-below-one", ["--guidance-scale", "0.5"], "--guidance-scale");
        yield return Usage("guidance-nan", ["--guidance-scale", "NaN"], "--guidance-scale");
        yield return Usage("flow-shift-negative", ["--flow-shift", "-1"], "--flow-shift");
        yield return Usage("scheduler-unknown", ["--scheduler", "ddim9"], "--scheduler");
        yield return Usage("max-seq-zero", ["--max-sequence-length", "0"], "--max-sequence-length");
        yield return Usage("max-seq-65536", ["--max-sequence-length", "65536"], "--max-sequence-length");
        yield return Usage("max-seq-int-max", ["--max-sequence-length", "2147483647"], "--max-sequence-length");
        yield return Usage("seed-negative", ["--seed", "-1"], "--seed");
        yield return Usage("fps-zero", ["--fps", "0"], "--fps");
        yield return Usage("format-unknown", ["--format", "avi"], "--format");
        yield return Usage("device-unknown", ["--device", "tpu"], "--device");
        yield return Usage("attention-unknown", ["--attention-backend", "nope"], "--attention-backend");
        yield return Usage("unknown-option", ["--bogus"], "--bogus");
        yield return Usage("prompt-empty", ["-p", ""], "--prompt");
        yield return new ProbeCase("prompt-missing", 2) { Args = _ => ["generate", "--steps", "2"], Names = _ => ["--prompt"] };
        yield return new ProbeCase("model-missing", 2) { Args = c => Gen("--model", c.P("no-such-model")), Names = c => [c.P("no-such-model")] };
        yield return new ProbeCase("model-is-a-file", 2)
        {
            Setup = c => File.WriteAllText(c.P("model.txt"), "not a model"),
            Args = c => Gen("--model", c.P("model.txt")),
            Names = c => ["model.txt"],
        };
        yield return new ProbeCase("command-unknown", 2) { Args = _ => ["genrate", "-p", "x"], Names = _ => ["genrate"] };
    }

    // ---- output paths: nothing we did not create is deleted or replaced -------------------------------------
    private static IEnumerable<ProbeCase> Outputs()
    {
        yield return Usage("output-empty", ["-o", ""], "--output");
        yield return Usage("output-trailing-slash", ["-o", "newdir/"], "newdir/");
        yield return new ProbeCase("output-parent-is-a-file", 2)
        {
            Setup = c => File.WriteAllText(c.P("afile"), "keep"),
            Args = _ => Gen("-o", "afile/x.mp4"),
            Names = _ => ["afile/x.mp4"],
        };
        yield return new ProbeCase("output-existing-folder-mp4", 2)
        {
            Setup = c => Directory.CreateDirectory(c.P("adir")),
            Args = _ => Gen("-o", "adir"),
            Names = _ => ["adir"],
        };
        yield return new ProbeCase("output-existing-file-refused", 2)
        {
            Setup = c => File.WriteAllText(c.P("v.safetensors"), "keep me"),
            Args = _ => Gen("-o", "v.safetensors"),
            Names = _ => ["v.safetensors", "--overwrite"],
        };
        yield return new ProbeCase("output-existing-file-overwrite", 0)
        {
            Setup = c => File.WriteAllText(c.P("v.safetensors"), "replace me"),
            Args = _ => Gen("-o", "v.safetensors", "--overwrite"),
            Replaces = ["v.safetensors"],
            Creates = ["v.safetensors"],
            Verify = c => NUnit.Framework.Assert.That(new FileInfo(c.P("v.safetensors")).Length, NUnit.Framework.Is.GreaterThan(1000)),
        };
        yield return new ProbeCase("png-into-non-empty-folder", 2)
        {
            Setup = c => { Directory.CreateDirectory(c.P("ud")); File.WriteAllText(c.P("ud/keep.txt"), "keep"); },
            Args = _ => Gen("--format", "png", "-o", "ud"),
            Names = _ => ["ud", "--overwrite"],
        };
        yield return new ProbeCase("png-into-non-empty-folder-overwrite", 0)
        {
            Setup = c =>
            {
                Directory.CreateDirectory(c.P("ud"));
                File.WriteAllText(c.P("ud/keep.txt"), "keep");
                File.WriteAllText(c.P("ud/frame_0000.png"), "old frame");
                File.WriteAllText(c.P("ud/frame_0099.png"), "stale frame");
            },
            Args = _ => Gen("--format", "png", "-o", "ud", "--overwrite"),
            Replaces = ["ud/frame_0000.png", "ud/frame_0099.png"],
            Creates = ["ud/frame_0000.png", "ud/frame_0001.png", "ud/frame_0002.png", "ud/frame_0003.png", "ud/frame_0004.png"],
            Verify = c => NUnit.Framework.Assert.That(File.Exists(c.P("ud/frame_0099.png")), NUnit.Framework.Is.False, "stale frame of ours removed"),
        };
        yield return new ProbeCase("png-into-empty-folder", 0)
        {
            Setup = c => Directory.CreateDirectory(c.P("empty")),
            Args = _ => Gen("--format", "png", "-o", "empty"),
            Creates = ["empty/frame_0000.png", "empty/frame_0001.png", "empty/frame_0002.png", "empty/frame_0003.png", "empty/frame_0004.png"],
        };
        yield return new ProbeCase("png-onto-a-file", 2)
        {
            Setup = c => File.WriteAllText(c.P("frames"), "keep"),
            Args = _ => Gen("--format", "png", "-o", "frames"),
            Names = _ => ["frames"],
        };
        yield return new ProbeCase("output-new-nested-folders", 0)
        {
            Args = _ => Gen("-o", "a/b/c/v.safetensors"),
            Creates = ["a", "a/b", "a/b/c", "a/b/c/v.safetensors"],
        };
        yield return new ProbeCase("default-output-never-replaces", 0)
        {
            Setup = c => { Directory.CreateDirectory(c.P("outputs")); File.WriteAllText(c.P("outputs/a-probe-1024.gif"), "an earlier run"); },
            Args = _ => Gen("--format", "gif"),
            Creates = ["outputs/a-probe-1024-2.gif"],
        };
        yield return new ProbeCase("output-device-node", 2)
        {
            NeedsRoot = true,
            Setup = c => Sh($"mknod '{c.P("full")}' c 1 7"),
            Args = _ => Gen("-o", "full"),
            Names = _ => ["full", "character device"],
        };
        yield return new ProbeCase("output-symlink-to-device", 2)
        {
            Setup = c => File.CreateSymbolicLink(c.P("null.mp4"), "/dev/null"),
            Args = _ => Gen("-o", "null.mp4"),
            Names = _ => ["null.mp4", "symbolic link"],
        };
        yield return new ProbeCase("output-symlink-to-device-overwrite", 2)
        {
            Setup = c => File.CreateSymbolicLink(c.P("null.webp"), "/dev/null"),
            Args = _ => Gen("-o", "null.webp", "--overwrite"),
            Names = _ => ["null.webp"],
        };
        yield return new ProbeCase("output-fifo", 2)
        {
            Setup = c => Sh($"mkfifo '{c.P("pipe.gif")}'"),
            Args = _ => Gen("-o", "pipe.gif", "--overwrite"),
            Names = _ => ["pipe.gif", "FIFO"],
            TimeLimitSeconds = 30,
        };
        yield return new ProbeCase("output-socket", 2)
        {
            Setup = c =>
            {
                // Kept open until the probe ends: disposing a bound Unix socket removes its file.
                var s = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
                s.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(c.P("s.safetensors")));
                lock (Sockets) Sockets.Add(s);
            },
            Args = _ => Gen("-o", "s.safetensors", "--overwrite"),
            Names = _ => ["s.safetensors", "socket"],
        };
        yield return new ProbeCase("contact-sheet-path-is-a-folder", 2)
        {
            Setup = c => Directory.CreateDirectory(c.P("v_contact.png")),
            Args = _ => Gen("-o", "v.gif", "--contact-sheet"),
            Names = _ => ["v_contact.png"],
        };
        yield return new ProbeCase("contact-sheet-with-video", 0)
        {
            Args = _ => Gen("-o", "v.gif", "--contact-sheet"),
            Creates = ["v.gif", "v_contact.png"],
        };
        yield return new ProbeCase("output-read-only-filesystem", 2)
        {
            NeedsMount = true,
            Setup = c => { Directory.CreateDirectory(c.P("ro")); Sh($"mount -t tmpfs -o ro,size=1m tmpfs '{c.P("ro")}'"); },
            Args = _ => Gen("-o", "ro/v.gif"),
            Names = _ => ["ro/v.gif", "read-only"],
            Verify = c => Sh($"umount '{c.P("ro")}'"),
        };
        yield return new ProbeCase("output-full-filesystem", 1)
        {
            NeedsMount = true,
            Setup = c => { Directory.CreateDirectory(c.P("tiny")); Sh($"mount -t tmpfs -o size=16k tmpfs '{c.P("tiny")}'"); },
            Args = _ => Gen("-o", "tiny/v.safetensors"),
            Names = _ => ["tiny/v.safetensors"],
            Verify = c =>
            {
                NUnit.Framework.Assert.That(Directory.GetFileSystemEntries(c.P("tiny")), NUnit.Framework.Is.Empty, "nothing left on the full file system");
                Sh($"umount '{c.P("tiny")}'");
            },
        };
    }

    // ---- encoders -----------------------------------------------------------------------------------------
    private static string Script(ProbeContext c, string name, string body)
    {
        var path = Path.Combine(c.Dir, "..", $"{Path.GetFileName(c.Dir)}-{name}");
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return Path.GetFullPath(path);
    }

    private static Dictionary<string, string> Encoder(ProbeContext c, string body, string? timeout = null)
    {
        var env = new Dictionary<string, string> { ["FASTVIDEO_FFMPEG"] = Script(c, "encoder", body) };
        if (timeout != null) env["FASTVIDEO_ENCODER_TIMEOUT"] = timeout;
        return env;
    }

    /// <summary>A fake encoder that writes part of its output, then stops reading (and ignores SIGINT/SIGTERM).</summary>
    private const string Stalling = "trap '' INT TERM HUP\nfor a; do last=$a; done\necho partial > \"$last\"\nsleep 300";

    private static IEnumerable<ProbeCase> Encoders()
    {
        yield return new ProbeCase("ffmpeg-variable-missing-file", 2)
        {
            Args = _ => Gen("-o", "v.mp4"),
            Env = c => new() { ["FASTVIDEO_FFMPEG"] = c.P("no-ffmpeg") },
            Names = _ => ["FASTVIDEO_FFMPEG"],
        };
        yield return new ProbeCase("ffmpeg-variable-folder", 2)
        {
            Args = _ => Gen("-o", "v.mp4"),
            Env = c => new() { ["FASTVIDEO_FFMPEG"] = c.Dir },
            Names = _ => ["FASTVIDEO_FFMPEG"],
        };
        yield return new ProbeCase("ffmpeg-variable-not-executable", 2)
        {
            Setup = c => File.WriteAllText(c.P("ff.txt"), "text"),
            Args = _ => Gen("-o", "v.mp4"),
            Env = c => new() { ["FASTVIDEO_FFMPEG"] = c.P("ff.txt") },
            Names = _ => ["FASTVIDEO_FFMPEG", "executable"],
        };
        yield return new ProbeCase("encoder-crashes", 1)
        {
            Args = _ => Gen("-o", "v.mp4"),
            Env = c => Encoder(c, "head -c 1000 >/dev/null\nkill -SEGV $$"),
            Names = _ => ["v.mp4", "signal 11"],
        };
        yield return new ProbeCase("encoder-fails-with-reason", 1)
        {
            Args = _ => Gen("-o", "v.mp4"),
            Env = c => Encoder(c, "for a; do last=$a; done\necho half > \"$last\"\necho 'codec exploded' >&2\nexit 3"),
            Names = _ => ["v.mp4", "codec exploded", "exit code 3"],
        };
        yield return new ProbeCase("encoder-succeeds-writing-nothing", 1)
        {
            Args = _ => Gen("-o", "v.mp4"),
            Env = c => Encoder(c, "cat >/dev/null\nexit 0"),
            Names = _ => ["v.mp4"],
        };
        yield return new ProbeCase("encoder-stalls", 1)
        {
            Args = _ => Gen("-o", "v.mp4"),
            Env = c => Encoder(c, Stalling, timeout: "2"),
            Names = _ => ["v.mp4", "stalled"],
            TimeLimitSeconds = 30,
        };
        yield return new ProbeCase("encoder-timeout-not-a-number", 2)
        {
            Args = _ => Gen("-o", "v.mp4"),
            Env = _ => new() { ["FASTVIDEO_ENCODER_TIMEOUT"] = "soon" },
            Names = _ => ["FASTVIDEO_ENCODER_TIMEOUT"],
        };
        // Out of memory is a message and exit 1, never an abort (finding 3): the managed heap capped at 16 MiB.
        yield return new ProbeCase("out-of-memory", 1)
        {
            Args = _ => LongGen("--steps", "2", "-o", "v.gif"),
            Env = _ => new() { ["DOTNET_GCHeapHardLimit"] = "0x1000000" },
            Names = _ => ["generate ran out of memory"],
        };
        yield return new ProbeCase("ffmpeg-none-writes-webp", 0)
        {
            Args = _ => Gen("-o", "v.mp4"),
            Env = _ => new() { ["FASTVIDEO_FFMPEG"] = "none" },
            Creates = ["v.webp"],
        };
    }

    // ---- signals at each phase, to the process and to its group ------------------------------------------
    private static IEnumerable<ProbeCase> Signals()
    {
        var phases = new (string Name, string After, bool Encoder)[]
        {
            ("loading", "loading text_encoder", false),
            ("denoising", "denoising step 2/", false),
            ("decoding", "decoding 1/", false),
            ("encoding", "decoding 11/11", true),
        };
        foreach (var (sig, code, sigName) in new[] { (SIGINT, 130, "INT"), (SIGTERM, 143, "TERM"), (SIGHUP, 129, "HUP") })
            foreach (var (phase, after, encoder) in phases)
                foreach (var group in new[] { false, true })
                {
                    bool realFfmpeg = encoder && group;
                    yield return new ProbeCase($"SIG{sigName}-{phase}-{(group ? "group" : "process")}", code)
                    {
                        // To the group while encoding: the real ffmpeg (read at its native frame rate, so it is still
                        // encoding) gets the signal too; to the process: a stalled encoder that ignores signals.
                        NeedsFfmpeg = realFfmpeg,
                        Args = _ => LongGen("-o", encoder ? "v.mp4" : "v.gif"),
                        Env = c => !encoder ? new() : realFfmpeg ? Encoder(c, "exec ffmpeg -re \"$@\"") : Encoder(c, Stalling),
                        Signal = new ProbeSignal(sig, after, group, WaitForChild: encoder, DelayMs: encoder ? 300 : 0),
                        Names = _ => ["cancelled"],
                    };
                }
        yield return new ProbeCase("SIGINT-twice-while-encoding", 130)
        {
            Args = _ => LongGen("-o", "v.mp4"),
            Env = c => Encoder(c, Stalling),
            Signal = new ProbeSignal(SIGINT, "decoding 11/11", WaitForChild: true, DelayMs: 300, Repeat: 30),
        };
        yield return new ProbeCase("SIGTERM-twice-while-denoising", 143)
        {
            Args = _ => LongGen("-o", "v.gif"),
            Signal = new ProbeSignal(SIGTERM, "denoising step 2/", Repeat: 5),
        };
    }

    // ---- the smoke model cache ----------------------------------------------------------------------------
    private static IEnumerable<ProbeCase> Caches()
    {
        yield return new ProbeCase("cache-is-a-file", 1)
        {
            Setup = c => File.WriteAllText(c.P("cachefile"), "keep"),
            Args = _ => Gen("-o", "v.gif"),
            Env = c => new() { ["FASTVIDEO_CACHE"] = c.P("cachefile") },
            Names = _ => ["FASTVIDEO_CACHE", "cachefile"],
            TimeLimitSeconds = 20,
        };
        yield return new ProbeCase("cache-under-a-file", 1)
        {
            Setup = c => File.WriteAllText(c.P("cachefile"), "keep"),
            Args = _ => Gen("-o", "v.gif"),
            Env = c => new() { ["FASTVIDEO_CACHE"] = c.P("cachefile/sub") },
            Names = _ => ["FASTVIDEO_CACHE"],
            TimeLimitSeconds = 20,
        };
        yield return new ProbeCase("cache-read-only-filesystem", 1)
        {
            Args = _ => Gen("-o", "v.gif"),
            Env = _ => new() { ["FASTVIDEO_CACHE"] = "/proc/fastvideo-cache" },
            Names = _ => ["FASTVIDEO_CACHE"],
            TimeLimitSeconds = 20,
        };
    }

    // ---- damaged model folders (copies of the smoke model) -----------------------------------------------
    private static void CopyModel(ProbeContext c, string to = "model")
    {
        foreach (var dir in Directory.GetDirectories(c.Smoke, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(c.P(to), Path.GetRelativePath(c.Smoke, dir)));
        foreach (var file in Directory.GetFiles(c.Smoke, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(c.P(to), Path.GetRelativePath(c.Smoke, file)));
    }

    private static ProbeCase Damaged(string name, int exit, Action<ProbeContext> damage, params string[] names) => new(name, exit)
    {
        Setup = c => { CopyModel(c); damage(c); },
        Args = c => Gen("--model", c.P("model"), "-o", "v.gif"),
        Names = _ => names,
    };

    private static void Truncate(string path, long length)
    {
        using var fs = new FileStream(path, FileMode.Open);
        fs.SetLength(length);
    }

    private static IEnumerable<ProbeCase> Models()
    {
        const string tw = "transformer/diffusion_pytorch_model.safetensors", vw = "vae/diffusion_pytorch_model.safetensors";
        yield return Damaged("model-index-missing", 1, c => File.Delete(c.P("model/model_index.json")), "model_index.json");
        yield return Damaged("model-index-bad-json", 1, c => File.WriteAllText(c.P("model/model_index.json"), "{ \"_class_name\": "), "model_index.json");
        yield return Damaged("transformer-weights-missing", 1, c => File.Delete(c.P("model/" + tw)), "transformer");
        yield return Damaged("transformer-weights-truncated", 1, c => Truncate(c.P("model/" + tw), new FileInfo(c.P("model/" + tw)).Length / 2), "diffusion_pytorch_model.safetensors");
        yield return Damaged("transformer-weights-empty", 1, c => Truncate(c.P("model/" + tw), 0), "diffusion_pytorch_model.safetensors");
        yield return Damaged("safetensors-header-claims-huge", 1, c =>
        {
            using var fs = new FileStream(c.P("model/" + vw), FileMode.Open);
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, 1UL << 40);
            fs.Write(len);
        }, "diffusion_pytorch_model.safetensors");
        yield return Damaged("transformer-config-bad-value", 1, c =>
        {
            var cfg = JsonNode.Parse(File.ReadAllText(c.P("model/transformer/config.json")))!;
            cfg["num_layers"] = -3;
            File.WriteAllText(c.P("model/transformer/config.json"), cfg.ToJsonString());
        }, "num_layers");
        yield return Damaged("vae-config-missing", 1, c => File.Delete(c.P("model/vae/config.json")), "config.json");
        yield return Damaged("vae-weights-nan", 1, c => PoisonVae(c.P("model/" + vw)), "decod");
    }

    /// <summary>Every float of every decoder conv weight in the VAE file set to NaN (header untouched).</summary>
    private static void PoisonVae(string path)
    {
        var bytes = File.ReadAllBytes(path);
        long headerLen = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        var header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, (int)headerLen))!.AsObject();
        foreach (var (name, info) in header)
        {
            if (name == "__metadata__" || !name.StartsWith("decoder.conv_out", StringComparison.Ordinal)) continue;
            var offsets = info!["data_offsets"]!.AsArray();
            long start = 8 + headerLen + (long)offsets[0]!, end = 8 + headerLen + (long)offsets[1]!;
            string dtype = (string)info["dtype"]!;
            int size = dtype == "F32" ? 4 : 2;
            for (long at = start; at < end; at += size)
            {
                if (size == 4) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan((int)at), float.NaN);
                else BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan((int)at), 0x7FC0);
            }
        }
        File.WriteAllBytes(path, bytes);
    }

    // ---- run-module --------------------------------------------------------------------------------------
    private static IEnumerable<ProbeCase> RunModule()
    {
        string[] Rm(ProbeContext c, string inputs, string output) => ["run-module", Path.Combine(c.Smoke, "vae"), "--inputs", inputs, "--output", output];
        yield return new ProbeCase("run-module-inputs-missing", 2) { Args = c => Rm(c, c.P("in.safetensors"), "out.safetensors"), Names = _ => ["in.safetensors"] };
        yield return new ProbeCase("run-module-inputs-garbage", 1)
        {
            Setup = c => File.WriteAllText(c.P("in.safetensors"), "garbage, not safetensors"),
            Args = c => Rm(c, c.P("in.safetensors"), "out.safetensors"),
            Names = _ => ["in.safetensors"],
        };
        yield return new ProbeCase("run-module-inputs-no-tensor", 2)
        {
            Setup = c => WriteTensor(c.P("in.safetensors"), "unrelated", [1, 2]),
            Args = c => Rm(c, c.P("in.safetensors"), "out.safetensors"),
            Names = _ => ["in.safetensors"],
        };
        yield return new ProbeCase("run-module-latents-wrong-shape", 1)
        {
            Setup = c => WriteTensor(c.P("in.safetensors"), "latents", [1, 3, 1, 2, 2]),
            Args = c => Rm(c, c.P("in.safetensors"), "out.safetensors"),
            Names = _ => ["latents"],
        };
        yield return new ProbeCase("run-module-output-folder", 2)
        {
            Setup = c => { WriteTensor(c.P("in.safetensors"), "latents", [1, 4, 1, 2, 2]); Directory.CreateDirectory(c.P("outdir")); },
            Args = c => Rm(c, c.P("in.safetensors"), "outdir"),
            Names = _ => ["outdir"],
        };
        yield return new ProbeCase("run-module-output-device", 2)
        {
            NeedsRoot = true,
            Setup = c => { WriteTensor(c.P("in.safetensors"), "latents", [1, 4, 1, 2, 2]); Sh($"mknod '{c.P("dev.safetensors")}' c 1 7"); },
            Args = c => Rm(c, c.P("in.safetensors"), "dev.safetensors"),
            Names = _ => ["dev.safetensors"],
        };
        yield return new ProbeCase("run-module-inputs-fifo", 2)
        {
            Setup = c => Sh($"mkfifo '{c.P("in.safetensors")}'"),
            Args = c => Rm(c, c.P("in.safetensors"), "out.safetensors"),
            Names = _ => ["in.safetensors"],
            TimeLimitSeconds = 30,
        };
    }

    private static void WriteTensor(string path, string name, int[] shape)
    {
        var n = shape.Aggregate(1, (a, b) => a * b);
        using var t = FastVideo.Tensors.Tensor.FromHost<float>(new float[n], shape);
        FastVideo.Loading.SafetensorsWriter.Save(path, new Dictionary<string, FastVideo.Tensors.Tensor> { [name] = t });
    }

    // ---- images for image-to-video ----------------------------------------------------------------------
    private static ProbeCase Image(string name, int exit, Action<ProbeContext, string> make, string file, long rss = 1L << 30, params string[] extra) => new(name, exit)
    {
        NeedsI2V = true,
        Setup = c => make(c, c.P(file)),
        Args = c => ["generate", "--model", c.I2V!, "-p", "a probe", "--image", c.P(file), "--height", "32", "--width", "48",
            "--num-frames", "5", "--steps", "1", "-o", "v.gif"],
        Names = _ => [file, .. extra],
        RssLimitBytes = rss,
        TimeLimitSeconds = 60,
    };

    private static byte[] Encode(MagickFormat format, int w = 40, int h = 56)
    {
        var rgb = new byte[w * h * 3];
        for (int i = 0; i < rgb.Length; i++) rgb[i] = (byte)(i * 37 % 251);
        using var img = new MagickImage(rgb, new PixelReadSettings((uint)w, (uint)h, StorageType.Char, PixelMapping.RGB));
        return img.ToByteArray(format);
    }

    private static IEnumerable<ProbeCase> Images()
    {
        yield return Image("image-ok", 0, (_, p) => File.WriteAllBytes(p, Encode(MagickFormat.Png)), "ok.png") with { Creates = ["v.gif"], Names = null };
        yield return Image("image-zero-bytes", 1, (_, p) => File.WriteAllBytes(p, []), "empty.png");
        yield return Image("image-text-named-png", 1, (_, p) => File.WriteAllText(p, "this is not an image"), "text.png");
        yield return Image("image-png-named-jpg", 0, (_, p) => File.WriteAllBytes(p, Encode(MagickFormat.Png)), "png.jpg") with { Creates = ["v.gif"], Names = null };
        foreach (var (fmt, ext) in new[] { (MagickFormat.Png, "png"), (MagickFormat.Jpeg, "jpg"), (MagickFormat.Gif, "gif"), (MagickFormat.WebP, "webp"), (MagickFormat.Bmp, "bmp") })
            yield return Image($"image-truncated-{ext}", 1, (_, p) => { var b = Encode(fmt, 64, 64); File.WriteAllBytes(p, b[..(b.Length / 2)]); }, $"cut.{ext}");
        yield return Image("image-png-claims-100000x100000", 1, (_, p) => File.WriteAllBytes(p, PngClaiming(100_000, 100_000)), "huge.png", 1L << 30);
        yield return Image("image-jpeg-claims-65000x65000", 1, (_, p) => File.WriteAllBytes(p, JpegClaiming(65_000, 65_000)), "huge.jpg", 1L << 30);
        yield return Image("image-gif-claims-65000x65000", 1, (_, p) => File.WriteAllBytes(p, GifClaiming(65_000, 65_000)), "huge.gif", 1L << 30);
        yield return Image("image-bmp-claims-100000x100000", 1, (_, p) => File.WriteAllBytes(p, BmpClaiming(100_000, 100_000)), "huge.bmp", 1L << 30);
        yield return Image("image-webp-claims-100000x100000", 1, (_, p) => File.WriteAllBytes(p, WebPClaiming(100_000, 100_000)), "huge.webp", 1L << 30);
        foreach (var ext in new[] { "jpg", "gif", "webp", "bmp" })
            yield return Image($"image-zero-bytes-{ext}", 1, (_, p) => File.WriteAllBytes(p, []), $"empty.{ext}");
        // Wrong extensions: decoded by content, as Pillow does.
        foreach (var (fmt, name) in new[] { (MagickFormat.Jpeg, "jpeg.png"), (MagickFormat.Gif, "gif.webp"), (MagickFormat.WebP, "webp.bmp"), (MagickFormat.Bmp, "bmp.gif") })
            yield return Image($"image-{name.Replace('.', '-')}", 0, (_, p) => File.WriteAllBytes(p, Encode(fmt)), name) with { Creates = ["v.gif"], Names = null };
        // A valid 2000000×1 PNG (written here: this process runs under the same ImageMagick limits it checks).
        yield return Image("image-png-2000000x1", 1, (_, p) => File.WriteAllBytes(p, PngClaiming(2_000_000, 1, real: true)), "wide.png", 1L << 30);
        yield return Image("image-symlink-to-dev-zero", 2, (_, p) => File.CreateSymbolicLink(p, "/dev/zero"), "zero.png", 1L << 30);
        yield return Image("image-fifo", 2, (_, p) => Sh($"mkfifo '{p}'"), "fifo.png");
        yield return Image("image-folder", 2, (_, p) => Directory.CreateDirectory(p), "dir.png");
        yield return Image("image-missing", 2, (_, _) => { }, "missing.png");
    }

    /// <summary>A valid PNG header (with CRCs) claiming <paramref name="w"/>×<paramref name="h"/> RGB8, one tiny IDAT
    /// (or, <paramref name="real"/>, all the rows: a complete image).</summary>
    internal static byte[] PngClaiming(int w, int h, bool real = false)
    {
        using var ms = new MemoryStream();
        ms.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, w);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), h);
        ihdr[8] = 8; ihdr[9] = 2;
        Chunk(ms, "IHDR", ihdr);
        using (var z = new MemoryStream())
        {
            using (var zs = new System.IO.Compression.ZLibStream(z, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
                zs.Write(new byte[real ? (long)h * (3L * w + 1) : 600]);
            Chunk(ms, "IDAT", z.ToArray());
        }
        Chunk(ms, "IEND", []);
        return ms.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
        s.Write(len);
        var td = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        s.Write(td);
        BinaryPrimitives.WriteUInt32BigEndian(len, Crc32(td));
        s.Write(len);
    }

    private static uint Crc32(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (var b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }

    /// <summary>A small real JPEG whose SOF header is patched to claim <paramref name="w"/>×<paramref name="h"/>.</summary>
    internal static byte[] JpegClaiming(int w, int h)
    {
        var b = Encode(MagickFormat.Jpeg, 16, 16);
        for (int i = 2; i + 9 < b.Length;)
        {
            if (b[i] != 0xFF) break;
            byte marker = b[i + 1];
            int len = BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(i + 2));
            if (marker is 0xC0 or 0xC1 or 0xC2)
            {
                BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(i + 5), (ushort)h);
                BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(i + 7), (ushort)w);
                return b;
            }
            i += 2 + len;
        }
        throw new InvalidOperationException("no SOF marker in the test JPEG");
    }

    /// <summary>A small real GIF whose logical screen and first image descriptor claim <paramref name="w"/>×<paramref name="h"/>.</summary>
    internal static byte[] GifClaiming(int w, int h)
    {
        var b = Encode(MagickFormat.Gif, 16, 16);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(6), (ushort)w);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(8), (ushort)h);
        int at = 13 + ((b[10] & 0x80) != 0 ? 3 << ((b[10] & 7) + 1) : 0);
        while (at < b.Length && b[at] == 0x21)  // extension blocks: introducer, label, sub-blocks
        {
            at += 2;
            while (b[at] != 0) at += b[at] + 1;
            at++;
        }
        if (b[at] != 0x2C) throw new InvalidOperationException("no image descriptor in the test GIF");
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(at + 5), (ushort)w);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(at + 7), (ushort)h);
        return b;
    }

    /// <summary>A small real BMP whose info header claims <paramref name="w"/>×<paramref name="h"/>.</summary>
    internal static byte[] BmpClaiming(int w, int h)
    {
        var b = Encode(MagickFormat.Bmp, 16, 16);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(18), w);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(22), h);
        return b;
    }

    /// <summary>A small real lossy WebP wrapped in an extended (VP8X) container whose canvas claims <paramref name="w"/>×<paramref name="h"/>.</summary>
    internal static byte[] WebPClaiming(int w, int h)
    {
        var simple = Encode(MagickFormat.WebP, 16, 16);   // RIFF size WEBP <chunk>
        var chunk = simple.AsSpan(12).ToArray();
        var vp8x = new byte[18];
        Encoding.ASCII.GetBytes("VP8X").CopyTo(vp8x, 0);
        BinaryPrimitives.WriteInt32LittleEndian(vp8x.AsSpan(4), 10);
        void Put24(int at, int v) { vp8x[at] = (byte)v; vp8x[at + 1] = (byte)(v >> 8); vp8x[at + 2] = (byte)(v >> 16); }
        Put24(12, w - 1);
        Put24(15, h - 1);
        var body = Encoding.ASCII.GetBytes("WEBP").Concat(vp8x).Concat(chunk).ToArray();
        var riff = new byte[8 + body.Length];
        Encoding.ASCII.GetBytes("RIFF").CopyTo(riff, 0);
        BinaryPrimitives.WriteInt32LittleEndian(riff.AsSpan(4), body.Length);
        body.CopyTo(riff, 8);
        return riff;
    }

    // ---- device commands ---------------------------------------------------------------------------------
    private static IEnumerable<ProbeCase> Devices()
    {
        yield return new ProbeCase("selftest-without-cuda", 3) { Args = _ => ["selftest", "--device", "cuda"], Names = _ => ["CUDA"] };
        yield return new ProbeCase("bench-without-cuda", 3) { Args = _ => ["bench", "kernels"], Names = _ => ["CUDA"] };
        yield return new ProbeCase("device-cuda-generate-without-cuda", 1) { Args = _ => Gen("--device", "cuda", "-o", "v.gif"), Names = _ => ["cuda"] };
    }

    internal static void Sh(string command)
    {
        using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("sh", ["-c", command]) { RedirectStandardError = true })!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"'{command}' failed ({p.ExitCode}): {err}");
    }
}
