using Wuerstchen.Data;
using Wuerstchen.IO.Png;
using Wuerstchen.Tensors;

namespace Wuerstchen.Pipelines.ImageEncoding;

/// <summary>PNG files as the image commands see them: RGB batches [1, 3, H, W] with values in [0, 1].</summary>
public static class ImageFiles
{
    /// <summary>
    /// Reads a PNG as RGB in [0, 1] (sample / max, as torchvision's ToTensor): grey is replicated into three channels
    /// and alpha dropped, as PIL's <c>convert("RGB")</c> does.
    /// </summary>
    public static Tensor ReadRgb(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: image file not found.", path);
        var image = PngFile.Read(path).Image;
        return Tensor.FromArray(ImagePreprocessor.RgbPlanes(image), 1, 3, image.Height, image.Width);
    }

    /// <summary>Writes each row of an image batch [B, 3, H, W] in [0, 1] as an 8-bit PNG (atomically), quantised as diffusers does.</summary>
    public static void WritePngs(Tensor images, IReadOnlyList<string> paths)
    {
        if (images.Rank != 4 || images.Size(0) != paths.Count)
            throw new ArgumentException($"{images.Size(0)} images need {images.Size(0)} paths, got {paths.Count}.", nameof(paths));
        ImageTensors.SavePngs(images, b => paths[b]);
    }

    /// <summary>
    /// Output paths for <paramref name="count"/> images: <paramref name="path"/> itself for one, else
    /// <c>name-0.png</c>, <c>name-1.png</c>, … beside it.
    /// </summary>
    public static string[] NumberedPaths(string path, int count)
    {
        if (count == 1) return [path];
        string folder = Path.GetDirectoryName(path) ?? "", name = Path.GetFileNameWithoutExtension(path), extension = Path.GetExtension(path);
        return Enumerable.Range(0, count).Select(i => Path.Combine(folder, $"{name}-{i}{extension}")).ToArray();
    }
}
