using System.Text;
using Wuerstchen.IO.Png;
using Wuerstchen.Tests.IO;

namespace Wuerstchen.Tests.Data;

/// <summary>A temporary image-caption folder for dataset tests: small PNGs whose pixels encode their number.</summary>
public sealed class DatasetFolder : IDisposable
{
    private readonly TempFolder _temp = new();

    public string Path => _temp.Path;

    public string File(string name) => _temp.File(name);

    /// <summary>Writes <c>{stem}.png</c> (width×height RGB, every sample = value + x) and, unless null, <c>{stem}.txt</c>.</summary>
    public string AddImage(string stem, int value, string? caption, int width = 8, int height = 8)
    {
        var image = new Image(width, height, 3);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                for (int c = 0; c < 3; c++) image[x, y, c] = (ushort)Math.Min(255, value + x + 7 * c);
        var path = File(stem + ".png");
        PngFile.Write(path, image);
        if (caption is not null) System.IO.File.WriteAllText(File(stem + ".txt"), caption, Encoding.UTF8);
        return path;
    }

    public void Write(string name, string text) => System.IO.File.WriteAllText(File(name), text, Encoding.UTF8);

    /// <summary>A folder of <paramref name="count"/> captioned images "000".."N", value 10·i, caption "caption i".</summary>
    public static DatasetFolder WithImages(int count)
    {
        var folder = new DatasetFolder();
        for (int i = 0; i < count; i++) folder.AddImage($"{i:D3}", 10 * i, $"caption {i}");
        return folder;
    }

    public void Dispose() => _temp.Dispose();
}
