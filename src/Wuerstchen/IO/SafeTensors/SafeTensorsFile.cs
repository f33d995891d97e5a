using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Text.Json;
using Wuerstchen.Tensors;

namespace Wuerstchen.IO.SafeTensors;

/// <summary>
/// A memory-mapped safetensors file: the header is parsed and validated on open, tensor data is read
/// lazily per tensor and converted to float32 on demand.
/// </summary>
public sealed unsafe class SafeTensorsFile : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly long _dataStart;
    private readonly Dictionary<string, SafeTensorInfo> _tensors;

    public string Path { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }
    public IReadOnlyCollection<string> Keys => _tensors.Keys;

    private SafeTensorsFile(string path, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* basePtr,
        long dataStart, Dictionary<string, SafeTensorInfo> tensors, Dictionary<string, string> metadata)
    {
        Path = path; _map = map; _view = view; _base = basePtr; _dataStart = dataStart;
        _tensors = tensors; Metadata = metadata;
    }

    public static SafeTensorsFile Open(string path)
    {
        var length = new FileInfo(path).Length;
        if (length < 8) throw new InvalidDataException($"{path}: too short for a safetensors file ({length} bytes).");
        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        var view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* p = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        p += view.PointerOffset;
        try
        {
            ulong headerLength = *(ulong*)p;
            if (headerLength > (ulong)(length - 8) || headerLength > 100_000_000)
                throw new InvalidDataException($"{path}: header length {headerLength} exceeds the file ({length} bytes).");
            var json = new ReadOnlySpan<byte>(p + 8, (int)headerLength);
            long dataStart = 8 + (long)headerLength;
            var (tensors, metadata) = ParseHeader(path, json, length - dataStart);
            return new SafeTensorsFile(path, map, view, p, dataStart, tensors, metadata);
        }
        catch
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
            view.Dispose(); map.Dispose();
            throw;
        }
    }

    private static (Dictionary<string, SafeTensorInfo>, Dictionary<string, string>) ParseHeader(string path, ReadOnlySpan<byte> json, long dataLength)
    {
        var tensors = new Dictionary<string, SafeTensorInfo>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json.ToArray()); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: header is not valid JSON ({e.Message}).", e); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: header is not a JSON object.");
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (prop.Name == "__metadata__")
                {
                    foreach (var m in prop.Value.EnumerateObject()) metadata[m.Name] = m.Value.GetString() ?? "";
                    continue;
                }
                var e = prop.Value;
                string dtypeName = e.GetProperty("dtype").GetString() ?? "";
                if (!SafeTensorsDTypeExtensions.TryParse(dtypeName, out var dtype))
                    throw new InvalidDataException($"{path}: tensor '{prop.Name}' has unknown dtype '{dtypeName}'.");
                var shape = e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt32()).ToArray();
                var offs = e.GetProperty("data_offsets").EnumerateArray().Select(x => x.GetInt64()).ToArray();
                if (offs.Length != 2 || offs[0] < 0 || offs[1] < offs[0] || offs[1] > dataLength)
                    throw new InvalidDataException($"{path}: tensor '{prop.Name}' has data offsets outside the file.");
                var info = new SafeTensorInfo(prop.Name, dtype, shape, offs[0], offs[1]);
                if (info.Numel * dtype.ByteSize() != offs[1] - offs[0])
                    throw new InvalidDataException($"{path}: tensor '{prop.Name}' byte length {offs[1] - offs[0]} does not match {dtype} × [{string.Join(", ", shape)}].");
                tensors[prop.Name] = info;
            }
        }
        return (tensors, metadata);
    }

    public bool Contains(string key) => _tensors.ContainsKey(key);

    public SafeTensorInfo GetInfo(string key) =>
        _tensors.TryGetValue(key, out var info) ? info : throw new KeyNotFoundException($"{Path}: no tensor '{key}'.");

    private ReadOnlySpan<byte> Bytes(SafeTensorInfo info) => new(_base + _dataStart + info.Begin, checked((int)(info.End - info.Begin)));

    /// <summary>Reads a floating-point (or integer) tensor as a new float32 tensor.</summary>
    public Tensor ReadTensor(string key)
    {
        var info = GetInfo(key);
        var t = Tensor.Empty(info.Shape);
        var dst = t.AsSpan();
        var src = Bytes(info);
        switch (info.DType)
        {
            case SafeTensorsDType.F32: MemoryMarshal.Cast<byte, float>(src).CopyTo(dst); break;
            case SafeTensorsDType.F64: { var s = MemoryMarshal.Cast<byte, double>(src); for (int i = 0; i < s.Length; i++) dst[i] = (float)s[i]; break; }
            case SafeTensorsDType.F16: { var s = MemoryMarshal.Cast<byte, Half>(src); for (int i = 0; i < s.Length; i++) dst[i] = (float)s[i]; break; }
            case SafeTensorsDType.BF16: { var s = MemoryMarshal.Cast<byte, ushort>(src); for (int i = 0; i < s.Length; i++) dst[i] = BitConverter.Int32BitsToSingle(s[i] << 16); break; }
            case SafeTensorsDType.I64: { var s = MemoryMarshal.Cast<byte, long>(src); for (int i = 0; i < s.Length; i++) dst[i] = s[i]; break; }
            case SafeTensorsDType.I32: { var s = MemoryMarshal.Cast<byte, int>(src); for (int i = 0; i < s.Length; i++) dst[i] = s[i]; break; }
            default: t.Dispose(); throw new NotSupportedException($"{Path}: tensor '{key}' has dtype {info.DType}, which cannot be read as float32.");
        }
        return t;
    }

    /// <summary>Reads an integer tensor (I64/I32/U8/BOOL…) as longs.</summary>
    public long[] ReadInt64(string key)
    {
        var info = GetInfo(key);
        var src = Bytes(info);
        return info.DType switch
        {
            SafeTensorsDType.I64 => MemoryMarshal.Cast<byte, long>(src).ToArray(),
            SafeTensorsDType.I32 => Array.ConvertAll(MemoryMarshal.Cast<byte, int>(src).ToArray(), x => (long)x),
            SafeTensorsDType.U8 or SafeTensorsDType.BOOL => Array.ConvertAll(src.ToArray(), x => (long)x),
            _ => throw new NotSupportedException($"{Path}: tensor '{key}' has dtype {info.DType}, not an integer type."),
        };
    }

    /// <summary>Reads an F64 tensor as doubles.</summary>
    public double[] ReadFloat64(string key)
    {
        var info = GetInfo(key);
        if (info.DType != SafeTensorsDType.F64) throw new NotSupportedException($"{Path}: tensor '{key}' is {info.DType}, not F64.");
        return MemoryMarshal.Cast<byte, double>(Bytes(info)).ToArray();
    }

    /// <summary>The raw bytes of a tensor (little-endian, row-major), e.g. to compare F16/BF16 bit patterns.</summary>
    public byte[] ReadRaw(string key) => Bytes(GetInfo(key)).ToArray();

    public void Dispose()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
