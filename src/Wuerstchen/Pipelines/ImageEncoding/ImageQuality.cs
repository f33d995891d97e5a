using Wuerstchen.Tensors;

namespace Wuerstchen.Pipelines.ImageEncoding;

/// <summary>Reconstruction quality of images in [0, 1].</summary>
public static class ImageQuality
{
    /// <summary>
    /// Peak signal-to-noise ratio in dB for peak 1: <c>10·log10(1 / MSE)</c> over all values, computed in double;
    /// +∞ for identical images.
    /// </summary>
    public static double Psnr(Tensor reference, Tensor image)
    {
        if (!reference.Shape.SequenceEqual(image.Shape))
            throw new ArgumentException($"PSNR needs images of one shape, got {reference} and {image}.", nameof(image));
        var a = reference.ToArray();
        var b = image.ToArray();
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = (double)a[i] - b[i];
            sum += d * d;
        }
        double mse = sum / a.Length;
        return mse == 0 ? double.PositiveInfinity : 10 * Math.Log10(1 / mse);
    }
}
