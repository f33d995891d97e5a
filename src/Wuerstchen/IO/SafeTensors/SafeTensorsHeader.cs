using System.Text.Json;
using System.Text.Unicode;

namespace Wuerstchen.IO.SafeTensors;

/// <summary>
/// Parses and validates the JSON header of a safetensors file. Every rule of the format is checked here,
/// so that reading tensor bytes afterwards can never leave the data section: each violation is an
/// <see cref="InvalidDataException"/> that names the file and, where there is one, the tensor.
/// </summary>
internal static class SafeTensorsHeader
{
    /// <summary>Largest header accepted (the reference implementation's limit too); guards against absurd allocations.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    public const string MetadataKey = "__metadata__";

    public sealed record Parsed(IReadOnlyList<SafeTensorInfo> Tensors, Dictionary<string, string> Metadata);

    /// <summary>
    /// Validates the 8-byte length prefix against the file length and returns the header length.
    /// </summary>
    public static long CheckHeaderLength(string path, ulong headerLength, long fileLength)
    {
        if (headerLength < 2)
            throw new InvalidDataException($"{path}: header length {headerLength} is too small (a header is at least '{{}}').");
        if (headerLength > MaxHeaderBytes)
            throw new InvalidDataException($"{path}: header length {headerLength} exceeds the limit of {MaxHeaderBytes} bytes.");
        if (headerLength > (ulong)(fileLength - 8))
            throw new InvalidDataException($"{path}: header length {headerLength} runs past the end of the file ({fileLength} bytes); the file is truncated or not safetensors.");
        return (long)headerLength;
    }

