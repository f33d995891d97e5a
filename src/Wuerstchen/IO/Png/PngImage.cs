namespace Wuerstchen.IO.Png;

/// <summary>A decoded PNG: the pixels, the header as stored in the file, and its text entries in file order.</summary>
public sealed record PngImage(Image Image, PngHeader Header, IReadOnlyList<PngText> Text)
{
    /// <summary>The text of the first entry with <paramref name="keyword"/>, or null.</summary>
    public string? GetText(string keyword) => Text.FirstOrDefault(t => t.Keyword == keyword)?.Text;
}
