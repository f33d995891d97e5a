namespace Wuerstchen.IO.SafeTensors;

/// <summary>Element types of the safetensors format (the names used in its JSON header).</summary>
public enum SafeTensorsDType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL }

public static class SafeTensorsDTypeExtensions
{
    public static int ByteSize(this SafeTensorsDType t) => t switch
    {
        SafeTensorsDType.F64 or SafeTensorsDType.I64 => 8,
        SafeTensorsDType.F32 or SafeTensorsDType.I32 => 4,
        SafeTensorsDType.F16 or SafeTensorsDType.BF16 or SafeTensorsDType.I16 => 2,
        _ => 1,
    };

    public static bool TryParse(string name, out SafeTensorsDType type) => Enum.TryParse(name, ignoreCase: false, out type) && Enum.IsDefined(type);
}

/// <summary>One tensor's entry in a safetensors header; <see cref="Begin"/>/<see cref="End"/> are byte offsets into the data section.</summary>
public sealed record SafeTensorInfo(string Name, SafeTensorsDType DType, int[] Shape, long Begin, long End)
{
    public long Numel => Shape.Aggregate(1L, (a, b) => a * b);
}
