using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Wuerstchen.Data.Shapes;

/// <summary>
/// One line of a shapes dataset's <c>metadata.jsonl</c>. <c>file_name</c> and <c>text</c> follow the Hugging Face
/// image-folder convention (so the folder loads there too); the other fields are the scene's structured attributes.
/// </summary>
public sealed record ShapesMetadata(
    string FileName,
    string Text,
    long Index,
    ShapeKind Shape,
    NamedColor Color,
    int Count,
    ShapeSize Size,
    ScenePosition Position,
    NamedColor Background,
    BackgroundFill BackgroundFill,
    int Template)
{
    public static ShapesMetadata Of(ShapesSample sample, string fileName) => new(
        fileName, sample.Caption, sample.Index, sample.Scene.Shape, sample.Scene.Color, sample.Scene.Count,
        sample.Scene.Size, sample.Scene.Position, sample.Scene.Background.Color, sample.Scene.Background.Fill, sample.Template);

    /// <summary>The JSON line (no newline) for <paramref name="sample"/>, including the exact object geometry.</summary>
    public static string ToJsonLine(ShapesSample sample, string fileName)
    {
        var scene = sample.Scene;
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("file_name", fileName);
            w.WriteString("text", sample.Caption);
            w.WriteNumber("index", sample.Index);
            w.WriteString("shape", scene.Shape.Singular());
            w.WriteString("color", scene.Color.Name);
            w.WriteNumber("count", scene.Count);
            w.WriteString("size", Name(scene.Size));
            w.WriteString("position", Name(scene.Position));
            w.WriteString("background", scene.Background.Color.Name);
            w.WriteString("background_fill", Name(scene.Background.Fill));
            WriteRgb(w, "background_from", scene.Background.From);
            WriteRgb(w, "background_to", scene.Background.To);
            w.WriteNumber("template", sample.Template);
            w.WriteStartArray("objects");
            foreach (var o in scene.Objects)
            {
                w.WriteStartObject();
                w.WriteNumber("x", Math.Round(o.CenterX, 6));
                w.WriteNumber("y", Math.Round(o.CenterY, 6));
                w.WriteNumber("radius", Math.Round(o.Radius, 6));
                WriteRgb(w, "rgb", o.Fill);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Parses one line; <paramref name="source"/> (file and line) names it in errors.</summary>
    public static ShapesMetadata Parse(string line, string source)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            var e = doc.RootElement;
            return new ShapesMetadata(
                Str(e, "file_name"), Str(e, "text"), e.GetProperty("index").GetInt64(),
                ShapeNames.Parse(Str(e, "shape")), ColorPalette.Get(Str(e, "color")), e.GetProperty("count").GetInt32(),
                Enum.Parse<ShapeSize>(Str(e, "size"), ignoreCase: true),
                Enum.Parse<ScenePosition>(Str(e, "position"), ignoreCase: true),
                ColorPalette.Get(Str(e, "background")),
                Enum.Parse<BackgroundFill>(Str(e, "background_fill").Replace("_", ""), ignoreCase: true),
                e.GetProperty("template").GetInt32());
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException or FormatException)
        {
            throw new InvalidDataException($"{source}: not a shapes metadata record ({ex.Message}).", ex);
        }
    }

    /// <summary>The <c>objects</c> of one line (empty when it has none); <paramref name="source"/> names it in errors.</summary>
    public static IReadOnlyList<ShapePlacement> ParseObjects(string line, string source)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            return doc.RootElement.TryGetProperty("objects", out var objects)
                ? objects.EnumerateArray().Select(o => new ShapePlacement(o.GetProperty("x").GetDouble(), o.GetProperty("y").GetDouble(), o.GetProperty("radius").GetDouble())).ToArray()
                : [];
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{source}: unreadable objects ({ex.Message}).", ex);
        }
    }

    /// <summary>Reads every record of a <c>metadata.jsonl</c> file.</summary>
    public static IReadOnlyList<ShapesMetadata> ReadAll(string path)
    {
        var records = new List<ShapesMetadata>();
        int lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Length == 0) continue;
            records.Add(Parse(line, $"{path}:{lineNumber}"));
        }
        return records;
    }

    private static string Str(JsonElement e, string key) =>
        e.GetProperty(key).GetString() ?? throw new InvalidOperationException($"'{key}' is null.");

    private static void WriteRgb(Utf8JsonWriter w, string name, Rgb c)
    {
        w.WriteStartArray(name);
        w.WriteNumberValue(Math.Round(c.R, 5));
        w.WriteNumberValue(Math.Round(c.G, 5));
        w.WriteNumberValue(Math.Round(c.B, 5));
        w.WriteEndArray();
    }

    // snake_case names of the enums, as written in the JSON ("vertical_gradient").
    internal static string Name<T>(T value) where T : struct, Enum
    {
        var s = value.ToString();
        var sb = new StringBuilder(s.Length + 4);
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsUpper(s[i]) && i > 0) sb.Append('_');
            sb.Append(char.ToLower(s[i], CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }
}

/// <summary>One object of a scene as <c>metadata.jsonl</c> records it: centre (x right, y down) and half its larger bounding-box side, as fractions of the image side.</summary>
public sealed record ShapePlacement(double X, double Y, double Radius);
