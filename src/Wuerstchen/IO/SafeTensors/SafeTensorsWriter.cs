using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Wuerstchen.Tensors;

namespace Wuerstchen.IO.SafeTensors;

/// <summary>
/// Collects tensors and metadata and writes them as one safetensors file, atomically (temp file + rename:
/// a failed or interrupted save leaves no partial file behind).
/// <para>
/// Float tensors are stored as F32, F16, BF16 or F64 (converted from float32 on write, rounding to nearest
/// even as torch does); integer data as I64, I32, I16, I8, U8 or BOOL, range-checked. Tensors are referenced,
/// not copied, until <see cref="Save"/>: keep them alive and unchanged until then.
/// </para>
/// <para>
/// Layout: tensors are ordered by element size (largest first), then by name, so every tensor starts at a
/// multiple of its element size, and the header is padded with spaces to a multiple of 8 bytes, so the data
/// section is 8-byte aligned and F32 tensors can be borrowed zero-copy when read back.
/// </para>
/// </summary>
public sealed class SafeTensorsWriter
{
    private abstract record Entry(string Name, SafeTensorsDType DType, int[] Shape)
    {
        public long ByteLength => checked(ShapeNumel(Shape) * DType.ByteSize());
        public abstract void WriteTo(Stream stream);
    }

    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>Key/value strings stored under <c>__metadata__</c>.</summary>
    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    public int Count => _entries.Count;

