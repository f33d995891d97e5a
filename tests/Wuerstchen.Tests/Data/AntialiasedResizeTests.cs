using Wuerstchen.Data;

namespace Wuerstchen.Tests.Data;

public class AntialiasedResizeTests
{
    [Fact]
    public void Halving_uses_the_widened_triangle_kernel_1_3_3_1()
    {
        // One row of 8 → 4: output i is centred on input 2i + 1, the triangle has radius 2 input pixels,
        // so taps at offsets −1.5, −0.5, 0.5, 1.5 weigh 1/4, 3/4, 3/4, 1/4 → [1, 3, 3, 1] / 8. At the left border
        // the tap outside the image is dropped and the rest renormalised: [3, 3, 1] / 7.
        float[] row = [1, 2, 4, 8, 16, 32, 64, 128];
        var output = new float[4];
        AntialiasedResize.Resize(row, 1, 1, 8, output, 1, 4);
        Assert.Equal((3 * 1 + 3 * 2 + 1 * 4) / 7f, output[0], 4);
        Assert.Equal((1 * 2 + 3 * 4 + 3 * 8 + 1 * 16) / 8f, output[1], 4);
        Assert.Equal((1 * 8 + 3 * 16 + 3 * 32 + 1 * 64) / 8f, output[2], 4);
        Assert.Equal((1 * 32 + 3 * 64 + 3 * 128) / 7f, output[3], 4);
    }

    [Fact]
    public void Doubling_is_half_pixel_bilinear_interpolation()
    {
        float[] column = [0, 4, 8];
        var output = new float[6];
        AntialiasedResize.Resize(column, 1, 3, 1, output, 6, 1);
        // Output i samples input position (i + 0.5)/2 − 0.5: −0.25 (clamped), 0.25, 0.75, 1.25, 1.75, 2.25 (clamped).
        Assert.Equal([0f, 1f, 3f, 5f, 7f, 8f], output);
    }

    [Theory]
    [InlineData(13, 17, 5, 7)]
    [InlineData(10, 10, 3, 4)]
    [InlineData(6, 9, 11, 14)]
    [InlineData(9, 4, 9, 9)]
    public void Matches_a_float64_matrix_reference(int inH, int inW, int outH, int outW)
    {
        var rng = new System.Random(inH * 100 + outW);
        var source = new float[2 * inH * inW];
        for (int i = 0; i < source.Length; i++) source[i] = (float)rng.NextDouble();
        var output = new float[2 * outH * outW];
        AntialiasedResize.Resize(source, 2, inH, inW, output, outH, outW);
        var wh = ReferenceWeights(inH, outH);
        var ww = ReferenceWeights(inW, outW);
        var expected = new float[output.Length];
        for (int c = 0; c < 2; c++)
            for (int y = 0; y < outH; y++)
                for (int x = 0; x < outW; x++)
                {
                    double sum = 0;
                    for (int i = 0; i < inH; i++)
                        for (int j = 0; j < inW; j++)
                            sum += wh[y, i] * ww[x, j] * source[(c * inH + i) * inW + j];
                    expected[(c * outH + y) * outW + x] = (float)sum;
                }
        TensorAssert.Close(expected, output, 1e-6, 1e-5, $"{inH}×{inW} → {outH}×{outW}");
    }

    [Fact]
    public void Constant_images_stay_constant()
    {
        var source = Enumerable.Repeat(0.3f, 3 * 37 * 23).ToArray();
        foreach (var (h, w) in new[] { (8, 8), (37, 23), (50, 61) })
        {
            var output = new float[3 * h * w];
            AntialiasedResize.Resize(source, 3, 37, 23, output, h, w);
            Assert.All(output, v => Assert.Equal(0.3f, v, 6));
        }
    }

    // PIL's bilinear resampling written as a dense [out, in] matrix: triangle filter of radius max(in/out, 1)
    // centred on output pixel centres, truncated to the image and renormalised.
    private static double[,] ReferenceWeights(int inSize, int outSize)
    {
        var m = new double[outSize, inSize];
        double scale = (double)inSize / outSize, radius = Math.Max(scale, 1);
        for (int o = 0; o < outSize; o++)
        {
            double centre = (o + 0.5) * scale, total = 0;
            for (int i = 0; i < inSize; i++)
            {
                if (i < (int)(centre - radius + 0.5) || i >= (int)(centre + radius + 0.5)) continue;
                m[o, i] = Math.Max(0, 1 - Math.Abs(i + 0.5 - centre) / radius);
                total += m[o, i];
            }
            for (int i = 0; i < inSize; i++) m[o, i] /= total;
        }
        return m;
    }
}
