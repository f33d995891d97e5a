using System.Text;
using System.Text.Json;

namespace Wuerstchen.Data;

/// <summary>
/// Finds the samples of an image-caption folder. Images are the folder's <c>*.png</c> files (top level, ordinal
/// name order); a sample's id is the file stem. The caption of <c>x.png</c> is <c>x.txt</c> (UTF-8, trimmed) if it
/// exists, otherwise the entry for <c>x.png</c> in <c>metadata.jsonl</c> or <c>captions.jsonl</c> (Hugging Face
/// image-folder style: <c>file_name</c> and <c>text</c>; <c>file</c> and <c>caption</c> are accepted too).
/// Images in formats we cannot decode, images without a caption and empty captions are broken samples and go
/// through the error policy; they are never dropped silently.
/// </summary>
internal static class ImageFolderIndex
{
    public static readonly string[] CaptionManifests = ["metadata.jsonl", "captions.jsonl"];

    private static readonly HashSet<string> UndecodableImageExtensions =
        new([".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff", ".avif", ".heic"], StringComparer.OrdinalIgnoreCase);

    /// <summary>The usable entries; every broken sample is passed to <paramref name="broken"/> (which throws under Stop).</summary>
    public static List<ImageCaptionEntry> Scan(string folder, Action<string, string> broken)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Dataset folder '{folder}' does not exist.");
        var manifest = ReadManifests(folder, broken);
        var entries = new List<ImageCaptionEntry>();
        foreach (var path in Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(path);
            var extension = Path.GetExtension(path);
            if (UndecodableImageExtensions.Contains(extension))
            {
                broken(path, $"unsupported image format '{extension}' (only PNG images are decoded)");
                continue;
            }
            if (!extension.Equals(".png", StringComparison.OrdinalIgnoreCase)) continue;

            var stem = Path.GetFileNameWithoutExtension(path);
            var captionFile = Path.Combine(folder, stem + ".txt");
            string? caption;
            string captionSource;
            if (File.Exists(captionFile))
            {
                captionSource = captionFile;
                try { caption = File.ReadAllText(captionFile, Encoding.UTF8).Trim(); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    broken(captionFile, $"caption file cannot be read ({e.Message})");
                    continue;
                }
            }
            else if (manifest.TryGetValue(name, out var fromManifest))
            {
                captionSource = fromManifest.Source;
                caption = fromManifest.Caption.Trim();
            }
            else
            {
                broken(path, $"no caption: neither {stem}.txt nor an entry in {string.Join(" or ", CaptionManifests)}");
                continue;
            }
            if (caption.Length == 0)
            {
                broken(path, $"caption is empty ({captionSource})");
                continue;
            }
            entries.Add(new ImageCaptionEntry(stem, path, caption));
        }
        return entries;
    }

    private static Dictionary<string, (string Caption, string Source)> ReadManifests(string folder, Action<string, string> broken)
    {
        var captions = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
        foreach (var manifestName in CaptionManifests)
        {
            var path = Path.Combine(folder, manifestName);
            if (!File.Exists(path)) continue;
            int lineNumber = 0;
            foreach (var line in File.ReadLines(path, Encoding.UTF8))
            {
                lineNumber++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                var source = $"{path}:{lineNumber}";
                if (TryParseLine(line, out var file, out var caption, out var error))
                    captions.TryAdd(file, (caption, source)); // the first manifest that names a file wins
                else
                    broken(source, error);
            }
        }
        return captions;
    }

    private static bool TryParseLine(string line, out string file, out string caption, out string error)
    {
        file = caption = error = "";
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) { error = "manifest line is not a JSON object"; return false; }
            var fileValue = Field(root, "file_name") ?? Field(root, "file");
            var captionValue = Field(root, "text") ?? Field(root, "caption");
            if (fileValue is null) { error = "manifest line has no \"file_name\" (or \"file\") string"; return false; }
            if (captionValue is null) { error = $"manifest line for '{fileValue}' has no \"text\" (or \"caption\") string"; return false; }
            file = fileValue;
            caption = captionValue;
            return true;
        }
        catch (JsonException e)
        {
            error = $"manifest line is not valid JSON ({e.Message})";
            return false;
        }
    }

    private static string? Field(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
