using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using Wuerstchen.Tensors;

namespace Wuerstchen.IO.SafeTensors;

/// <summary>
/// A memory-mapped safetensors file. The header is parsed and fully validated on <see cref="Open"/>
/// (see <see cref="SafeTensorsHeader"/>), so every later read stays inside the data section. Tensor data is
/// read lazily: <see cref="ReadTensor"/> converts any dtype to a new float32 tensor, <see cref="TryBorrowTensor"/>
/// returns F32 data in place without copying, and <see cref="LoadTensor"/> picks whichever applies.
/// <para>
/// Borrowed tensors keep the mapping alive on their own: disposing this file while they are in use is safe
/// (the memory is unmapped once they are unreachable). Borrowed memory is mapped copy-on-write, so writing to
/// it changes the tensor but never the file.
/// </para>
/// </summary>
public sealed unsafe class SafeTensorsFile : IDisposable
{
    private readonly MappedFile _file;
    private readonly long _dataStart;
    private readonly IReadOnlyList<SafeTensorInfo> _ordered;
    private readonly Dictionary<string, SafeTensorInfo> _tensors;
    private int _disposed;

    /// <summary>The path the file was opened with.</summary>
    public string Path { get; }

    /// <summary>The <c>__metadata__</c> entries (string to string; empty when the header has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Tensor names in header order.</summary>
    public IReadOnlyCollection<string> Keys { get; }

    /// <summary>Every tensor's header entry, in header order.</summary>
    public IReadOnlyList<SafeTensorInfo> Tensors => _ordered;

    private SafeTensorsFile(string path, MappedFile file, long dataStart, SafeTensorsHeader.Parsed header)
    {
        Path = path;
        _file = file;
        _dataStart = dataStart;
        _ordered = header.Tensors;
        _tensors = header.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        Keys = header.Tensors.Select(t => t.Name).ToArray();
        Metadata = header.Metadata;
    }

    /// <summary>Maps and validates <paramref name="path"/>; throws <see cref="InvalidDataException"/> naming the file on any format violation.</summary>
    public static SafeTensorsFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        // Tensor bytes are reinterpreted in place; the format is little-endian.
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors reading needs a little-endian machine.");
        var length = new FileInfo(path).Length;
        if (length < 8) throw new InvalidDataException($"{path}: {length} bytes is too short for a safetensors file (8-byte header length missing).");

