namespace FastVideo.Loading;

/// <summary>A safetensors file is malformed or does not hold what was asked. Names the file and, where known, the tensor.</summary>
public sealed class SafetensorsException : IOException
{
    public string FilePath { get; }
    public string? TensorName { get; }

    public SafetensorsException(string filePath, string? tensorName, string message, Exception? inner = null)
        : base($"{filePath}{(tensorName is null ? "" : $": tensor '{tensorName}'")}: {message}", inner)
    {
        FilePath = filePath;
        TensorName = tensorName;
    }
}
