using Wuerstchen.IO.Png;
using Wuerstchen.Models.EfficientNet;
using Wuerstchen.Tensors;

namespace Wuerstchen.Tests.Pipelines.ImageEncoding;

/// <summary>Test images and a random-weights compressor that fits the tiny reference decoder (effnet_embd 8).</summary>
internal static class ImageEncodingFixtures
{
    public static string TinyDecoderPipeline => Reference.Path_("tiny-wuerstchen");
    public static string TinyVqgan => Reference.Path_("tiny-wuerstchen", "vqgan");

    /// <summary>The tiny decoder's embedding width: a Tiny compressor with 8 latent channels.</summary>
    public static EfficientNetConfig TinyEffnet => EfficientNetConfig.Tiny with { CLatent = 8 };

    /// <summary>A smooth colourful picture [1, 3, H, W] in [0, 1] (gradients and a disc), exactly representable in 8 bits.</summary>
    public static Tensor Picture(int height, int width)
    {
        var t = Tensor.Empty(1, 3, height, width);
        var s = t.AsSpan();
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                double dx = x - width * 0.6, dy = y - height * 0.4;
                bool disc = dx * dx + dy * dy < height * width / 16.0;
                double[] rgb = disc ? [0.9, 0.2, 0.1] : [x / (double)width, y / (double)height, 0.5];
                for (int c = 0; c < 3; c++) s[(c * height + y) * width + x] = MathF.Round((float)rgb[c] * 255) / 255;
            }
        return t;
    }

    /// <summary>Writes <see cref="Picture"/> as a PNG and returns its path.</summary>
    public static string WritePicture(string folder, int height, int width, string name = "picture.png")
    {
        string path = Path.Combine(folder, name);
        using var picture = Picture(height, width);
        ImageTensors.SavePngs(picture, _ => path);
        return path;
    }

    /// <summary>Saves a freshly initialised <see cref="TinyEffnet"/> into <c>folder/effnet</c> and returns that folder.</summary>
    public static string WriteEffnet(string folder, EfficientNetConfig? config = null)
    {
        string effnet = Path.Combine(folder, "effnet");
        using var model = EfficientNetEncoder.CreateForTraining(config ?? TinyEffnet, seed: 3);
        model.Save(effnet);
        return effnet;
    }
}