    /// <param name="path">Used in messages only.</param>
    /// <param name="json">The header bytes (after the 8-byte length).</param>
    /// <param name="dataLength">Bytes in the data section (file length − 8 − header length).</param>
    public static Parsed Parse(string path, ReadOnlySpan<byte> json, long dataLength)
    {
        if (!Utf8.IsValid(json))
            throw new InvalidDataException($"{path}: header is not valid UTF-8.");
        if (json.Length == 0 || json[0] != (byte)'{')
            throw new InvalidDataException($"{path}: header does not start with '{{'.");

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: header is not valid JSON ({e.Message})", e);
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{path}: header is not a JSON object.");

            var names = new HashSet<string>(StringComparer.Ordinal);
            var tensors = new List<SafeTensorInfo>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var prop in root.EnumerateObject())
            {
                // JSON itself allows repeated keys; the format maps each name to one tensor.
                if (!names.Add(prop.Name))
                    throw new InvalidDataException($"{path}: header lists '{prop.Name}' more than once.");
                if (prop.Name == MetadataKey)
                    ParseMetadata(path, prop.Value, metadata);
                else
                    tensors.Add(ParseTensor(path, prop.Name, prop.Value, dataLength));
            }
            CheckLayout(path, tensors, dataLength);
            return new Parsed(tensors, metadata);
        }
    }

    private static void ParseMetadata(string path, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{path}: '{MetadataKey}' is a JSON {value.ValueKind}, not an object of strings.");
        foreach (var m in value.EnumerateObject())
        {
            if (m.Value.ValueKind != JsonValueKind.String)
                throw new InvalidDataException($"{path}: metadata '{m.Name}' is a JSON {m.Value.ValueKind}; metadata values must be strings.");
            if (!metadata.TryAdd(m.Name, m.Value.GetString()!))
                throw new InvalidDataException($"{path}: metadata lists '{m.Name}' more than once.");
        }
    }

    private static SafeTensorInfo ParseTensor(string path, string name, JsonElement e, long dataLength)
    {
        string where = $"{path}: tensor '{name}'";
        if (e.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{where} is a JSON {e.ValueKind}, not an object with dtype, shape and data_offsets.");

        var dtypeElement = Required(where, e, "dtype", JsonValueKind.String);
        var dtypeName = dtypeElement.GetString()!;
        if (!SafeTensorsDTypeExtensions.TryParse(dtypeName, out var dtype))
            throw new InvalidDataException($"{where} has unknown dtype '{dtypeName}' (known: {string.Join(", ", Enum.GetNames<SafeTensorsDType>())}).");

        var shapeElement = Required(where, e, "shape", JsonValueKind.Array);
        var shape = new int[shapeElement.GetArrayLength()];
        int i = 0;
        foreach (var d in shapeElement.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long dim) || dim < 0)
                throw new InvalidDataException($"{where} has shape entry {i} = {d.GetRawText()}; shape entries must be non-negative integers.");
            if (dim > int.MaxValue)
                throw new InvalidDataException($"{where} has shape entry {i} = {dim}, larger than this engine's limit of {int.MaxValue} per dimension.");
            shape[i++] = (int)dim;
        }

        long expectedBytes;
        try
        {
            long numel = 1;
            foreach (var d in shape) numel = checked(numel * d);
            expectedBytes = checked(numel * dtype.ByteSize());
        }
        catch (OverflowException)
        {
            throw new InvalidDataException($"{where} has shape [{string.Join(", ", shape)}] whose size overflows 64 bits.");
        }

        var offsetsElement = Required(where, e, "data_offsets", JsonValueKind.Array);
        if (offsetsElement.GetArrayLength() != 2)
            throw new InvalidDataException($"{where} has {offsetsElement.GetArrayLength()} data_offsets; expected [begin, end].");
        var begin = Offset(where, offsetsElement[0]);
        var end = Offset(where, offsetsElement[1]);
        if (end < begin)
            throw new InvalidDataException($"{where} has data_offsets [{begin}, {end}] with end before begin.");
        if (end > dataLength)
            throw new InvalidDataException($"{where} has data_offsets [{begin}, {end}] past the end of the data section ({dataLength} bytes); the file is truncated or corrupt.");
        if (end - begin != expectedBytes)
            throw new InvalidDataException($"{where} spans {end - begin} bytes but {dtype} [{string.Join(", ", shape)}] needs {expectedBytes}.");

        return new SafeTensorInfo(name, dtype, shape, begin, end);
    }

    private static JsonElement Required(string where, JsonElement e, string field, JsonValueKind kind)
    {
        if (!e.TryGetProperty(field, out var value))
            throw new InvalidDataException($"{where} has no '{field}'.");
        if (value.ValueKind != kind)
            throw new InvalidDataException($"{where} has '{field}' of JSON type {value.ValueKind}; expected {kind}.");
        return value;
    }

    private static long Offset(string where, JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out long v) || v < 0)
            throw new InvalidDataException($"{where} has data offset {e.GetRawText()}; offsets must be non-negative integers.");
        return v;
    }

    /// <summary>
    /// The format requires the tensors to tile the data section exactly: no overlaps (two names aliasing
    /// bytes) and no holes (bytes that belong to nobody, e.g. smuggled data or a miscomputed offset).
    /// </summary>
    private static void CheckLayout(string path, List<SafeTensorInfo> tensors, long dataLength)
    {
        var sorted = tensors.ToArray();
        Array.Sort(sorted, (a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long covered = 0;
        SafeTensorInfo? previous = null;
        foreach (var t in sorted)
        {
            if (t.Begin < covered)
                throw new InvalidDataException($"{path}: tensor '{t.Name}' [{t.Begin}, {t.End}) overlaps tensor '{previous!.Name}' [{previous.Begin}, {previous.End}).");
            if (t.Begin > covered)
                throw new InvalidDataException($"{path}: data bytes [{covered}, {t.Begin}) before tensor '{t.Name}' belong to no tensor.");
            covered = t.End;
            previous = t;
        }
        if (covered != dataLength)
            throw new InvalidDataException($"{path}: tensors cover {covered} bytes but the data section has {dataLength}; the file has trailing bytes or a damaged header.");
    }
}
