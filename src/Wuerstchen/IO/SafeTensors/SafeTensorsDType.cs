namespace Wuerstchen.IO.SafeTensors;

/// <summary>Element types of the safetensors format (the names used in its JSON header).</summary>
public enum SafeTensorsDType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL }

public static class SafeTensorsDTypeExtensions
{
    /// <summary>Bytes per element.</summary>
    public static int ByteSize(this SafeTensorsDType t) => t switch
    {
        SafeTensorsDType.F64 or SafeTensorsDType.I64 => 8,
        SafeTensorsDType.F32 or SafeTensorsDType.I32 => 4,
        SafeTensorsDType.F16 or SafeTensorsDType.BF16 or SafeTensorsDType.I16 => 2,
        SafeTensorsDType.I8 or SafeTensorsDType.U8 or SafeTensorsDType.BOOL => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "Not a safetensors dtype."),
    };

    public static bool IsFloatingPoint(this SafeTensorsDType t) =>
        t is SafeTensorsDType.F64 or SafeTensorsDType.F32 or SafeTensorsDType.F16 or SafeTensorsDType.BF16;

    /// <summary>Integer types, BOOL included (stored as one byte, 0 or 1).</summary>
    public static bool IsInteger(this SafeTensorsDType t) => !t.IsFloatingPoint();

    /// <summary>Parses a header dtype name; exact, case-sensitive names only ("F32", not "f32" or "float32").</summary>
    public static bool TryParse(string name, out SafeTensorsDType type)
    {
        // Enum.TryParse also accepts numbers ("1") and comma lists; the format does not.
        foreach (var candidate in Enum.GetValues<SafeTensorsDType>())
        {
            if (candidate.ToString() == name) { type = candidate; return true; }
        }
        type = default;
        return false;
    }
}