    /// <summary>Adds a float32 tensor (any strides), stored as <paramref name="dtype"/> (F32, F16, BF16 or F64).</summary>
    public SafeTensorsWriter Add(string name, Tensor tensor, SafeTensorsDType dtype = SafeTensorsDType.F32)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!dtype.IsFloatingPoint())
            throw new ArgumentException($"Tensor '{name}': float32 data can be stored as F32, F16, BF16 or F64, not {dtype}; use the integer overload.", nameof(dtype));
        return AddEntry(new TensorEntry(name, dtype, tensor.Shape.ToArray(), tensor));
    }

    /// <summary>Adds integer data of the given shape, stored as <paramref name="dtype"/> (I64, I32, I16, I8, U8 or BOOL); values must fit.</summary>
    public SafeTensorsWriter Add(string name, long[] values, int[] shape, SafeTensorsDType dtype = SafeTensorsDType.I64)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (!dtype.IsInteger())
            throw new ArgumentException($"Tensor '{name}': integer data can be stored as I64, I32, I16, I8, U8 or BOOL, not {dtype}.", nameof(dtype));
        CheckLength(name, values.LongLength, shape);
        var (min, max) = IntegerRange(dtype);
        for (long i = 0; i < values.LongLength; i++)
        {
            if (values[i] < min || values[i] > max)
                throw new ArgumentOutOfRangeException(nameof(values), $"Tensor '{name}': element {i} = {values[i]} does not fit {dtype} [{min}, {max}].");
        }
        return AddEntry(new BytesEntry(name, dtype, (int[])shape.Clone(), EncodeIntegers(values, dtype)));
    }

    /// <summary>Adds double data of the given shape, stored as F64.</summary>
    public SafeTensorsWriter Add(string name, double[] values, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(values);
        CheckLength(name, values.LongLength, shape);
        return AddEntry(new BytesEntry(name, SafeTensorsDType.F64, (int[])shape.Clone(), MemoryMarshal.AsBytes(values.AsSpan()).ToArray()));
    }

    /// <summary>Adds already-encoded little-endian bytes (e.g. copied from another file with <see cref="SafeTensorsFile.ReadRaw"/>).</summary>
    public SafeTensorsWriter AddRaw(string name, SafeTensorsDType dtype, int[] shape, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var entry = new BytesEntry(name, dtype, (int[])shape.Clone(), (byte[])data.Clone());
        if (entry.ByteLength != data.LongLength)
            throw new ArgumentException($"Tensor '{name}': {data.LongLength} bytes given, {dtype} [{string.Join(", ", shape)}] needs {entry.ByteLength}.", nameof(data));
        return AddEntry(entry);
    }

    private SafeTensorsWriter AddEntry(Entry entry)
    {
        if (entry.Name == SafeTensorsHeader.MetadataKey)
            throw new ArgumentException($"'{SafeTensorsHeader.MetadataKey}' is reserved for metadata and cannot name a tensor.", "name");
        foreach (var d in entry.Shape)
            if (d < 0) throw new ArgumentException($"Tensor '{entry.Name}': shape [{string.Join(", ", entry.Shape)}] has a negative dimension.", "name");
        if (!_entries.TryAdd(entry.Name, entry))
            throw new ArgumentException($"Tensor '{entry.Name}' was already added.", "name");
        return this;
    }

    /// <summary>Writes the file atomically, replacing any existing file at <paramref name="path"/>.</summary>
    public void Save(string path)
    {
        var ordered = _entries.Values
            .OrderByDescending(e => e.DType.ByteSize())
            .ThenBy(e => e.Name, StringComparer.Ordinal)
            .ToArray();
        var header = BuildHeader(ordered);
        AtomicFile.Write(path, stream =>
        {
            Span<byte> prefix = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
            stream.Write(prefix);
            stream.Write(header);
            foreach (var e in ordered) e.WriteTo(stream);
        });
    }

    /// <summary>Writes <paramref name="tensors"/> (stored as <paramref name="dtype"/>) and optional metadata in one call.</summary>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null, SafeTensorsDType dtype = SafeTensorsDType.F32)
    {
        var writer = new SafeTensorsWriter();
        foreach (var (name, t) in tensors) writer.Add(name, t, dtype);
        if (metadata != null)
            foreach (var (k, v) in metadata) writer.Metadata[k] = v;
        writer.Save(path);
    }

    private byte[] BuildHeader(Entry[] ordered)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (Metadata.Count > 0)
            {
                json.WriteStartObject(SafeTensorsHeader.MetadataKey);
                foreach (var (k, v) in Metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) json.WriteString(k, v);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var e in ordered)
            {
                json.WriteStartObject(e.Name);
                json.WriteString("dtype", e.DType.ToString());
                json.WriteStartArray("shape");
                foreach (var d in e.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += e.ByteLength;
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        int padding = (int)((8 - buffer.Length % 8) % 8);
        for (int i = 0; i < padding; i++) buffer.WriteByte((byte)' ');
        if (buffer.Length > SafeTensorsHeader.MaxHeaderBytes)
            throw new InvalidOperationException($"The safetensors header would be {buffer.Length} bytes, over the format's limit of {SafeTensorsHeader.MaxHeaderBytes}.");
        return buffer.ToArray();
    }

    private static void CheckLength(string name, long length, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Any(d => d < 0))
            throw new ArgumentException($"Tensor '{name}': shape [{string.Join(", ", shape)}] has a negative dimension.", nameof(shape));
        if (ShapeNumel(shape) != length)
            throw new ArgumentException($"Tensor '{name}': {length} values given, shape [{string.Join(", ", shape)}] needs {ShapeNumel(shape)}.", nameof(shape));
    }

    private static long ShapeNumel(int[] shape)
    {
        long n = 1;
        foreach (var d in shape) n = checked(n * d);
        return n;
    }

    private static (long Min, long Max) IntegerRange(SafeTensorsDType dtype) => dtype switch
    {
        SafeTensorsDType.I64 => (long.MinValue, long.MaxValue),
        SafeTensorsDType.I32 => (int.MinValue, int.MaxValue),
        SafeTensorsDType.I16 => (short.MinValue, short.MaxValue),
        SafeTensorsDType.I8 => (sbyte.MinValue, sbyte.MaxValue),
        SafeTensorsDType.U8 => (byte.MinValue, byte.MaxValue),
        SafeTensorsDType.BOOL => (0, 1),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    private static byte[] EncodeIntegers(long[] values, SafeTensorsDType dtype)
    {
        var bytes = new byte[values.LongLength * dtype.ByteSize()];
        for (long i = 0; i < values.LongLength; i++)
        {
            long v = values[i];
            switch (dtype)
            {
                case SafeTensorsDType.I64: BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan((int)(i * 8)), v); break;
                case SafeTensorsDType.I32: BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan((int)(i * 4)), (int)v); break;
                case SafeTensorsDType.I16: BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan((int)(i * 2)), (short)v); break;
                default: bytes[i] = unchecked((byte)v); break;
            }
        }
        return bytes;
    }

    private sealed record BytesEntry(string Name, SafeTensorsDType DType, int[] Shape, byte[] Data) : Entry(Name, DType, Shape)
    {
        public override void WriteTo(Stream stream) => stream.Write(Data);
    }

    private sealed record TensorEntry(string Name, SafeTensorsDType DType, int[] Shape, Tensor Tensor) : Entry(Name, DType, Shape)
    {
        /// <summary>Converts in slices so a multi-gigabyte tensor needs only a small staging buffer.</summary>
        public override unsafe void WriteTo(Stream stream)
        {
            if (!Tensor.Shape.SequenceEqual(Shape))
                throw new InvalidOperationException($"Tensor '{Name}' changed shape from [{string.Join(", ", Shape)}] to {Tensor} before Save.");
            var source = Tensor.Contiguous();
            try
            {
                const int slice = 1 << 20;
                int size = DType.ByteSize();
                var staging = new byte[(long)Math.Min(slice, Math.Max(source.Numel, 1)) * size];
                fixed (byte* dst = staging)
                {
                    for (long start = 0; start < source.Numel; start += slice)
                    {
                        int n = (int)Math.Min(slice, source.Numel - start);
                        DTypeConversion.FromFloat32(DType, source.Data + start, dst, n);
                        stream.Write(staging, 0, n * size);
                    }
                }
            }
            finally
            {
                if (!ReferenceEquals(source, Tensor)) source.Dispose();
            }
        }
    }
}
