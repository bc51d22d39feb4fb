namespace FastVideo.Media;

/// <summary>What <see cref="MediaWriter"/> writes.</summary>
public enum OutputFormat
{
    /// <summary>H.264 yuv420p MP4 through ffmpeg; without ffmpeg an animated WebP is written instead.</summary>
    Mp4,
    /// <summary>Numbered PNG frames in a folder.</summary>
    Png,
    /// <summary>Float frames [T,H,W,3] and the final latents in one safetensors file.</summary>
    Safetensors,
    /// <summary>Animated GIF.</summary>
    Gif,
    /// <summary>Animated WebP (lossless).</summary>
    WebP,
}

/// <summary>What was written, and anything the user should know (e.g. the MP4 fallback).</summary>
public sealed record SavedOutput(string Path, OutputFormat Format, string? Note)
{
    /// <summary>The contact sheet written beside the video, when one was asked for.</summary>
    public string? ContactSheetPath { get; init; }
}
