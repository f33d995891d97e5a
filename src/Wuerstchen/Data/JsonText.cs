using System.Text.Json;

namespace Wuerstchen.Data;

/// <summary>Compact JSON strings for safetensors metadata (shard members, skipped ids, per-sample values).</summary>
internal static class JsonText
{
    /// <summary>The JSON text that <paramref name="write"/> writes.</summary>
    public static string Write(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer)) write(w);
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary><paramref name="values"/> as a JSON array of strings.</summary>
    public static string StringArray(IEnumerable<string> values) => Write(w =>
    {
        w.WriteStartArray();
        foreach (var v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    });
}