        var file = MappedFile.Open(path);
        try
        {
            byte* p = file.Pointer;
            long headerLength = SafeTensorsHeader.CheckHeaderLength(path, *(ulong*)p, file.Length);
            long dataStart = 8 + headerLength;
            var header = SafeTensorsHeader.Parse(path, new ReadOnlySpan<byte>(p + 8, (int)headerLength), file.Length - dataStart);
            return new SafeTensorsFile(path, file, dataStart, header);
        }
        catch
        {
            file.Release();
            throw;
        }
    }

    public bool Contains(string key) => _tensors.ContainsKey(key);

    public bool TryGetInfo(string key, [NotNullWhen(true)] out SafeTensorInfo? info) => _tensors.TryGetValue(key, out info);

    public SafeTensorInfo GetInfo(string key) =>
        _tensors.TryGetValue(key, out var info) ? info : throw new KeyNotFoundException($"{Path}: no tensor '{key}'.");

    /// <summary>Reads a tensor of any dtype as a new float32 tensor that the caller owns (integers and bools become their values).</summary>
    public Tensor ReadTensor(string key)
    {
        var info = GetInfo(key);
        byte* src = DataPointer(info);
        var t = Tensor.Empty(info.Shape);
        DTypeConversion.ToFloat32(info.DType, src, t.Data, info.Numel);
        return t;
    }

    /// <summary>
    /// Returns an F32 tensor that points straight into the mapped file (no copy, no allocation of its data),
    /// or false when the tensor is not F32 or not 4-byte aligned in the file. The tensor stays valid after
    /// this file is disposed; disposing the tensor frees nothing.
    /// </summary>
    public bool TryBorrowTensor(string key, [NotNullWhen(true)] out Tensor? tensor)
    {
        var info = GetInfo(key);
        byte* p = DataPointer(info);
        if (info.DType != SafeTensorsDType.F32 || ((nuint)p & 3) != 0)
        {
            tensor = null;
            return false;
        }
        var storage = TensorStorage.Borrow((float*)p, info.Numel, _file.AcquireLease());
        tensor = Tensor.FromStorage(storage, 0, info.Shape);
        return true;
    }

    /// <summary>
    /// The way to load weights: the mapped data itself for aligned F32 tensors, otherwise a float32 copy
    /// converted from the stored dtype. Callers dispose the result either way (a no-op for borrowed data).
    /// </summary>
    public Tensor LoadTensor(string key) => TryBorrowTensor(key, out var borrowed) ? borrowed : ReadTensor(key);

    /// <summary>Reads an integer tensor (I64, I32, I16, I8, U8, BOOL) as longs.</summary>
    public long[] ReadInt64(string key)
    {
        var info = GetInfo(key);
        var src = Bytes(info);
        return info.DType switch
        {
            SafeTensorsDType.I64 => MemoryMarshal.Cast<byte, long>(src).ToArray(),
            SafeTensorsDType.I32 => Widen(MemoryMarshal.Cast<byte, int>(src)),
            SafeTensorsDType.I16 => Widen(MemoryMarshal.Cast<byte, short>(src)),
            SafeTensorsDType.I8 => Widen(MemoryMarshal.Cast<byte, sbyte>(src)),
            SafeTensorsDType.U8 => Widen(src),
            SafeTensorsDType.BOOL => Array.ConvertAll(src.ToArray(), b => b != 0 ? 1L : 0L),
            _ => throw new NotSupportedException($"{Path}: tensor '{key}' is {info.DType}, not an integer type."),
        };
    }

    /// <summary>Reads a floating-point tensor (F64, or F32/F16/BF16 widened exactly) as doubles.</summary>
    public double[] ReadFloat64(string key)
    {
        var info = GetInfo(key);
        var src = Bytes(info);
        switch (info.DType)
        {
            case SafeTensorsDType.F64:
                return MemoryMarshal.Cast<byte, double>(src).ToArray();
            case SafeTensorsDType.F32 or SafeTensorsDType.F16 or SafeTensorsDType.BF16:
                var floats = new float[info.Numel];
                fixed (float* dst = floats) DTypeConversion.ToFloat32(info.DType, DataPointer(info), dst, floats.Length);
                return Array.ConvertAll(floats, x => (double)x);
            default:
                throw new NotSupportedException($"{Path}: tensor '{key}' is {info.DType}, not a floating-point type.");
        }
    }

    /// <summary>The raw bytes of a tensor (little-endian, row-major), e.g. to compare F16/BF16 bit patterns.</summary>
    public byte[] ReadRaw(string key) => Bytes(GetInfo(key)).ToArray();

    private byte* DataPointer(SafeTensorInfo info)
    {
        if (Volatile.Read(ref _disposed) != 0) throw new ObjectDisposedException(Path);
        return _file.Pointer + _dataStart + info.Begin;
    }

    private ReadOnlySpan<byte> Bytes(SafeTensorInfo info)
    {
        if (info.ByteLength > Array.MaxLength)
            throw new NotSupportedException($"{Path}: tensor '{info.Name}' has {info.ByteLength} bytes, too many for one array; use ReadTensor.");
        return new ReadOnlySpan<byte>(DataPointer(info), (int)info.ByteLength);
    }

    private static long[] Widen<T>(ReadOnlySpan<T> values) where T : unmanaged, System.Numerics.IBinaryInteger<T>
    {
        var result = new long[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = long.CreateTruncating(values[i]);
        return result;
    }

    /// <summary>Releases this file's hold on the mapping; tensors borrowed from it keep it until they are collected.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) _file.Release();
    }

    public override string ToString() => $"SafeTensorsFile({Path}, {_ordered.Count} tensors)";
}
