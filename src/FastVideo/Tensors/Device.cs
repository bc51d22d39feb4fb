namespace FastVideo.Tensors;

public enum DeviceType : byte { Cpu, Cuda }

/// <summary>Where a tensor's storage lives.</summary>
public readonly record struct Device(DeviceType Type, int Index = 0)
{
    public static readonly Device Cpu = new(DeviceType.Cpu);
    public static Device Cuda(int index = 0) => new(DeviceType.Cuda, index);
    public override string ToString() => Type == DeviceType.Cpu ? "cpu" : $"cuda:{Index}";
}
