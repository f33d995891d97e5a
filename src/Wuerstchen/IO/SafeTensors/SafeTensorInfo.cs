namespace Wuerstchen.IO.SafeTensors;

/// <summary>
/// One tensor's entry in a safetensors header. <see cref="Begin"/> and <see cref="End"/> are byte offsets
/// into the data section (the bytes after the header), validated on open to match dtype × shape.
/// </summary>
public sealed record SafeTensorInfo(string Name, SafeTensorsDType DType, int[] Shape, long Begin, long End)
{
    /// <summary>Number of elements (1 for a 0-d tensor, 0 when a dim is 0).</summary>
    public long Numel
    {
        get
        {
            long n = 1;
            foreach (var d in Shape) n *= d;
            return n;
        }
    }

    public long ByteLength => End - Begin;

    public override string ToString() => $"{Name}: {DType}[{string.Join(", ", Shape)}] @ [{Begin}, {End})";
}
