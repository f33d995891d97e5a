using Wuerstchen.Data;
using Wuerstchen.Data.Shapes;
using Wuerstchen.Evaluation;
using Wuerstchen.Tensors;

namespace Wuerstchen.Tests.Evaluation;

/// <summary>Test pictures: faithful renders of adherence prompts, and the blur and noise that imitate generated images.</summary>
public static class Pictures
{
    private static readonly ShapeSceneSampler Sampler = new();

    /// <summary>A random single-object scene for the prompt (size, position, fill drawn from <paramref name="variant"/>).</summary>
    public static ShapeScene Scene(AdherencePrompt prompt, int variant)
    {
        var rng = SplitMix64.Derive(prompt.Seed, (ulong)variant);
        return Sampler.Sample(ref rng, prompt.Shape, prompt.Color, prompt.Background);
    }

    public static Tensor Render(AdherencePrompt prompt, int size, int variant = 0) => ShapeRasterizer.Render(Scene(prompt, variant), size);

    /// <summary>Gaussian blur of σ pixels, then Gaussian noise of standard deviation <paramref name="noise"/>, clamped to [0, 1].</summary>
    public static void Degrade(Tensor image, double blur, double noise, int seed)
    {
        var px = image.AsSpan();
        GaussianBlur.Apply(px, 3, image.Size(-1), image.Size(-2), blur);
        if (noise <= 0) return;
        var rng = new System.Random(seed);
        for (int i = 0; i < px.Length; i++)
        {
            double gaussian = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
            px[i] = Math.Clamp(px[i] + (float)(noise * gaussian), 0f, 1f);
        }
    }

    /// <summary>
    /// Roughens edges as decoders do: every 2 × 2 block of pixels is copied from a spot displaced by a random
    /// whole-pixel offset of up to ±<paramref name="reach"/> in x and y. Flat regions are unchanged; edges turn
    /// grainy in blocks a few pixels deep, as in Stage A's decoded pictures.
    /// </summary>
    public static void RoughenEdges(Tensor image, int reach, int seed)
    {
        int w = image.Size(-1), h = image.Size(-2), planes = (int)(image.Numel / (w * h));
        var px = image.AsSpan();
        var source = px.ToArray();
        var rng = new System.Random(seed);
        int blocksX = (w + 1) / 2, blocksY = (h + 1) / 2;
        var dx = new int[blocksX * blocksY];
        var dy = new int[blocksX * blocksY];
        for (int b = 0; b < dx.Length; b++) { dx[b] = rng.Next(-reach, reach + 1); dy[b] = rng.Next(-reach, reach + 1); }
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int b = (y / 2) * blocksX + x / 2;
                int sx = Math.Clamp(x + dx[b], 0, w - 1), sy = Math.Clamp(y + dy[b], 0, h - 1);
                for (int p = 0; p < planes; p++) px[p * w * h + y * w + x] = source[p * w * h + sy * w + sx];
            }
    }
}
